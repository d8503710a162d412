import type { PredictionInput } from '@virtmig/analysis';
import {
  type DirtyRateMeasurement,
  type Hypervisor,
  isDirtyRateCapable,
  StateError,
  UnsupportedError,
} from '@virtmig/core';

const MiB = 1024 * 1024;
/**
 * Below this a one-second page-sampling reading rests on a handful of sampled pages: QEMU samples
 * 512 pages per GiB, so each dirty sample stands for 2 MiB/s over 1 s, and 16 MiB/s is 8 samples.
 */
const LOW_RATE_BPS = 16 * MiB;
/** The longer period for a low first reading: four times the samples, still short of a 64 MiB working set at 16 MiB/s. */
const LOW_RATE_PERIOD_S = 4;

/** What was measured on a running guest for a prediction. */
export interface LiveGuest {
  /** Guest name. */
  readonly name: string;
  /** Guest memory in MiB. */
  readonly memoryMiB: number;
  /** Guest vCPUs. */
  readonly vcpus: number;
  /** CPU use in percent of one CPU over the dirty-rate measurement. */
  readonly cpuPercent: number;
  /** The dirty-rate measurement the prediction uses. */
  readonly dirtyRate: DirtyRateMeasurement;
}

/** Options of {@link measureLiveGuest}. */
export interface MeasureLiveGuestOptions {
  /** Period of the first measurement in seconds (default 1). */
  readonly periodSeconds?: number;
  /** Aborts the measurement with `E_ABORTED`. */
  readonly signal?: AbortSignal;
}

/**
 * Measures a running guest for a prediction: its dirty rate (the hypervisor's page sampling) and
 * its CPU use over the same time. A first reading below 16 MiB/s is measured again over 4 s,
 * because a one-second sample of a slowly dirtying guest rests on a few sampled pages.
 * @throws {@link @virtmig/core!StateError} `E_STATE` when the guest is not running.
 * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` (with `details.reason`) when its dirty rate cannot be measured.
 * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when there is no such guest.
 */
export async function measureLiveGuest(
  h: Hypervisor,
  name: string,
  options: MeasureLiveGuestOptions = {},
): Promise<LiveGuest> {
  const before = await h.lookupDomain(name);
  if (before.state !== 'running') {
    throw new StateError(`cannot measure "${name}" for a prediction: it is ${before.state}`, {
      domain: name,
      state: before.state,
    });
  }
  if (!isDirtyRateCapable(h)) {
    throw new UnsupportedError('dirty-rate measurement', h.driver, 'the driver has no dirty-rate measurement');
  }
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const periodSeconds = options.periodSeconds ?? 1;
  const t0 = process.hrtime.bigint();
  let dirtyRate = await h.measureDirtyRate(name, { periodSeconds, ...signal });
  if (dirtyRate.bytesPerSecond < LOW_RATE_BPS && periodSeconds < LOW_RATE_PERIOD_S) {
    dirtyRate = await h.measureDirtyRate(name, { periodSeconds: LOW_RATE_PERIOD_S, mode: dirtyRate.mode, ...signal });
  }
  const after = await h.lookupDomain(name);
  const wallNs = Number(process.hrtime.bigint() - t0);
  return {
    name,
    memoryMiB: Math.round(before.maxMemoryKiB / 1024),
    vcpus: before.vcpus,
    cpuPercent: wallNs > 0 ? (Math.max(0, after.cpuTimeNs - before.cpuTimeNs) / wallNs) * 100 : 0,
    dirtyRate,
  };
}

/** The model's input for migrating a measured guest at `bandwidthBps`. */
export function livePredictionInput(
  live: LiveGuest,
  bandwidthBps: number,
  extra: Pick<PredictionInput, 'driver' | 'hostPair' | 'maxDowntimeMs' | 'autoConverge' | 'postCopy'> = {},
): PredictionInput {
  return {
    memoryMiB: live.memoryMiB,
    dirtyRateBps: live.dirtyRate.bytesPerSecond,
    bandwidthBps,
    vcpus: live.vcpus,
    cpuPercent: live.cpuPercent,
    ...extra,
  };
}
