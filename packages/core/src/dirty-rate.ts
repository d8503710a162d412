import { InvalidArgumentError } from './errors.js';
import type { Hypervisor } from './hypervisor.js';

/**
 * How a hypervisor finds the pages a guest dirtied while it measures (QEMU's calc-dirty-rate
 * modes): `page-sampling` hashes a random sample of pages at the start and the end of the
 * period; `dirty-bitmap` counts every page through the hypervisor's dirty log; `dirty-ring`
 * reads KVM's per-vCPU dirty rings, so it also gives a rate per vCPU.
 */
export type DirtyRateMode = 'page-sampling' | 'dirty-bitmap' | 'dirty-ring';

/** Every {@link DirtyRateMode}, in the order callers should prefer them when they care about cost. */
export const DIRTY_RATE_MODES: readonly DirtyRateMode[] = Object.freeze([
  'page-sampling',
  'dirty-bitmap',
  'dirty-ring',
]);

/** Options of {@link DirtyRateCapable.measureDirtyRate}. */
export interface DirtyRateOptions {
  /** Length of the measurement in whole seconds, 1 to 60 (default 1). */
  readonly periodSeconds?: number;
  /** How the pages are found (default `page-sampling`, the mode every QEMU offers). */
  readonly mode?: DirtyRateMode;
  /** Aborts the wait for the result (the hypervisor's own measurement then runs out on its own). */
  readonly signal?: AbortSignal;
}

/** One dirty-rate measurement of a running guest. */
export interface DirtyRateMeasurement {
  /** The domain measured. */
  readonly domain: string;
  /** Memory the guest dirtied per second over the period, in bytes per second. */
  readonly bytesPerSecond: number;
  /** The mode the hypervisor measured with. */
  readonly mode: DirtyRateMode;
  /** The measured period in seconds. */
  readonly periodSeconds: number;
  /** When the measurement started, in ms since the Unix epoch (as seen by virtmig). */
  readonly startedAt: number;
  /** Bytes per second per vCPU (index = vCPU number), when the mode gives them (`dirty-ring`). */
  readonly perVcpuBytesPerSecond?: readonly number[];
}

/**
 * A hypervisor that can measure how fast a running guest dirties its memory, the input a
 * pre-copy model needs before a migration starts.
 */
export interface DirtyRateCapable {
  /** The modes this driver and host can measure with; empty when it can measure none. */
  readonly dirtyRateModes: ReadonlySet<DirtyRateMode>;
  /**
   * Measures domain `name` for `options.periodSeconds` and resolves with the rate.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad name, period or mode.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the domain is not running.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` (with `details.reason`) when the mode is not in {@link dirtyRateModes} or the hypervisor cannot measure this domain.
   * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `options.signal` aborts the wait.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after the connection was closed.
   */
  measureDirtyRate(name: string, options?: DirtyRateOptions): Promise<DirtyRateMeasurement>;
}

/** Narrowing helper: can this hypervisor measure dirty rates (at least declare that it cannot)? */
export function isDirtyRateCapable(h: Hypervisor): h is Hypervisor & DirtyRateCapable {
  const c = h as Partial<DirtyRateCapable>;
  return typeof c.measureDirtyRate === 'function' && c.dirtyRateModes instanceof Set;
}

/**
 * Checks {@link DirtyRateOptions} and fills in the defaults.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` naming the bad field.
 */
export function resolveDirtyRateOptions(options: DirtyRateOptions = {}): {
  /** The period in whole seconds. */
  readonly periodSeconds: number;
  /** The mode. */
  readonly mode: DirtyRateMode;
} {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object');
  const periodSeconds = options.periodSeconds ?? 1;
  if (!Number.isInteger(periodSeconds) || periodSeconds < 1 || periodSeconds > 60) {
    throw new InvalidArgumentError(
      'periodSeconds',
      `must be a whole number of seconds from 1 to 60, got ${String(periodSeconds)}`,
    );
  }
  const mode = options.mode ?? 'page-sampling';
  if (!DIRTY_RATE_MODES.includes(mode)) {
    throw new InvalidArgumentError(
      'mode',
      `must be one of ${DIRTY_RATE_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  return { periodSeconds, mode };
}
