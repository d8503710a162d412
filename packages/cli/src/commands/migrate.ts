import { existsSync } from 'node:fs';
import { chooseStrategy, migrationModelFor, type StrategyChoice } from '@virtmig/analysis';
import { livePredictionInput } from '@virtmig/balance';
import {
  assertDomainName,
  InvalidArgumentError,
  isPostCopyCapable,
  type MigrationOptions,
  type MigrationProgress,
} from '@virtmig/core';
import {
  assertQemuMigrationOptions,
  QemuHypervisor,
  type QemuMigrationResult,
  serialLogOf,
} from '@virtmig/driver-qemu';
import { table } from '../output.js';
import { assertHostFlag, endpoint } from './endpoints.js';
import { isLabHostName, type LabStatus } from './lab.js';
import { type PredictionOutcome, predictBeforeMigration, predictionRows, recordsOf } from './predict.js';

/** Raw options of `virtmig migrate` as commander parses them. */
export interface MigrateCliOptions {
  readonly from: string;
  readonly to: string;
  readonly prefix?: string;
  readonly postCopy?: boolean;
  readonly postCopyAfter?: string;
  readonly maxDowntime?: string;
  readonly bandwidth?: string;
  readonly autoConverge?: boolean;
  readonly compression?: string;
  readonly parallel?: string;
  readonly tls?: boolean;
  readonly persist?: boolean;
  readonly undefineSource?: boolean;
  readonly migrateUri?: string;
  readonly peerUri?: string;
  readonly tunnelled?: boolean;
  readonly timeout?: string;
  readonly heartbeat?: boolean;
  /** `--no-preflight` sets it false. */
  readonly preflight?: boolean;
  /** `--reserve <MiB>`: memory the destination must keep free beyond the guest's. */
  readonly reserve?: string;
  /** Results database whose trials calibrate the prediction and give a measured link rate. */
  readonly db?: string;
  /** `--no-predict`: skip the live measurement and prediction before migrating. */
  readonly predict?: boolean;
  /** Downtime target in ms: the strategy (pre-copy, max downtime, auto-converge, post-copy) is chosen from the prediction. */
  readonly downtimeTarget?: string;
  readonly json?: boolean;
}

function integer(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new InvalidArgumentError(flag, `must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Turns the CLI flags into {@link MigrationOptions} (without progress, signal or migrate URI defaults). */
export function migrationOptionsFromCli(o: MigrateCliOptions): MigrationOptions {
  const afterMs = integer(o.postCopyAfter, '--post-copy-after', 0);
  const maxDowntimeMs = integer(o.maxDowntime, '--max-downtime', 1);
  const bandwidthMiBps = integer(o.bandwidth, '--bandwidth', 1);
  const parallelConnections = integer(o.parallel, '--parallel', 1);
  const timeoutMs = integer(o.timeout, '--timeout', 1);
  const memoryReserveMiB = integer(o.reserve, '--reserve', 0);
  if (o.preflight === false && memoryReserveMiB !== undefined)
    throw new InvalidArgumentError('--reserve', 'is a preflight option; --no-preflight turns the preflight off');
  const compression = o.compression === undefined ? undefined : o.compression.split(',').filter(Boolean);
  return {
    ...(afterMs !== undefined ? { postCopy: { afterMs } } : o.postCopy ? { postCopy: true } : {}),
    ...(maxDowntimeMs !== undefined ? { maxDowntimeMs } : {}),
    ...(bandwidthMiBps !== undefined ? { bandwidthMiBps } : {}),
    ...(o.autoConverge ? { autoConverge: true } : {}),
    ...(compression !== undefined ? { compression } : {}),
    ...(parallelConnections !== undefined ? { parallelConnections } : {}),
    ...(o.tls ? { tls: true } : {}),
    ...(o.persist ? { persistDestination: true } : {}),
    ...(o.undefineSource ? { undefineSource: true } : {}),
    ...(o.migrateUri !== undefined ? { migrateUri: o.migrateUri } : {}),
    ...(o.peerUri !== undefined ? { peerUri: o.peerUri } : {}),
    ...(o.tunnelled ? { tunnelled: true } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(o.preflight === false
      ? { preflight: false }
      : memoryReserveMiB !== undefined
        ? { preflight: { memoryReserveMiB } }
        : {}),
  };
}

// A lab destination supplies its own qemu+tcp peer URI after the lab is asked; its stand-in lets
// every other option be checked first.
const LAB_PEER_STAND_IN = 'qemu+tcp://lab-peer/system';

/**
 * Checks every value `virtmig migrate` was given (guest name, hosts, each option and their
 * combinations) before the lab is asked or a host connected. Throws `E_INVALID_ARGUMENT` naming the flag.
 */
export function checkMigrateInput(guest: string, o: MigrateCliOptions): MigrationOptions {
  const options = migrationOptionsFromCli(o);
  if (o.downtimeTarget !== undefined) {
    integer(o.downtimeTarget, '--downtime-target', 1);
    const chosenByTarget = [
      ['--max-downtime', o.maxDowntime !== undefined],
      ['--auto-converge', o.autoConverge === true],
      ['--post-copy', o.postCopy === true],
      ['--post-copy-after', o.postCopyAfter !== undefined],
      ['--no-predict', o.predict === false],
    ] as const;
    const clash = chosenByTarget.find(([, given]) => given);
    if (clash) {
      throw new InvalidArgumentError(
        '--downtime-target',
        `chooses max downtime, auto-converge and post-copy from the prediction itself: drop ${clash[0]}`,
      );
    }
  }
  assertDomainName(guest, 'guest');
  assertHostFlag(o.from, '--from');
  assertHostFlag(o.to, '--to');
  const labPeer = options.tunnelled && options.peerUri === undefined && isLabHostName(o.to);
  assertQemuMigrationOptions(labPeer ? { ...options, peerUri: LAB_PEER_STAND_IN } : options);
  return options;
}

/**
 * The strategy for `--downtime-target` from the prediction made just before the migration.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` naming `--downtime-target` when there is no prediction to choose from.
 */
function strategyFor(
  src: QemuHypervisor,
  predicted: PredictionOutcome,
  records: ReturnType<typeof recordsOf>,
  targetMs: number,
): StrategyChoice {
  if (predicted.kind === 'skipped') {
    throw new InvalidArgumentError('--downtime-target', `needs a prediction, and there is none: ${predicted.reason}`);
  }
  return chooseStrategy(
    migrationModelFor(records),
    livePredictionInput(predicted.measured, predicted.link.bytesPerSecond, {
      driver: src.driver,
    }),
    targetMs,
    { postCopyAllowed: isPostCopyCapable(src) },
  );
}

/** A one-line progress bar for a terminal. */
export function progressLine(p: MigrationProgress): string {
  const pct = p.dataTotalBytes > 0 ? Math.min(100, Math.round((p.dataProcessedBytes / p.dataTotalBytes) * 100)) : 0;
  const width = 30;
  const filled = Math.round((pct / 100) * width);
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  return `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(pct).padStart(3)}% ${p.phase}${p.iteration !== undefined ? ` pass ${p.iteration}` : ''} ${mib(p.dataProcessedBytes)}/${mib(p.dataTotalBytes)} MiB ${(p.elapsedMs / 1000).toFixed(1)} s`;
}

/** The strategy `--downtime-target` chose, and whether the measured downtime met the target. */
export type StrategyOutcome = StrategyChoice & {
  /** True when the measured downtime was at most the target. */
  readonly met: boolean;
};

/** A migration's result with what was predicted for it beforehand. */
export type PredictedMigrationResult = QemuMigrationResult & {
  /** The prediction made just before the migration started (or why there is none). */
  readonly predicted: PredictionOutcome;
  /** With `--downtime-target`: the strategy chosen and whether the target was met. */
  readonly strategy?: StrategyOutcome;
};

/** Live-migrates `guest` as `virtmig migrate` does; `onProgress` gets the driver's samples. */
export async function migrateGuest(
  guest: string,
  o: MigrateCliOptions,
  extra: Pick<MigrationOptions, 'onProgress' | 'signal'> = {},
): Promise<PredictedMigrationResult> {
  const prefix = o.prefix ?? process.env.VIRTMIG_LAB_PREFIX ?? 'vmlab';
  const options = checkMigrateInput(guest, o);
  const records = recordsOf(o.db);
  const cache: { status?: LabStatus } = {};
  const from = await endpoint(o.from, prefix, cache);
  const to = await endpoint(o.to, prefix, cache);
  if (from.uri === to.uri) throw new InvalidArgumentError('--to', 'source and destination are the same host');
  const src = await QemuHypervisor.open(from.uri, from.domainType ? { domainType: from.domainType } : {});
  try {
    const dst = await QemuHypervisor.open(to.uri, to.domainType ? { domainType: to.domainType } : {});
    try {
      const log = o.heartbeat === false ? undefined : serialLogOf(await src.domainXml(guest));
      const predicted: PredictionOutcome =
        o.predict === false
          ? { kind: 'skipped', reason: '--no-predict' }
          : await predictBeforeMigration(
              src,
              guest,
              {
                ...(options.bandwidthMiBps === undefined ? {} : { bandwidthMiBps: options.bandwidthMiBps }),
                ...(options.maxDowntimeMs === undefined ? {} : { maxDowntimeMs: options.maxDowntimeMs }),
                ...(options.autoConverge ? { autoConverge: true } : {}),
                ...(options.postCopy ? { postCopy: true } : {}),
              },
              cache.status,
              records,
              { from: from.uri, to: to.uri },
            );
      const choice =
        o.downtimeTarget === undefined ? undefined : strategyFor(src, predicted, records, Number(o.downtimeTarget));
      const result = await src.migrate(guest, dst, {
        ...options,
        ...(choice?.maxDowntimeMs === undefined ? {} : { maxDowntimeMs: choice.maxDowntimeMs }),
        ...(choice?.autoConverge ? { autoConverge: true } : {}),
        ...(choice?.postCopy ? { postCopy: true } : {}),
        // A tunnelled migration's data goes to the peer URI (a lab host's own by default), not to a migrate URI.
        ...(options.tunnelled
          ? options.peerUri === undefined && to.peerUri !== undefined
            ? { peerUri: to.peerUri }
            : {}
          : options.migrateUri === undefined && to.migrateUri !== undefined
            ? { migrateUri: to.migrateUri }
            : {}),
        ...(log !== undefined && existsSync(log) ? { heartbeat: log } : {}),
        ...extra,
      });
      return {
        ...result,
        // With a strategy the prediction beside the measurement is the chosen settings' one.
        predicted:
          choice && predicted.kind === 'predicted' ? { ...predicted, prediction: choice.prediction } : predicted,
        ...(choice
          ? { strategy: { ...choice, met: result.downtimeMs !== undefined && result.downtimeMs <= choice.targetMs } }
          : {}),
      };
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

/** The prediction beside the measurement: predicted total and downtime, their errors, the model, its warnings. */
function predictedRows(r: PredictedMigrationResult): [string, string][] {
  const p = r.predicted;
  if (p.kind === 'skipped') return [['predicted', `- (${p.reason})`]];
  const rows = predictionRows(p.prediction);
  const pred = p.prediction;
  if (pred.kind === 'converges') {
    const err = (predicted: number, measured: number | undefined): string =>
      measured === undefined || measured === 0 ? '-' : `${Math.round(((predicted - measured) / measured) * 100)} %`;
    rows.push([
      'prediction error',
      `total ${err(pred.totalTimeMs, r.totalTimeMs)}, downtime ${err(pred.downtimeMs, r.downtimeMs)} (measured dirty rate ${(p.measured.dirtyRate.bytesPerSecond / 1048576).toFixed(1)} MiB/s, link ${(p.link.bytesPerSecond / 1048576).toFixed(1)} MiB/s ${p.link.source})`,
    ]);
  }
  return rows;
}

const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`);

/** The human rendering of a migration result. */
export function formatMigrationResult(r: PredictedMigrationResult): string {
  const s = r.stages;
  const span = (x: { startMs: number; endMs: number } | undefined): string => (x ? `${x.startMs}-${x.endMs} ms` : '-');
  const rows: [string, string][] = [
    ['domain', r.domain],
    ['from', r.sourceUri],
    ['to', r.destinationUri],
    ['mode', r.postCopy ? 'post-copy' : 'pre-copy'],
    ['total time (virtmig)', ms(r.totalTimeMs)],
    ['total time (libvirt)', ms(r.reportedTotalTimeMs)],
    [`downtime (${r.downtimeSource ?? '-'})`, ms(r.downtimeMs)],
    [
      'downtime (heartbeat gap)',
      r.heartbeat
        ? `${r.heartbeat.hostGapMs} ms (seq ${r.heartbeat.seqBefore}..${r.heartbeat.seqAfter}, ${r.heartbeat.continuous ? 'no restart' : 'NOT continuous'})`
        : '-',
    ],
    ['setup time', ms(r.setupTimeMs)],
    [
      'data transferred',
      r.dataTransferredBytes === undefined ? '-' : `${(r.dataTransferredBytes / 1048576).toFixed(1)} MiB`,
    ],
    ['bandwidth', r.memoryBandwidthBps === undefined ? '-' : `${(r.memoryBandwidthBps / 1048576).toFixed(1)} MiB/s`],
    ['dirty rate', r.dirtyRateBps === undefined ? '-' : `${(r.dirtyRateBps / 1048576).toFixed(1)} MiB/s`],
    ['iterations', r.iterations === undefined ? '-' : String(r.iterations)],
    ['reservation', span(s.reservation)],
    ['initialisation', span(s.initialisation)],
    [
      'pre-copy rounds',
      s.precopyRounds.length === 0 ? '-' : s.precopyRounds.map((x) => `${x.startMs}-${x.endMs}`).join(', '),
    ],
    ['stop-and-copy', span(s.stopAndCopy)],
    ...(r.postCopy ? ([['post-copy', span(s.postcopy)]] as [string, string][]) : []),
    ['activation', span(s.activation)],
    ['commitment', span(s.commitment)],
    ...predictedRows(r),
    ...(r.strategy
      ? ([
          ['strategy', `${r.strategy.strategy}: ${r.strategy.reason}`],
          [
            'downtime target',
            `${r.strategy.targetMs} ms: ${r.strategy.met ? 'met' : 'NOT met'} (measured ${ms(r.downtimeMs)})`,
          ],
        ] as [string, string][])
      : []),
  ];
  return table(['FIELD', 'VALUE'], rows);
}
