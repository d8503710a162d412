import { InvalidArgumentError } from '@virtmig/core';
import type { PredictionInput, PredictionWarning } from '../prediction.js';
import type { TrialRecord } from '../records.js';

/** QEMU's default `downtime-limit` in ms, used when neither the input nor the calibration gives one. */
export const DEFAULT_MAX_DOWNTIME_MS = 300;

/** Settings of the trials' migrations that the records do not carry (they are in the spec). */
export interface TrialSettings {
  /** The migrations' max downtime in ms (default {@link DEFAULT_MAX_DOWNTIME_MS}). */
  readonly maxDowntimeMs?: number;
  /** Whether the migrations ran with auto-converge (default false). */
  readonly autoConverge?: boolean;
}

/** What a trial's migration measured: finished (total time, downtime) or did not converge. */
export type MeasuredOutcome =
  | {
      /** `converged`: the migration finished. */
      readonly kind: 'converged';
      /** Measured total time, ms. */
      readonly totalTimeMs: number;
      /** Measured downtime, ms, when one was measured. */
      readonly downtimeMs?: number;
    }
  | {
      /** `non-converged`: aborted at the spec's timeout with the guest on the source. */
      readonly kind: 'non-converged';
      /** The timeout, ms: a migration predicted to take longer would not have finished either. */
      readonly timeoutMs: number;
    };

/** A trial as the models see it: the inputs a prediction would have had, and what happened. */
export interface ModelTrial {
  /** The trial record it came from. */
  readonly record: TrialRecord;
  /** The inputs a model is given for it. */
  readonly input: PredictionInput;
  /** What the migration measured. */
  readonly outcome: MeasuredOutcome;
}

const MiB = 1024 * 1024;
/** The dirtier's score unit: the MiB/s it wrote (whatever label the spec gave the workload). */
const DIRTIER_SCORE_UNIT = 'MiB/s';

function cpuMean(r: TrialRecord): number | undefined {
  if (r.cpuSamples.length === 0) return undefined;
  return r.cpuSamples.reduce((s, x) => s + x.domainPercentOfCpu, 0) / r.cpuSamples.length;
}

/**
 * The guest's dirty rate for a trial: the migration's own reading when it is positive, else,
 * for the dirtier, the rate it achieved (its score, in MiB/s) when a run of it finished in the
 * measure window, else the rate the spec set (`rateMbps`); 0 for the other workloads.
 * Under TCG the hypervisor's reading is 0, which is why the dirtier's score is the fallback.
 */
export function trialDirtyRateBps(r: TrialRecord): number {
  const measured = r.migration?.dirtyRateBps;
  if (measured !== undefined && measured > 0) return measured;
  if (r.workloadScoreUnit === DIRTIER_SCORE_UNIT && r.workloadScore > 0) return r.workloadScore * MiB;
  return (r.workloadOptions?.rateMbps ?? 0) * MiB;
}

/**
 * A trial as a model sees it: RAM, dirty rate ({@link trialDirtyRateBps}), the bandwidth the
 * migration measured, vCPUs, CPU use, driver and host pair, with the spec's settings. Undefined
 * for a trial that did not migrate or has no bandwidth to go on.
 */
export function modelTrial(r: TrialRecord, settings: TrialSettings = {}): ModelTrial | undefined {
  const m = r.migration;
  const nc = r.nonConverged;
  const bandwidthBps = m?.memoryBandwidthBps ?? nc?.memoryBandwidthBps;
  const sourceUri = m?.sourceUri ?? nc?.sourceUri;
  const destinationUri = m?.destinationUri ?? nc?.destinationUri;
  if (bandwidthBps === undefined || !(bandwidthBps > 0) || sourceUri === undefined) return undefined;
  const cpu = cpuMean(r);
  const input: PredictionInput = {
    memoryMiB: r.ramMiB,
    dirtyRateBps: trialDirtyRateBps(r),
    bandwidthBps,
    vcpus: r.vcpus,
    ...(cpu === undefined ? {} : { cpuPercent: cpu }),
    driver: driverOf(sourceUri),
    hostPair: `${sourceUri} -> ${destinationUri}`,
    maxDowntimeMs: settings.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS,
    autoConverge: settings.autoConverge ?? false,
    postCopy: m?.postCopy ?? false,
  };
  const outcome: MeasuredOutcome = m
    ? {
        kind: 'converged',
        totalTimeMs: m.totalTimeMs,
        ...(m.downtimeMs === undefined ? {} : { downtimeMs: m.downtimeMs }),
      }
    : { kind: 'non-converged', timeoutMs: nc?.timeoutMs ?? Number.POSITIVE_INFINITY };
  return { record: r, input, outcome };
}

/** The driver of a libvirt URI: its scheme up to `+` (`qemu+tls://...` is `qemu`). */
export function driverOf(uri: string): string {
  return /^([a-z0-9]+)/i.exec(uri)?.[1]?.toLowerCase() ?? uri;
}

/**
 * Whether a predicted outcome agrees with the measured one on finishing: a migration that was
 * aborted at its timeout agrees with a prediction of non-convergence or of a total time at least
 * that long (it would not have finished by then either); a finished one with a converging
 * prediction.
 */
export function verdictAgrees(outcome: MeasuredOutcome, predictedTotalMs: number | undefined): boolean {
  if (outcome.kind === 'converged') return predictedTotalMs !== undefined;
  return predictedTotalMs === undefined || predictedTotalMs >= outcome.timeoutMs;
}

/** Every migrated (or non-converged) trial of `records` as {@link ModelTrial}s. */
export function modelTrials(records: readonly TrialRecord[], settings: TrialSettings = {}): ModelTrial[] {
  return records.map((r) => modelTrial(r, settings)).filter((t): t is ModelTrial => t !== undefined);
}

/**
 * Checks a {@link PredictionInput}.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` naming the first bad field.
 */
export function checkPredictionInput(input: PredictionInput): void {
  const positive = (v: unknown, field: string, allowZero: boolean): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      throw new InvalidArgumentError(
        field,
        `must be a finite number ${allowZero ? '>= 0' : '> 0'}, got ${JSON.stringify(v)}`,
      );
    }
  };
  positive(input.memoryMiB, 'memoryMiB', false);
  positive(input.bandwidthBps, 'bandwidthBps', false);
  positive(input.dirtyRateBps, 'dirtyRateBps', true);
  if (input.vcpus !== undefined) positive(input.vcpus, 'vcpus', false);
  if (input.cpuPercent !== undefined) positive(input.cpuPercent, 'cpuPercent', true);
  if (input.maxDowntimeMs !== undefined) positive(input.maxDowntimeMs, 'maxDowntimeMs', true);
}

/** The numeric inputs whose calibrated range a model checks. */
export type RangedField = 'memoryMiB' | 'dirtyRateBps' | 'bandwidthBps' | 'vcpus' | 'cpuPercent';

/** The smallest and largest value of one input. */
export interface Bounds {
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
}

/** The range of each numeric input over the trials a model was fitted on. */
export type FitRange = Readonly<Partial<Record<RangedField, Bounds>>>;

const RANGED: readonly RangedField[] = ['memoryMiB', 'dirtyRateBps', 'bandwidthBps', 'vcpus', 'cpuPercent'];

/** The range of every numeric input over `inputs`. */
export function fitRange(inputs: readonly PredictionInput[]): FitRange {
  const out: Partial<Record<RangedField, { min: number; max: number }>> = {};
  for (const f of RANGED) {
    const xs = inputs.map((i) => i[f]).filter((x): x is number => x !== undefined);
    if (xs.length) out[f] = { min: Math.min(...xs), max: Math.max(...xs) };
  }
  return out;
}

/**
 * Relative slack at the ends of a fitted range: a measured input wobbles by a few percent from
 * trial to trial, which is not extrapolation.
 */
const RANGE_SLACK = 0.05;

/** `outside-calibration` warnings for every input of `input` outside `range` (by more than 5 %). */
export function rangeWarnings(range: FitRange, input: PredictionInput): PredictionWarning[] {
  const out: PredictionWarning[] = [];
  for (const f of RANGED) {
    const v = input[f];
    const r = range[f];
    if (v === undefined || r === undefined) continue;
    const slack = RANGE_SLACK * Math.max(Math.abs(r.min), Math.abs(r.max));
    if (v < r.min - slack || v > r.max + slack) {
      out.push({
        code: 'outside-calibration',
        field: f,
        message: `${f} ${v} lies outside the calibrated range ${r.min}..${r.max}: the prediction extrapolates`,
      });
    }
  }
  return out;
}
