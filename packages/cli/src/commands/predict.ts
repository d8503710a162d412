import { type MigrationModel, migrationModelFor, type Prediction } from '@virtmig/analysis';
import { type LiveGuest, livePredictionInput, measureLiveGuest } from '@virtmig/balance';
import { ResultsDb } from '@virtmig/bench';
import { assertDomainName, type Hypervisor, InvalidArgumentError, type TrialRecord } from '@virtmig/core';
import { QemuHypervisor } from '@virtmig/driver-qemu';
import { table } from '../output.js';
import { assertHostFlag, endpoint } from './endpoints.js';
import type { LabStatus } from './lab.js';

const MiB = 1024 * 1024;

/** Raw options of `virtmig predict` as commander parses them. */
export interface PredictCliOptions {
  readonly from: string;
  readonly to: string;
  readonly prefix?: string;
  /** Link rate in MiB/s; when absent, lab shaping, then the database's measured throughput. */
  readonly bandwidth?: string;
  readonly maxDowntime?: string;
  readonly period?: string;
  readonly db?: string;
  readonly json?: boolean;
}

/** Where a prediction's link rate came from. */
export type LinkRateSource = 'flag' | 'lab-shaping' | 'measured-trials';

/** The link rate a prediction assumes. */
export interface LinkRate {
  /** Bytes per second. */
  readonly bytesPerSecond: number;
  /** `flag`: `--bandwidth`; `lab-shaping`: `lab shape --rate`; `measured-trials`: median throughput of the database's migrations. */
  readonly source: LinkRateSource;
}

/** `virtmig predict`'s answer. */
export interface PredictReport {
  /** Guest name. */
  readonly guest: string;
  /** Source URI. */
  readonly from: string;
  /** Destination URI. */
  readonly to: string;
  /** What was measured on the guest. */
  readonly measured: LiveGuest;
  /** The link rate used. */
  readonly link: LinkRate;
  /** The model's prediction (its `model` names the model). */
  readonly prediction: Prediction;
}

function integer(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max)
    throw new InvalidArgumentError(flag, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * A tc rate (`lab shape --rate`: `100mbit`, `1gbit`, `12500kbps`, ...) in bytes per second;
 * `undefined` for a form it does not know, so an unknown unit is never guessed.
 */
export function tcRateBytesPerSecond(rate: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps|tbps)$/i.exec(rate.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[unit.replace(/(bit|bps)$/, '')] ?? 1;
  return (Number(m[1]) * scale) / (unit.endsWith('bit') ? 8 : 1);
}

/** Median measured migration throughput of `records`, preferring trials between the same two hosts. */
function measuredThroughput(records: readonly TrialRecord[], from: string, to: string): number | undefined {
  const migrations = records.flatMap((r) => (r.migration?.memoryBandwidthBps ? [r.migration] : []));
  const samePair = migrations.filter((m) => m.sourceUri === from && m.destinationUri === to);
  const values = (samePair.length > 0 ? samePair : migrations).map((m) => m.memoryBandwidthBps as number);
  if (values.length === 0) return undefined;
  values.sort((x, y) => x - y);
  return values[Math.floor(values.length / 2)];
}

/**
 * The link rate for a migration `from` → `to`: `--bandwidth`, else the lab's shaping, else the
 * median measured throughput of `records`.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` naming `--bandwidth` when none of them gives one.
 */
export function linkRate(
  bandwidthMiBps: number | undefined,
  lab: LabStatus | undefined,
  records: readonly TrialRecord[],
  from: string,
  to: string,
): LinkRate {
  if (bandwidthMiBps !== undefined) return { bytesPerSecond: bandwidthMiBps * MiB, source: 'flag' };
  const shape = lab?.link.shape as { rate?: unknown } | null | undefined;
  const shaped = typeof shape?.rate === 'string' ? tcRateBytesPerSecond(shape.rate) : undefined;
  if (shaped !== undefined) return { bytesPerSecond: shaped, source: 'lab-shaping' };
  const measured = measuredThroughput(records, from, to);
  if (measured !== undefined) return { bytesPerSecond: measured, source: 'measured-trials' };
  throw new InvalidArgumentError(
    '--bandwidth',
    'no link rate known (no --bandwidth, an unshaped lab link, no migrations in --db): give --bandwidth MiB/s',
  );
}

/** The records of `--db` (none without it). */
export function recordsOf(dbPath: string | undefined): TrialRecord[] {
  if (dbPath === undefined) return [];
  const db = ResultsDb.open(dbPath, { readonly: true, mustExist: true });
  try {
    return db.records();
  } finally {
    db.close();
  }
}

/**
 * `virtmig predict`: measures the guest on `--from` live and predicts its migration to `--to`.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` naming a bad flag (before anything is measured).
 * @throws {@link @virtmig/core!StateError} `E_STATE` when the guest is not running.
 * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when its dirty rate cannot be measured.
 */
export async function predictGuest(guest: string, o: PredictCliOptions): Promise<PredictReport> {
  assertDomainName(guest, 'guest');
  assertHostFlag(o.from, '--from');
  assertHostFlag(o.to, '--to');
  const bandwidthMiBps = integer(o.bandwidth, '--bandwidth', 1, 1_000_000);
  const maxDowntimeMs = integer(o.maxDowntime, '--max-downtime', 1, 3_600_000);
  const periodSeconds = integer(o.period, '--period', 1, 60) ?? 1;
  const prefix = o.prefix ?? process.env.VIRTMIG_LAB_PREFIX ?? 'vmlab';
  const records = recordsOf(o.db);
  const cache: { status?: LabStatus } = {};
  const from = await endpoint(o.from, prefix, cache);
  const to = await endpoint(o.to, prefix, cache);
  if (from.uri === to.uri) throw new InvalidArgumentError('--to', 'source and destination are the same host');
  const link = linkRate(bandwidthMiBps, cache.status, records, from.uri, to.uri);
  const model: MigrationModel = migrationModelFor(records);
  const src = await QemuHypervisor.open(from.uri, from.domainType ? { domainType: from.domainType } : {});
  try {
    const measured = await measureLiveGuest(src, guest, { periodSeconds });
    const prediction = model.predict(
      livePredictionInput(measured, link.bytesPerSecond, {
        driver: src.driver,
        hostPair: `${from.uri} -> ${to.uri}`,
        ...(maxDowntimeMs === undefined ? {} : { maxDowntimeMs }),
      }),
    );
    return { guest, from: from.uri, to: to.uri, measured, link, prediction };
  } finally {
    await src.close();
  }
}

const msText = (v: number): string => `${Math.round(v)} ms`;

/** One line per predicted value with its interval, or why pre-copy will not converge. */
export function predictionRows(p: Prediction): [string, string][] {
  const rows: [string, string][] = [['model', p.model]];
  if (p.kind === 'converges') {
    rows.push(
      [
        'predicted total time',
        `${msText(p.totalTimeMs)} (${msText(p.totalTimeIntervalMs.low)}-${msText(p.totalTimeIntervalMs.high)})`,
      ],
      [
        'predicted downtime',
        `${msText(p.downtimeMs)} (${msText(p.downtimeIntervalMs.low)}-${msText(p.downtimeIntervalMs.high)})`,
      ],
    );
  } else {
    rows.push(['predicted', `does not converge: ${p.reason}`]);
  }
  for (const w of p.warnings) rows.push(['warning', `${w.code}${w.field ? ` (${w.field})` : ''}: ${w.message}`]);
  return rows;
}

/** The human rendering of a prediction. */
export function formatPrediction(r: PredictReport): string {
  const m = r.measured;
  return table(
    ['FIELD', 'VALUE'],
    [
      ['guest', r.guest],
      ['from', r.from],
      ['to', r.to],
      ['memory', `${m.memoryMiB} MiB, ${m.vcpus} vCPU`],
      ['CPU use', `${m.cpuPercent.toFixed(1)} % of one CPU`],
      [
        'dirty rate',
        `${(m.dirtyRate.bytesPerSecond / MiB).toFixed(1)} MiB/s (${m.dirtyRate.mode}, ${m.dirtyRate.periodSeconds} s)`,
      ],
      ['link', `${(r.link.bytesPerSecond / MiB).toFixed(1)} MiB/s (${r.link.source})`],
      ...predictionRows(r.prediction),
    ],
  );
}

/** What `virtmig migrate` predicted before it migrated, or why it could not. */
export type PredictionOutcome =
  | {
      /** `predicted`: the guest was measured and the model answered. */
      readonly kind: 'predicted';
      /** What was measured on the guest. */
      readonly measured: LiveGuest;
      /** The link rate used. */
      readonly link: LinkRate;
      /** The model's prediction. */
      readonly prediction: Prediction;
    }
  | {
      /** `skipped`: no prediction; the migration went ahead anyway. */
      readonly kind: 'skipped';
      /** Why, for people (e.g. the E_UNSUPPORTED reason, or no link rate known). */
      readonly reason: string;
    };

/**
 * The prediction `virtmig migrate` prints beside what it measured. A guest that cannot be
 * predicted (no link rate, dirty rate not measurable) is a `skipped` outcome, never a failed migration.
 */
export async function predictBeforeMigration(
  src: Hypervisor,
  guest: string,
  o: {
    readonly bandwidthMiBps?: number;
    readonly maxDowntimeMs?: number;
    readonly autoConverge?: boolean;
    readonly postCopy?: boolean;
  },
  lab: LabStatus | undefined,
  records: readonly TrialRecord[],
  hosts: { readonly from: string; readonly to: string },
): Promise<PredictionOutcome> {
  let link: LinkRate;
  let measured: LiveGuest;
  try {
    link = linkRate(o.bandwidthMiBps, lab, records, hosts.from, hosts.to);
    measured = await measureLiveGuest(src, guest);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'E_INVALID_ARGUMENT' || code === 'E_UNSUPPORTED' || code === 'E_STATE') {
      return { kind: 'skipped', reason: (e as Error).message };
    }
    throw e;
  }
  const prediction = migrationModelFor(records).predict(
    livePredictionInput(measured, link.bytesPerSecond, {
      driver: src.driver,
      hostPair: `${hosts.from} -> ${hosts.to}`,
      ...(o.maxDowntimeMs === undefined ? {} : { maxDowntimeMs: o.maxDowntimeMs }),
      ...(o.autoConverge ? { autoConverge: true } : {}),
      ...(o.postCopy ? { postCopy: true } : {}),
    }),
  );
  return { kind: 'predicted', measured, link, prediction };
}
