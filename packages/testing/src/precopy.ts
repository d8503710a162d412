import { assertInt, assertNumber } from '@virtmig/core';

/** Inputs of the pre-copy model. */
export interface PrecopyParams {
  /** Guest memory M in bytes. */
  readonly memoryBytes: number;
  /** Link bandwidth R in bytes per second. */
  readonly bandwidthBps: number;
  /** Guest dirty rate D in bytes per second. */
  readonly dirtyRateBps: number;
  /** Stop iterating once the remaining dirty memory can be sent within this many ms. */
  readonly maxDowntimeMs: number;
  /** Forced stop-and-copy after this many rounds (Xen's pre-copy gives up after 30). */
  readonly maxIterations: number;
  /** Time before the first round (initialisation and reservation), ms. */
  readonly setupMs: number;
  /** Commitment plus activation on the destination, ms: part of the downtime. */
  readonly resumeMs: number;
  /**
   * Throttle the guest when it does not converge, as QEMU's auto-converge does: from the
   * third round on, the dirty rate is cut by 20 %, then 10 % more each round, up to 99 %.
   */
  readonly autoConverge?: boolean;
}

/** One pre-copy round. */
export interface PrecopyRound {
  /** 1-based round number. */
  readonly iteration: number;
  /** Bytes sent in the round. */
  readonly bytes: number;
  /** How long the round took, ms. */
  readonly durationMs: number;
  /** Dirty rate while the round ran (lower than the guest's when throttled). */
  readonly dirtyRateBps: number;
}

/** The predicted course of one pre-copy migration. */
export interface PrecopyPlan {
  /** Dirty rate over bandwidth (lambda); below 1 the rounds shrink geometrically. */
  readonly lambda: number;
  /** The pre-copy rounds, in order. */
  readonly rounds: readonly PrecopyRound[];
  /** Bytes the stop-and-copy sends. */
  readonly stopAndCopyBytes: number;
  /** How long the stop-and-copy takes, ms. */
  readonly stopAndCopyMs: number;
  /** Stop-and-copy plus resume. */
  readonly downtimeMs: number;
  /** Setup, every round, stop-and-copy and resume. */
  readonly totalMs: number;
  /** Bytes sent in all. */
  readonly transferredBytes: number;
  /** False when the rounds hit `maxIterations` before the remainder fitted in `maxDowntimeMs`. */
  readonly converged: boolean;
}

/**
 * The classic pre-copy model (Clark et al. 2005; Akoush et al. 2010). Round 1 sends all of M;
 * round i+1 sends what the guest dirtied while round i ran, min(M, D * t_i). Iteration stops
 * when the remainder fits in the downtime budget or at `maxIterations`, and the remainder is
 * sent with the guest paused. Without throttling and clamping this is
 * total = setup + M(1 - lambda^(n+1)) / (R(1 - lambda)) + resume, downtime = M lambda^n / R + resume.
 */
export function planPrecopy(params: PrecopyParams): PrecopyPlan {
  assertNumber(params.memoryBytes, 'memoryBytes', 0, Number.MAX_SAFE_INTEGER);
  assertNumber(params.bandwidthBps, 'bandwidthBps', Number.MIN_VALUE, Number.MAX_VALUE);
  assertNumber(params.dirtyRateBps, 'dirtyRateBps', 0, Number.MAX_VALUE);
  assertNumber(params.maxDowntimeMs, 'maxDowntimeMs', 0, Number.MAX_VALUE);
  assertInt(params.maxIterations, 'maxIterations', 1, 10_000);
  assertNumber(params.setupMs, 'setupMs', 0, Number.MAX_VALUE);
  assertNumber(params.resumeMs, 'resumeMs', 0, Number.MAX_VALUE);

  const M = params.memoryBytes;
  const R = params.bandwidthBps;
  const msFor = (bytes: number): number => (bytes / R) * 1000;
  const rounds: PrecopyRound[] = [];
  let toSend = M;
  let throttle = 0;
  let converged = false;
  for (let i = 1; ; i++) {
    if (params.autoConverge && i >= 3) throttle = Math.min(0.99, throttle === 0 ? 0.2 : throttle + 0.1);
    const rate = params.dirtyRateBps * (1 - throttle);
    const durationMs = msFor(toSend);
    rounds.push({ iteration: i, bytes: toSend, durationMs, dirtyRateBps: rate });
    toSend = Math.min(M, (rate * durationMs) / 1000);
    if (msFor(toSend) <= params.maxDowntimeMs) {
      converged = true;
      break;
    }
    if (i >= params.maxIterations) break;
  }
  const stopAndCopyMs = msFor(toSend);
  const roundsMs = rounds.reduce((sum, r) => sum + r.durationMs, 0);
  const transferredBytes = rounds.reduce((sum, r) => sum + r.bytes, 0) + toSend;
  return {
    lambda: params.dirtyRateBps / R,
    rounds,
    stopAndCopyBytes: toSend,
    stopAndCopyMs,
    downtimeMs: stopAndCopyMs + params.resumeMs,
    totalMs: params.setupMs + roundsMs + stopAndCopyMs + params.resumeMs,
    transferredBytes,
    converged,
  };
}
