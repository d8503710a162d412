/** The hypervisor's pre-copy convergence rule and the guest's dirtying, for {@link simulatePrecopyRounds}. */
export interface RoundParams {
  /** Bytes the first round sends. */
  readonly memoryBytes: number;
  /** Link rate in bytes per second. */
  readonly bandwidthBps: number;
  /** Bytes the guest dirties during a round of `seconds` at throttle `throttle` (0..1 of its CPU taken away). */
  readonly dirtied: (seconds: number, throttle: number) => number;
  /** The stop-and-copy starts once the bytes left fit in this downtime at the link rate. */
  readonly maxDowntimeMs: number;
  /**
   * Rounds after which the hypervisor stops and copies whatever is left (Xen's classic 30);
   * `Infinity` for QEMU, which keeps going until the threshold is met or the job is aborted.
   */
  readonly maxIterations: number;
  /**
   * QEMU's auto-converge: once a round dirties more than half of what it sent, the vCPUs are
   * throttled by 20 %, then 10 % more per such round, up to 99 %.
   */
  readonly autoConverge: boolean;
}

/** The outcome of {@link simulatePrecopyRounds}. */
export type RoundsOutcome =
  | {
      /** `converges`: the threshold (or the iteration limit) ended pre-copy. */
      readonly kind: 'converges';
      /** Pre-copy rounds before the stop-and-copy. */
      readonly rounds: number;
      /** Time of the pre-copy rounds, ms. */
      readonly precopyMs: number;
      /** Bytes the stop-and-copy sends. */
      readonly stopAndCopyBytes: number;
      /** Why pre-copy ended. */
      readonly stopReason: 'threshold' | 'max-iterations';
      /** The throttle in force at the end (0 without auto-converge). */
      readonly throttle: number;
    }
  | {
      /** `non-convergent`: the bytes left stop shrinking before they fit under the threshold. */
      readonly kind: 'non-convergent';
      /** Bytes left when the simulation gave up. */
      readonly remainingBytes: number;
      /** Why, for people. */
      readonly reason: string;
    };

/** Beyond this many rounds a migration is not converging in any useful sense. */
const ROUND_LIMIT = 1000;
const THROTTLE_INITIAL = 0.2;
const THROTTLE_INCREMENT = 0.1;
const THROTTLE_MAX = 0.99;

/**
 * Runs the pre-copy rounds of a live migration: each round sends what the previous one left
 * (the first sends the memory) and takes bytes / bandwidth; the guest dirties
 * `dirtied(round time, throttle)` meanwhile. It stops when the bytes left fit in the max downtime
 * at the link rate, or at the iteration limit (then copying whatever is left, however long that
 * pauses the guest); without a limit it says non-convergent when the bytes left no longer
 * shrink (and auto-converge, if on, can throttle no further).
 */
export function simulatePrecopyRounds(p: RoundParams): RoundsOutcome {
  const threshold = (p.bandwidthBps * p.maxDowntimeMs) / 1000;
  let remaining = p.memoryBytes;
  let precopyMs = 0;
  let throttle = 0;
  let rounds = 0;
  while (remaining > threshold) {
    if (rounds >= p.maxIterations) {
      return {
        kind: 'converges',
        rounds,
        precopyMs,
        stopAndCopyBytes: remaining,
        stopReason: 'max-iterations',
        throttle,
      };
    }
    const seconds = remaining / p.bandwidthBps;
    const next = Math.max(0, p.dirtied(seconds, throttle));
    precopyMs += seconds * 1000;
    rounds += 1;
    const canThrottle = p.autoConverge && throttle < THROTTLE_MAX;
    if (p.autoConverge && next > remaining / 2) {
      throttle = throttle === 0 ? THROTTLE_INITIAL : Math.min(THROTTLE_MAX, throttle + THROTTLE_INCREMENT);
    }
    const unlimited = p.maxIterations === Number.POSITIVE_INFINITY;
    if (unlimited && ((next >= remaining && !canThrottle) || rounds >= ROUND_LIMIT)) {
      return {
        kind: 'non-convergent',
        remainingBytes: next,
        reason:
          `the guest re-dirties ${Math.round(next)} of the ${Math.round(remaining)} bytes a round sends, so the bytes left ` +
          `never fit the ${Math.round(threshold)}-byte stop threshold (${p.maxDowntimeMs} ms at the link rate)`,
      };
    }
    remaining = next;
  }
  return { kind: 'converges', rounds, precopyMs, stopAndCopyBytes: remaining, stopReason: 'threshold', throttle };
}

/** The convergence rule's iteration limit for a driver: Xen's 30 rounds, unlimited for QEMU and the rest. */
export function driverIterationLimit(driver: string | undefined): number {
  return driver === 'xen' ? 30 : Number.POSITIVE_INFINITY;
}
