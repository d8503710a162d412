import { isVirtmigError } from '@virtmig/core';
import type { MigrationModel, Prediction } from '../prediction.js';
import { quantile } from '../stats.js';
import { fitAvg, fitHist } from './akoush.js';
import { fitEquation1 } from './equation1.js';
import { type ModelTrial, verdictAgrees } from './inputs.js';
import { fitRegression } from './regression-model.js';

/** A model that can be fitted on trials. */
export interface CandidateModel {
  /** The fitted model's name. */
  readonly name: string;
  /**
   * Fits the model.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when the trials are too few for it.
   */
  readonly fit: (trials: readonly ModelTrial[]) => MigrationModel;
}

/** Every model {@link calibrateModel} chooses from, in order of preference on a tie. */
export const CANDIDATE_MODELS: readonly CandidateModel[] = [
  { name: 'equation1', fit: (t) => fitEquation1(t).model },
  { name: 'akoush-hist', fit: fitHist },
  { name: 'akoush-avg', fit: fitAvg },
  { name: 'regression', fit: fitRegression },
];

/** One held-out trial's prediction and its errors. */
export interface HeldOutPrediction {
  /** The trial. */
  readonly trial: ModelTrial;
  /** What the model fitted without the trial's fold predicted. */
  readonly prediction: Prediction;
  /**
   * |predicted − measured| / measured total time; 0 for a migration aborted at its timeout that
   * the model said would not converge, or not finish by then; 1 when that verdict is wrong (see
   * {@link verdictAgrees}: a migration that never ends has no time to compare).
   */
  readonly totalError: number;
  /** The same for downtime; null unless both converged and a downtime was measured (and is > 0). */
  readonly downtimeError: number | null;
}

/** Errors of one model under one cross-validation. */
export interface ModelErrors {
  /** Held-out trials predicted. */
  readonly trials: number;
  /** Those of them that finished (the total-time errors are over these). */
  readonly finishedTrials: number;
  /**
   * Median absolute percentage error of total time over the finished trials, as a fraction (1
   * for one predicted not to converge).
   */
  readonly medianTotal: number | null;
  /** 90th percentile of the same. */
  readonly p90Total: number | null;
  /** Median absolute percentage error of downtime, as a fraction. */
  readonly medianDowntime: number | null;
  /** 90th percentile of the same. */
  readonly p90Downtime: number | null;
  /** Held-out trials, finished or aborted, whose verdict on finishing was wrong ({@link verdictAgrees}). */
  readonly wrongVerdicts: number;
}

/** The error of `prediction` against what `trial` measured. */
export function predictionErrors(
  trial: ModelTrial,
  prediction: Prediction,
): Pick<HeldOutPrediction, 'totalError' | 'downtimeError'> {
  const o = trial.outcome;
  const predictedTotal = prediction.kind === 'converges' ? prediction.totalTimeMs : undefined;
  if (!verdictAgrees(o, predictedTotal)) return { totalError: 1, downtimeError: null };
  if (o.kind === 'non-converged' || prediction.kind === 'non-convergent') return { totalError: 0, downtimeError: null };
  const totalError = Math.abs(prediction.totalTimeMs - o.totalTimeMs) / Math.max(o.totalTimeMs, 1);
  const downtimeError =
    o.downtimeMs !== undefined && o.downtimeMs > 0
      ? Math.abs(prediction.downtimeMs - o.downtimeMs) / o.downtimeMs
      : null;
  return { totalError, downtimeError };
}

/**
 * Cross-validates `candidate`: for each group of `groupOf`, fits on the other groups' trials and
 * predicts the group's. A fold whose training trials are too few for the model is left out.
 */
export function crossValidate(
  trials: readonly ModelTrial[],
  candidate: CandidateModel,
  groupOf: (t: ModelTrial) => string,
): HeldOutPrediction[] {
  const groups = [...new Set(trials.map(groupOf))];
  const out: HeldOutPrediction[] = [];
  for (const g of groups) {
    const train = trials.filter((t) => groupOf(t) !== g);
    if (!train.some((t) => t.outcome.kind === 'converged')) continue;
    let model: MigrationModel;
    try {
      model = candidate.fit(train);
    } catch (e) {
      if (isVirtmigError(e, 'E_INVALID_ARGUMENT')) continue;
      throw e;
    }
    for (const t of trials.filter((x) => groupOf(x) === g)) {
      const prediction = model.predict(t.input);
      out.push({ trial: t, prediction, ...predictionErrors(t, prediction) });
    }
  }
  return out;
}

/** Median and 90th percentile of the held-out errors. */
export function summarizeErrors(preds: readonly HeldOutPrediction[]): ModelErrors {
  // Only a finished migration has a time to compare; aborted ones count in wrongVerdicts.
  const totals = preds.filter((p) => p.trial.outcome.kind === 'converged').map((p) => p.totalError);
  const downs = preds.map((p) => p.downtimeError).filter((x): x is number => x !== null);
  const q = (xs: number[], p: number) => (xs.length ? quantile(xs, p) : null);
  return {
    trials: preds.length,
    finishedTrials: totals.length,
    medianTotal: q(totals, 0.5),
    p90Total: q(totals, 0.9),
    medianDowntime: q(downs, 0.5),
    p90Downtime: q(downs, 0.9),
    wrongVerdicts: preds.filter(
      (p) => !verdictAgrees(p.trial.outcome, p.prediction.kind === 'converges' ? p.prediction.totalTimeMs : undefined),
    ).length,
  };
}

/** The matrix cell of a trial (with its experiment): the leave-one-cell-out group. */
export function cellGroup(t: ModelTrial): string {
  const r = t.record;
  return JSON.stringify([r.experimentId, r.workload, r.ramMiB, r.vcpus, r.capPercent, r.hostCores]);
}

/** The workload of a trial: the leave-one-workload-out group. */
export function workloadGroup(t: ModelTrial): string {
  return t.record.workload;
}

/** One candidate's cross-validated errors. */
export interface ModelEvaluation {
  /** The model's name. */
  readonly model: string;
  /** Leave-one-cell-out errors. */
  readonly byCell: ModelErrors;
  /** Leave-one-workload-out errors; null with fewer than two workloads. */
  readonly byWorkload: ModelErrors | null;
  /** The leave-one-cell-out predictions, for plots and the bench. */
  readonly heldOut: readonly HeldOutPrediction[];
}

/** Cross-validates every candidate, leave-one-cell-out and (with two workloads or more) leave-one-workload-out. */
export function evaluateModels(
  trials: readonly ModelTrial[],
  candidates: readonly CandidateModel[] = CANDIDATE_MODELS,
): ModelEvaluation[] {
  const workloads = new Set(trials.map(workloadGroup)).size;
  return candidates.map((c) => {
    const heldOut = crossValidate(trials, c, cellGroup);
    return {
      model: c.name,
      byCell: summarizeErrors(heldOut),
      byWorkload: workloads >= 2 ? summarizeErrors(crossValidate(trials, c, workloadGroup)) : null,
      heldOut,
    };
  });
}

/**
 * The best evaluation: least leave-one-cell-out median total-time error, then least 90th
 * percentile, then the candidates' order. Models that predicted nothing come last.
 */
export function bestEvaluation(evaluations: readonly ModelEvaluation[]): ModelEvaluation | undefined {
  const key = (e: ModelEvaluation) => [e.byCell.medianTotal ?? Infinity, e.byCell.p90Total ?? Infinity];
  return evaluations.reduce<ModelEvaluation | undefined>((best, e) => {
    if (best === undefined) return e;
    const [a0, a1] = key(e) as [number, number];
    const [b0, b1] = key(best) as [number, number];
    return a0 < b0 - 1e-12 || (Math.abs(a0 - b0) <= 1e-12 && a1 < b1 - 1e-12) ? e : best;
  }, undefined);
}
