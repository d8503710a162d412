import { InvalidArgumentError } from '@virtmig/core';

/** Inputs of the pre-copy migration model. */
export interface PrecopyParams {
  /** Guest memory M in bytes. */
  readonly memoryBytes: number;
  /** Migration bandwidth R in bytes per second. */
  readonly bandwidthBps: number;
  /** Guest dirty rate D in bytes per second. */
  readonly dirtyRateBps: number;
  /**
   * Stop copying once the remaining memory could be sent within this downtime (QEMU's
   * `downtime-limit`; its default, 300 ms, is used when neither this nor `thresholdBytes` is given).
   */
  readonly maxDowntimeMs?: number;
  /** Stop copying once this many bytes remain; overrides `maxDowntimeMs`. */
  readonly thresholdBytes?: number;
  /** Stop after this many pre-copy rounds even if the threshold is not met (default 30, Xen's classic limit). */
  readonly maxIterations?: number;
  /** Time to resume the guest on the destination, in ms (default 0). */
  readonly resumeTimeMs?: number;
}

/** Why the model stopped pre-copying. */
export type PrecopyStopReason = 'threshold' | 'max-iterations';

/** What the pre-copy model predicts. */
export type PrecopyPrediction =
  | {
      /** `converges`: pre-copy reaches the threshold (or the iteration limit) and stops. */
      readonly kind: 'converges';
      /** lambda = dirty rate / bandwidth. */
      readonly lambda: number;
      /** Pre-copy rounds n after the first full copy; round n is the stop-and-copy. */
      readonly rounds: number;
      /** Whether the threshold or the iteration limit ended pre-copy. */
      readonly stopReason: PrecopyStopReason;
      /** Remaining bytes the stop-and-copy sends: M lambda^n. */
      readonly stopAndCopyBytes: number;
      /** Bytes sent in all: M (1 - lambda^(n+1)) / (1 - lambda). */
      readonly transferredBytes: number;
      /** Predicted total migration time in ms. */
      readonly totalTimeMs: number;
      /** Predicted downtime (the stop-and-copy plus resume) in ms. */
      readonly downtimeMs: number;
      /** Bytes below which the stop-and-copy starts. */
      readonly thresholdBytes: number;
    }
  | {
      /** `non-convergent`: the guest dirties memory at least as fast as the link sends it, so the remainder never shrinks. */
      readonly kind: 'non-convergent';
      /** lambda = dirty rate / bandwidth (at least 1 here). */
      readonly lambda: number;
      /** Bytes below which the stop-and-copy would start. */
      readonly thresholdBytes: number;
      /** Why no prediction can be made, for people. */
      readonly reason: string;
    };

const DEFAULT_MAX_DOWNTIME_MS = 300;
const DEFAULT_MAX_ITERATIONS = 30;

function check(v: unknown, field: string, positive: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    throw new InvalidArgumentError(
      field,
      `must be a finite number ${positive ? '> 0' : '>= 0'}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * Predicts total migration time and downtime of a pre-copy live migration (Clark et al.;
 * Akoush et al.). With lambda = D / R, memory M, bandwidth R and n rounds:
 *
 *   total = M (1 - lambda^(n+1)) / (R (1 - lambda)) + resume,  downtime = M lambda^n / R + resume.
 *
 * n is the first round whose remaining memory M lambda^n fits under the threshold (R x max
 * downtime, or `thresholdBytes`), or `maxIterations` if that comes first. The resume time is
 * added to the total too, because a migration has not finished until the guest runs on the
 * destination. When lambda >= 1 and the memory does not fit under the threshold at once the
 * remaining memory never shrinks, and the result says `non-convergent` instead of a number.
 * Throws `E_INVALID_ARGUMENT` for negative, zero (memory, bandwidth) or non-finite inputs.
 */
export function predictPrecopy(params: PrecopyParams): PrecopyPrediction {
  const M = check(params.memoryBytes, 'memoryBytes', true);
  const R = check(params.bandwidthBps, 'bandwidthBps', true);
  const D = check(params.dirtyRateBps, 'dirtyRateBps', false);
  const maxDowntimeMs = check(params.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS, 'maxDowntimeMs', false);
  const resumeMs = check(params.resumeTimeMs ?? 0, 'resumeTimeMs', false);
  const maxIterations = params.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new InvalidArgumentError('maxIterations', `must be an integer >= 0, got ${JSON.stringify(maxIterations)}`);
  }
  const threshold =
    params.thresholdBytes !== undefined
      ? check(params.thresholdBytes, 'thresholdBytes', false)
      : (R * maxDowntimeMs) / 1000;
  const lambda = D / R;

  let n = 0;
  let remaining = M;
  let stopReason: PrecopyStopReason = 'threshold';
  while (remaining > threshold) {
    if (lambda >= 1) {
      return {
        kind: 'non-convergent',
        lambda,
        thresholdBytes: threshold,
        reason:
          `the guest dirties memory at ${lambda.toFixed(2)} x the bandwidth (lambda >= 1), so the ` +
          `${M} bytes left never shrink below the ${Math.round(threshold)}-byte stop threshold`,
      };
    }
    if (n >= maxIterations) {
      stopReason = 'max-iterations';
      break;
    }
    n += 1;
    remaining = M * lambda ** n;
  }
  // For lambda = 1 the geometric sum is n + 1 full copies; only n = 0 reaches here then.
  const transferred = lambda === 1 ? M * (n + 1) : (M * (1 - lambda ** (n + 1))) / (1 - lambda);
  return {
    kind: 'converges',
    lambda,
    rounds: n,
    stopReason,
    stopAndCopyBytes: remaining,
    transferredBytes: transferred,
    totalTimeMs: (transferred / R) * 1000 + resumeMs,
    downtimeMs: (remaining / R) * 1000 + resumeMs,
    thresholdBytes: threshold,
  };
}

/** |predicted - measured| / measured, or null when the measured value is 0. */
export function relativeError(predicted: number, measured: number): number | null {
  if (measured === 0) return null;
  return Math.abs(predicted - measured) / Math.abs(measured);
}
