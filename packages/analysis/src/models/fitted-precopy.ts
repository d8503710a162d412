import type { MigrationModel, Prediction, PredictionInput, PredictionInterval } from '../prediction.js';
import { quantile } from '../stats.js';
import {
  checkPredictionInput,
  DEFAULT_MAX_DOWNTIME_MS,
  type FitRange,
  fitRange,
  type ModelTrial,
  rangeWarnings,
} from './inputs.js';
import { driverIterationLimit, type RoundsOutcome, simulatePrecopyRounds } from './rounds.js';

const MiB = 1024 * 1024;

/** What a round-by-round pre-copy model was calibrated to; see {@link fittedPrecopyModel}. */
export interface PrecopyCalibration {
  /** The model's name. */
  readonly name: string;
  /** Bytes the first round sends for a guest of this RAM (less than the RAM: QEMU skips zero pages). */
  readonly firstRoundBytes: (ramMiB: number) => number;
  /**
   * Bytes the guest dirties in a round of `seconds` at `dirtyRateBps`, before the throttle and
   * the cap at the memory the first round sent.
   */
  readonly dirtiedBytes: (dirtyRateBps: number, seconds: number) => number;
  /** Time the stages around the transfer take (reservation, initialisation, commitment, activation), ms. */
  readonly fixedMs: (input: PredictionInput) => number;
  /** Time the switch-over costs beyond sending the last round, ms (part of the downtime). */
  readonly switchOverMs: number;
  /** Share of the simulated last round the stop-and-copy sends (1 unless fitted: see `switchOverFit`). */
  readonly lastRoundScale?: number;
  /** Inputs' range over the calibration trials. */
  readonly range: FitRange;
  /** 10th and 90th percentile of measured / predicted total time on the calibration trials. */
  readonly totalSpread: PredictionInterval;
  /** The same for downtime. */
  readonly downtimeSpread: PredictionInterval;
}

/** The transfer part of a prediction: rounds by the hypervisor's convergence rule. */
export function precopyRounds(
  cal: Pick<PrecopyCalibration, 'firstRoundBytes' | 'dirtiedBytes'>,
  input: PredictionInput,
): RoundsOutcome {
  const memoryBytes = Math.min(input.memoryMiB * MiB, Math.max(MiB, cal.firstRoundBytes(input.memoryMiB)));
  return simulatePrecopyRounds({
    memoryBytes,
    bandwidthBps: input.bandwidthBps,
    dirtied: (seconds, throttle) =>
      Math.min(memoryBytes, cal.dirtiedBytes(input.dirtyRateBps * (1 - throttle), seconds)),
    maxDowntimeMs: input.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS,
    maxIterations: driverIterationLimit(input.driver),
    autoConverge: input.autoConverge ?? false,
  });
}

/** A point prediction: total and downtime, or why pre-copy does not converge. */
export type PointPrediction =
  | {
      /** Total time, ms. */
      readonly totalTimeMs: number;
      /** Downtime, ms. */
      readonly downtimeMs: number;
    }
  | {
      /** Why pre-copy does not converge. */
      readonly reason: string;
    };

/** What a calibration's own trials say about it: the spread of its errors and the inputs' range. */
export interface CalibrationSpreads {
  /** 10th-90th percentile of measured / predicted total time. */
  readonly totalSpread: PredictionInterval;
  /** The same for downtime. */
  readonly downtimeSpread: PredictionInterval;
  /** The inputs' range. */
  readonly range: FitRange;
}

/** Point prediction (no warnings, no interval) of a calibration: total and downtime in ms, or non-convergent. */
export function pointPrediction(
  cal: Omit<PrecopyCalibration, 'name' | 'range' | 'totalSpread' | 'downtimeSpread'>,
  input: PredictionInput,
): PointPrediction {
  const r = precopyRounds(cal, input);
  if (r.kind === 'non-convergent') return { reason: r.reason };
  const lastRoundMs = (cal.lastRoundScale ?? 1) * (r.stopAndCopyBytes / input.bandwidthBps) * 1000;
  const downtimeMs = lastRoundMs + cal.switchOverMs;
  return { totalTimeMs: cal.fixedMs(input) + r.precopyMs + downtimeMs, downtimeMs };
}

/** 10th-90th percentile of measured / predicted over `pairs`, [1, 1] when there are none. */
export function spreadOf(
  pairs: readonly { readonly predicted: number; readonly measured: number }[],
): PredictionInterval {
  const ratios = pairs.filter((p) => p.predicted > 0).map((p) => p.measured / p.predicted);
  if (ratios.length === 0) return { low: 1, high: 1 };
  return { low: Math.min(1, quantile(ratios, 0.1)), high: Math.max(1, quantile(ratios, 0.9)) };
}

/** Spreads of a calibration's point predictions on its own trials. */
export function calibrationSpreads(
  cal: Omit<PrecopyCalibration, 'name' | 'range' | 'totalSpread' | 'downtimeSpread'>,
  trials: readonly ModelTrial[],
): CalibrationSpreads {
  const totals: { predicted: number; measured: number }[] = [];
  const downs: { predicted: number; measured: number }[] = [];
  for (const t of trials) {
    if (t.outcome.kind !== 'converged') continue;
    const p = pointPrediction(cal, t.input);
    if ('reason' in p) continue;
    totals.push({ predicted: p.totalTimeMs, measured: t.outcome.totalTimeMs });
    if (t.outcome.downtimeMs !== undefined) downs.push({ predicted: p.downtimeMs, measured: t.outcome.downtimeMs });
  }
  return {
    totalSpread: spreadOf(totals),
    downtimeSpread: spreadOf(downs),
    range: fitRange(trials.map((t) => t.input)),
  };
}

/**
 * A {@link MigrationModel} from a pre-copy calibration: total = fixed stages + pre-copy rounds +
 * last round at the link rate + switch-over; downtime = last round + switch-over; the interval
 * scales the point by the 10th-90th percentile of measured / predicted on the calibration
 * trials. Inputs outside the calibrated range give `outside-calibration` warnings.
 */
export function fittedPrecopyModel(cal: PrecopyCalibration): MigrationModel {
  return {
    name: cal.name,
    predict(input: PredictionInput): Prediction {
      checkPredictionInput(input);
      const warnings = rangeWarnings(cal.range, input);
      const p = pointPrediction(cal, input);
      if ('reason' in p) return { kind: 'non-convergent', model: cal.name, reason: p.reason, warnings };
      return {
        kind: 'converges',
        model: cal.name,
        totalTimeMs: p.totalTimeMs,
        downtimeMs: p.downtimeMs,
        totalTimeIntervalMs: { low: p.totalTimeMs * cal.totalSpread.low, high: p.totalTimeMs * cal.totalSpread.high },
        downtimeIntervalMs: {
          low: p.downtimeMs * cal.downtimeSpread.low,
          high: p.downtimeMs * cal.downtimeSpread.high,
        },
        warnings,
      };
    },
  };
}
