import { existsSync } from 'node:fs';
import {
  assertDomainName,
  assertUriPolicy,
  InvalidArgumentError,
  type MigrationOptions,
  type MigrationProgress,
} from '@virtmig/core';
import {
  assertQemuMigrationOptions,
  parseQemuUri,
  QemuHypervisor,
  type QemuMigrationResult,
  serialLogOf,
} from '@virtmig/driver-qemu';
import { table } from '../output.js';
import { isLabHostName, type LabStatus, labHost, labStatus } from './lab.js';

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

/** A host given as a lab name (`a`, `b`) or a libvirt URI, resolved to a URI and, for lab hosts, the migrate and peer URIs. */
export interface Endpoint {
  readonly uri: string;
  readonly migrateUri?: string;
  /** The host's libvirtd as the other lab host reaches it (`qemu+tcp://ADDRESS/system`). */
  readonly peerUri?: string;
  readonly domainType?: 'kvm' | 'qemu';
}

/** Throws `E_INVALID_ARGUMENT` naming `flag` unless `spec` is a lab host name or a qemu URI the URI policy allows. */
export function assertHostFlag(spec: string, flag: string): void {
  if (isLabHostName(spec)) return;
  if (!spec.startsWith('qemu'))
    throw new InvalidArgumentError(flag, `must be a lab host (a, b) or a qemu URI, got ${JSON.stringify(spec)}`);
  assertUriPolicy(parseQemuUri(spec), {}, flag);
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
  assertDomainName(guest, 'guest');
  assertHostFlag(o.from, '--from');
  assertHostFlag(o.to, '--to');
  const labPeer = options.tunnelled && options.peerUri === undefined && isLabHostName(o.to);
  assertQemuMigrationOptions(labPeer ? { ...options, peerUri: LAB_PEER_STAND_IN } : options);
  return options;
}

/** Resolves `--from`/`--to`: a lab host name through the lab's status (asked once per `cache`), else the URI itself. */
export async function endpoint(spec: string, prefix: string, cache: { status?: LabStatus }): Promise<Endpoint> {
  if (!isLabHostName(spec)) return { uri: spec };
  cache.status ??= await labStatus(prefix);
  const host = labHost(cache.status, spec);
  // The port is left to the destination's migration_port range, so parallel connections get ports too.
  return {
    uri: host.uri,
    migrateUri: `tcp://${host.address}`,
    ...(typeof host.tcpUri === 'string' ? { peerUri: host.tcpUri } : {}),
    domainType: cache.status.domainType,
  };
}

/** A one-line progress bar for a terminal. */
export function progressLine(p: MigrationProgress): string {
  const pct = p.dataTotalBytes > 0 ? Math.min(100, Math.round((p.dataProcessedBytes / p.dataTotalBytes) * 100)) : 0;
  const width = 30;
  const filled = Math.round((pct / 100) * width);
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  return `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(pct).padStart(3)}% ${p.phase}${p.iteration !== undefined ? ` pass ${p.iteration}` : ''} ${mib(p.dataProcessedBytes)}/${mib(p.dataTotalBytes)} MiB ${(p.elapsedMs / 1000).toFixed(1)} s`;
}

/** Live-migrates `guest` as `virtmig migrate` does; `onProgress` gets the driver's samples. */
export async function migrateGuest(
  guest: string,
  o: MigrateCliOptions,
  extra: Pick<MigrationOptions, 'onProgress' | 'signal'> = {},
): Promise<QemuMigrationResult> {
  const prefix = o.prefix ?? process.env.VIRTMIG_LAB_PREFIX ?? 'vmlab';
  const options = checkMigrateInput(guest, o);
  const cache: { status?: LabStatus } = {};
  const from = await endpoint(o.from, prefix, cache);
  const to = await endpoint(o.to, prefix, cache);
  if (from.uri === to.uri) throw new InvalidArgumentError('--to', 'source and destination are the same host');
  const src = await QemuHypervisor.open(from.uri, from.domainType ? { domainType: from.domainType } : {});
  try {
    const dst = await QemuHypervisor.open(to.uri, to.domainType ? { domainType: to.domainType } : {});
    try {
      const log = o.heartbeat === false ? undefined : serialLogOf(await src.domainXml(guest));
      return await src.migrate(guest, dst, {
        ...options,
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
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`);

/** The human rendering of a migration result. */
export function formatMigrationResult(r: QemuMigrationResult): string {
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
  ];
  return table(['FIELD', 'VALUE'], rows);
}
