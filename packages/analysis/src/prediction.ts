import { predictPrecopy } from './precopy.js';

/** What a migration model is told about one planned migration. */
export interface PredictionInput {
  /** Guest memory in MiB. */
  readonly memoryMiB: number;
  /** The guest's measured dirty rate in bytes per second. */
  readonly dirtyRateBps: number;
  /** Migration bandwidth in bytes per second (configured limit, link shaping, or a measured probe). */
  readonly bandwidthBps: number;
  /** Guest vCPUs. */
  readonly vcpus?: number;
  /** The guest's CPU use in percent of one CPU. */
  readonly cpuPercent?: number;
  /** Driver name (`qemu`, `xen`, ...): fixed stage costs are calibrated per driver. */
  readonly driver?: string;
  /** Host pair key (`sourceUri -> destinationUri`): fixed stage costs are calibrated per pair. */
  readonly hostPair?: string;
  /** The hypervisor's max downtime setting in ms (its default when absent). */
  readonly maxDowntimeMs?: number;
  /** Whether auto-converge throttling is on. */
  readonly autoConverge?: boolean;
  /** Whether the migration switches to post-copy. */
  readonly postCopy?: boolean;
}

/** A closed interval, for a predicted value's uncertainty. */
export interface PredictionInterval {
  /** Lower bound. */
  readonly low: number;
  /** Upper bound. */
  readonly high: number;
}

/** Something a model wants the caller to know about a prediction, e.g. that it extrapolates. */
export interface PredictionWarning {
  /** `outside-calibration`: an input lies outside the range the model was fitted on. */
  readonly code: 'outside-calibration' | 'uncalibrated';
  /** The {@link PredictionInput} field concerned, when there is one. */
  readonly field?: keyof PredictionInput;
  /** For people. */
  readonly message: string;
}

/** A model's answer for one planned migration. */
export type Prediction =
  | {
      /** `converges`: the migration is predicted to finish. */
      readonly kind: 'converges';
      /** Name of the model that predicted. */
      readonly model: string;
      /** Predicted total migration time in ms. */
      readonly totalTimeMs: number;
      /** Predicted downtime in ms. */
      readonly downtimeMs: number;
      /** Interval around `totalTimeMs`. */
      readonly totalTimeIntervalMs: PredictionInterval;
      /** Interval around `downtimeMs`. */
      readonly downtimeIntervalMs: PredictionInterval;
      /** Warnings, empty when the inputs lie where the model was calibrated. */
      readonly warnings: readonly PredictionWarning[];
    }
  | {
      /** `non-convergent`: pre-copy is predicted never to reach its stop condition. */
      readonly kind: 'non-convergent';
      /** Name of the model that predicted. */
      readonly model: string;
      /** Why, for people. */
      readonly reason: string;
      /** Warnings, as for a converging prediction. */
      readonly warnings: readonly PredictionWarning[];
    };

/** A model that predicts a migration's total time and downtime before it happens. */
export interface MigrationModel {
  /** The model's name, as reports and `virtmig predict` show it. */
  readonly name: string;
  /**
   * Predicts one migration.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for negative, zero (memory, bandwidth) or non-finite inputs.
   */
  predict(input: PredictionInput): Prediction;
}

/**
 * The pre-copy model ({@link predictPrecopy}) with no fixed stage costs and no calibration: what
 * is left when no measured trials exist. Its predictions carry an `uncalibrated` warning and a
 * point interval, because nothing measured says how far off they are.
 */
export function uncalibratedPrecopyModel(): MigrationModel {
  const name = 'precopy-uncalibrated';
  const warnings: readonly PredictionWarning[] = [
    { code: 'uncalibrated', message: 'no measured trials: pre-copy transfer time only, no fixed stage costs' },
  ];
  return {
    name,
    predict(input) {
      const p = predictPrecopy({
        memoryBytes: input.memoryMiB * 1024 * 1024,
        bandwidthBps: input.bandwidthBps,
        dirtyRateBps: input.dirtyRateBps,
        ...(input.maxDowntimeMs === undefined ? {} : { maxDowntimeMs: input.maxDowntimeMs }),
      });
      if (p.kind === 'non-convergent') return { kind: 'non-convergent', model: name, reason: p.reason, warnings };
      return {
        kind: 'converges',
        model: name,
        totalTimeMs: p.totalTimeMs,
        downtimeMs: p.downtimeMs,
        totalTimeIntervalMs: { low: p.totalTimeMs, high: p.totalTimeMs },
        downtimeIntervalMs: { low: p.downtimeMs, high: p.downtimeMs },
        warnings,
      };
    },
  };
}
