import { type MigrationModel, uncalibratedPrecopyModel } from '../prediction.js';
import type { TrialRecord } from '../records.js';
import {
  bestEvaluation,
  CANDIDATE_MODELS,
  type CandidateModel,
  cellGroup,
  evaluateModels,
  type ModelEvaluation,
} from './evaluate.js';
import { type ModelTrial, modelTrials, type TrialSettings } from './inputs.js';

/** Options of {@link calibrateModel} and {@link calibrateModels}. */
export interface CalibrateOptions extends TrialSettings {
  /** Least converged trials to calibrate on (default {@link MIN_CALIBRATION_TRIALS}). */
  readonly minTrials?: number;
  /** The models to choose from (default {@link CANDIDATE_MODELS}). */
  readonly candidates?: readonly CandidateModel[];
}

/** Fewest converged trials, in at least two cells, that {@link calibrateModel} calibrates on. */
export const MIN_CALIBRATION_TRIALS = 4;

/** Everything {@link calibrateModels} found. */
export interface Calibration {
  /** The chosen model fitted on every trial, or the uncalibrated pre-copy model as the fallback. */
  readonly model: MigrationModel;
  /** Name of the chosen model. */
  readonly chosen: string;
  /** The trials it was fitted on. */
  readonly trials: readonly ModelTrial[];
  /** Each candidate's cross-validated errors (empty with the fallback). */
  readonly evaluations: readonly ModelEvaluation[];
  /** Why the fallback was used, when it was. */
  readonly fallback?: string;
}

/**
 * Fits every candidate model on the migrated trials of `records`, cross-validates each (leave
 * one cell out, and one workload out with two or more), and returns the best by
 * leave-one-cell-out median total-time error, fitted on all the trials, with the evaluations.
 * With fewer than `minTrials` converged trials, or fewer than two cells, cross-validation is
 * impossible: the result is then the documented fallback, {@link uncalibratedPrecopyModel},
 * whose predictions carry an `uncalibrated` warning, and `fallback` says why.
 */
export function calibrateModels(records: readonly TrialRecord[], options: CalibrateOptions = {}): Calibration {
  const trials = modelTrials(records, options);
  const converged = trials.filter((t) => t.outcome.kind === 'converged').length;
  const cells = new Set(trials.map(cellGroup)).size;
  const min = options.minTrials ?? MIN_CALIBRATION_TRIALS;
  if (converged < min || cells < 2) {
    const model = uncalibratedPrecopyModel();
    return {
      model,
      chosen: model.name,
      trials,
      evaluations: [],
      fallback: `${converged} converged trial(s) in ${cells} cell(s): calibration needs ${min} in at least 2 cells`,
    };
  }
  const candidates = options.candidates ?? CANDIDATE_MODELS;
  const evaluations = evaluateModels(trials, candidates);
  const best = bestEvaluation(evaluations) as ModelEvaluation;
  const candidate = candidates.find((c) => c.name === best.model) as CandidateModel;
  return { model: candidate.fit(trials), chosen: best.model, trials, evaluations };
}

/**
 * The calibrated migration model for `records`: every candidate (Equation 1, Akoush et al.'s
 * AVG and HIST-style models, the regression) fitted and cross-validated, the best returned
 * ({@link calibrateModels} gives the evaluations too). With too few trials it returns the
 * uncalibrated pre-copy model, whose predictions warn `uncalibrated`.
 */
export function calibrateModel(records: readonly TrialRecord[], options: CalibrateOptions = {}): MigrationModel {
  return calibrateModels(records, options).model;
}
