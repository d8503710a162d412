import {
  AbortedError,
  type DirtyRateMeasurement,
  type DirtyRateMode,
  isVirtmigError,
  ParseError,
  TimeoutError,
  UnsupportedError,
} from '@virtmig/core';
import type { Connection } from './connection.js';
import type { Domain } from './domain-handle.js';
import { ENUMS } from './generated/enums.js';
import type { TypedValue } from './memory.js';

const MODE_FLAGS: Readonly<Record<DirtyRateMode, number>> = {
  'page-sampling': ENUMS.virDomainDirtyRateCalcFlags.VIR_DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING,
  'dirty-bitmap': ENUMS.virDomainDirtyRateCalcFlags.VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP,
  'dirty-ring': ENUMS.virDomainDirtyRateCalcFlags.VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING,
};
const MEASURED = ENUMS.virDomainDirtyRateStatus.VIR_DOMAIN_DIRTYRATE_MEASURED;
const STATS_DIRTYRATE = ENUMS.virDomainStatsTypes.VIR_DOMAIN_STATS_DIRTYRATE;
/** QEMU reports whole MiB per second (`megabytes_per_second` is computed with `>> 20`). */
const MIB = 1024 * 1024;
/** How long past the period the result may take to appear before virtmig gives up. */
const RESULT_GRACE_MS = 10_000;
const POLL_MS = 100;

/** The `dirtyrate.*` group of one domain's stats, decoded; `undefined` fields were not reported. */
export interface DirtyRateStats {
  /** virDomainDirtyRateStatus: 0 unstarted, 1 measuring, 2 measured. */
  readonly status?: number;
  /** `calc_start_time`: when the last measurement started, in the hypervisor's seconds. */
  readonly startTime?: number;
  /** `calc_period` in seconds. */
  readonly periodSeconds?: number;
  /** `calc_mode` as the hypervisor names it. */
  readonly mode?: string;
  /** `megabytes_per_second` converted to bytes per second. */
  readonly bytesPerSecond?: number;
  /** `vcpu.N.megabytes_per_second` converted to bytes per second, by vCPU number. */
  readonly perVcpuBytesPerSecond?: readonly number[];
}

/**
 * Decodes the `dirtyrate.*` fields of one domain's stats (libvirt's names).
 * @throws {@link @virtmig/core!ParseError} `E_PARSE` when a field has the wrong type or a vCPU index is not a number.
 */
export function parseDirtyRateStats(fields: Readonly<Record<string, TypedValue>>): DirtyRateStats {
  const num = (key: string): number | undefined => {
    const v = fields[`dirtyrate.${key}`];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' && typeof v !== 'bigint')
      throw new ParseError('dirtyrate stats', `${key} is not a number`);
    return Number(v);
  };
  const vcpus: number[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const m = /^dirtyrate\.vcpu\.(\d+)\.megabytes_per_second$/.exec(key);
    if (!m) continue;
    if (typeof value !== 'number' && typeof value !== 'bigint')
      throw new ParseError('dirtyrate stats', `${key} is not a number`);
    vcpus[Number(m[1])] = Number(value) * MIB;
  }
  const mode = fields['dirtyrate.calc_mode'];
  const mbps = num('megabytes_per_second');
  const status = num('calc_status');
  const startTime = num('calc_start_time');
  const periodSeconds = num('calc_period');
  return {
    ...(status === undefined ? {} : { status }),
    ...(startTime === undefined ? {} : { startTime }),
    ...(periodSeconds === undefined ? {} : { periodSeconds }),
    ...(typeof mode === 'string' ? { mode } : {}),
    ...(mbps === undefined ? {} : { bytesPerSecond: mbps * MIB }),
    ...(vcpus.length > 0 ? { perVcpuBytesPerSecond: Array.from(vcpus, (v) => v ?? 0) } : {}),
  };
}

async function dirtyRateStats(c: Connection, name: string): Promise<DirtyRateStats> {
  const record = (await c.allDomainStats(STATS_DIRTYRATE)).find((r) => r.name === name);
  return record ? parseDirtyRateStats(record.stats) : {};
}

function pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError(what));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError(what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs one virDomainStartDirtyRateCalc on a running domain and waits for its result in the
 * `dirtyrate` stats group. The result counts as this measurement's once the group reports
 * `measured` with a start time other than the one before the call (a previous measurement's
 * result stays in the group until the next one replaces it).
 */
export async function measureDirtyRateWithLibvirt(
  c: Connection,
  d: Domain,
  driver: string,
  o: { readonly periodSeconds: number; readonly mode: DirtyRateMode; readonly signal?: AbortSignal },
): Promise<DirtyRateMeasurement> {
  const name = d.name();
  const what = `dirty-rate measurement of ${name}`;
  const before = await dirtyRateStats(c, name);
  const startedAt = Date.now();
  try {
    await d.startDirtyRateCalc(o.periodSeconds, MODE_FLAGS[o.mode]);
  } catch (e) {
    if (isVirtmigError(e, 'E_UNSUPPORTED') || isVirtmigError(e, 'E_FUNCTION_UNAVAILABLE')) {
      throw new UnsupportedError(`dirty-rate measurement (${o.mode})`, driver, e.message);
    }
    throw e;
  }
  await pause(o.periodSeconds * 1000, o.signal, what);
  const deadline = Date.now() + RESULT_GRACE_MS;
  for (;;) {
    const s = await dirtyRateStats(c, name);
    const fresh = s.status === MEASURED && (before.status !== MEASURED || s.startTime !== before.startTime);
    if (fresh) {
      if (s.bytesPerSecond === undefined) {
        throw new UnsupportedError(
          `dirty-rate measurement (${o.mode})`,
          driver,
          `the hypervisor finished the measurement of ${name} but reported no megabytes_per_second`,
        );
      }
      return {
        domain: name,
        bytesPerSecond: s.bytesPerSecond,
        mode: o.mode,
        periodSeconds: s.periodSeconds ?? o.periodSeconds,
        startedAt,
        ...(s.perVcpuBytesPerSecond ? { perVcpuBytesPerSecond: s.perVcpuBytesPerSecond } : {}),
      };
    }
    if (Date.now() > deadline) throw new TimeoutError(what, o.periodSeconds * 1000 + RESULT_GRACE_MS);
    await pause(POLL_MS, o.signal, what);
  }
}
