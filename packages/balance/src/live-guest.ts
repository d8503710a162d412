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
 * QEMU's page sampling hashes 512 pages per GiB, so each dirty sample stands for 2 MiB dirtied:
 * a reading rests on (rate x period / 2 MiB) samples. Readings are repeated until they cover
 * 64 MiB of dirtied memory (32 samples, about 18 % relative noise) or 5 s have been spent.
 */
const TARGET_SAMPLED_BYTES = 64 * MiB;
const MAX_MEASURE_S = 5;
/** Below this a slowly dirtying guest is read over 4 s rather than 1 s (no working set fills up at that rate). */
const LOW_RATE_BPS = 16 * MiB;
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
  /** The dirty rate the prediction uses: one reading, or the time-weighted mean of several (period = their sum). */
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
 * its CPU use over the same time. Readings (1 s; 4 s while the rate reads below 16 MiB/s) are
 * repeated until they cover 64 MiB of dirtied memory or 5 s, because one short reading of a
 * slowly dirtying guest rests on a handful of sampled pages.
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
  const t0 = process.hrtime.bigint();
  const readings: DirtyRateMeasurement[] = [
    await h.measureDirtyRate(name, { periodSeconds: options.periodSeconds ?? 1, ...signal }),
  ];
  const first = readings[0] as DirtyRateMeasurement;
  let seconds = first.periodSeconds;
  let dirtied = first.bytesPerSecond * first.periodSeconds;
  for (;;) {
    const next = dirtied / seconds < LOW_RATE_BPS ? LOW_RATE_PERIOD_S : 1;
    if (dirtied >= TARGET_SAMPLED_BYTES || seconds + next > MAX_MEASURE_S) break;
    const r = await h.measureDirtyRate(name, { periodSeconds: next, mode: first.mode, ...signal });
    readings.push(r);
    seconds += r.periodSeconds;
    dirtied += r.bytesPerSecond * r.periodSeconds;
  }
  const dirtyRate: DirtyRateMeasurement =
    readings.length === 1
      ? first
      : {
          domain: name,
          bytesPerSecond: dirtied / seconds,
          mode: first.mode,
          periodSeconds: seconds,
          startedAt: first.startedAt,
        };
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
