import {
  AbortedError,
  assertBandwidthMiBps,
  assertJobControl,
  assertMaxDowntimeMs,
  assertPeerToPeerOptions,
  ClosedError,
  type DomainEvent,
  isVirtmigError,
  type MigrationControl,
  MigrationError,
  type MigrationFailureDetails,
  type MigrationJob,
  type MigrationOptions,
  type MigrationProgress,
  type MigrationResult,
  type MigrationStages,
  type MigrationStatsOptions,
  type PrecopySample,
  type PreflightReport,
  ProgressFeed,
  precopyRounds,
  type Span,
  StateError,
  TimeoutError,
  UnsupportedError,
} from '@virtmig/core';
import type { Domain } from './domain-handle.js';
import { ENUMS, STRINGS } from './generated/enums.js';
import type { LibvirtHypervisor } from './hypervisor.js';
import type { TypedParam, TypedValue } from './memory.js';

const F = ENUMS.virDomainMigrateFlags;
const JOB_STATS_COMPLETED = ENUMS.virDomainGetJobStatsFlags.VIR_DOMAIN_JOB_STATS_COMPLETED;
const POLL_MS = 50;

/**
 * Where a failed migration left the guest, looked up after the failure: its state on the source
 * (`absent` when gone) and whether the destination holds the same domain (same UUID) rather than
 * none or another one of that name.
 */
async function failureDetails(
  source: LibvirtHypervisor,
  dest: LibvirtHypervisor,
  name: string,
  uuid: string,
): Promise<MigrationFailureDetails> {
  const sourceState = await source.lookupDomain(name).then(
    (i) => i.state,
    () => 'absent' as const,
  );
  const domainOnDestination = await dest.lookupDomain(name).then(
    (i) => i.uuid === uuid,
    () => false,
  );
  return { domain: name, sourceUri: source.uri, destinationUri: dest.uri, sourceState, domainOnDestination };
}

/** libvirt migration flags for a set of options. */
export function migrationFlags(o: MigrationOptions): number {
  let flags = 0;
  if (o.live !== false) flags |= F.VIR_MIGRATE_LIVE;
  if (o.postCopy) flags |= F.VIR_MIGRATE_POSTCOPY;
  if (o.autoConverge) flags |= F.VIR_MIGRATE_AUTO_CONVERGE;
  if (o.compression && o.compression.length > 0) flags |= F.VIR_MIGRATE_COMPRESSED;
  if (o.parallelConnections !== undefined && o.parallelConnections > 1) flags |= F.VIR_MIGRATE_PARALLEL;
  if (o.tls) flags |= F.VIR_MIGRATE_TLS;
  if (o.peerUri !== undefined) flags |= F.VIR_MIGRATE_PEER2PEER;
  if (o.tunnelled) flags |= F.VIR_MIGRATE_TUNNELLED;
  if (o.persistDestination) flags |= F.VIR_MIGRATE_PERSIST_DEST;
  if (o.undefineSource) flags |= F.VIR_MIGRATE_UNDEFINE_SOURCE;
  return flags;
}

/** libvirt migration typed parameters for a set of options. */
export function migrationParams(o: MigrationOptions): TypedParam[] {
  const p: TypedParam[] = [];
  if (o.migrateUri) p.push({ name: STRINGS.VIR_MIGRATE_PARAM_URI, type: 'string', value: o.migrateUri });
  if (o.bandwidthMiBps !== undefined)
    p.push({ name: STRINGS.VIR_MIGRATE_PARAM_BANDWIDTH, type: 'ullong', value: o.bandwidthMiBps });
  for (const c of o.compression ?? [])
    p.push({ name: STRINGS.VIR_MIGRATE_PARAM_COMPRESSION, type: 'string', value: c });
  if (o.parallelConnections !== undefined && o.parallelConnections > 1) {
    p.push({ name: STRINGS.VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, type: 'int', value: o.parallelConnections });
  }
  return p;
}

const num = (s: Record<string, TypedValue>, k: string): number | undefined =>
  s[k] === undefined ? undefined : Number(s[k]);

/** Where a migration stands, from the lifecycle events seen so far (source suspended, destination resumed). */
function phaseOf(
  stats: Record<string, TypedValue>,
  events: readonly DomainEvent[],
  postCopyStarted: boolean,
): MigrationProgress['phase'] {
  if (events.some((e) => e.kind === 'resumed' && e.detail === 'migrated')) return 'completing';
  if (postCopyStarted) return 'postcopy';
  if (events.some((e) => e.kind === 'suspended' && e.detail === 'migrated')) return 'stop-and-copy';
  return (num(stats, 'data_processed') ?? 0) === 0 ? 'setup' : 'precopy';
}

function progressOf(
  stats: Record<string, TypedValue>,
  elapsedMs: number,
  phase: MigrationProgress['phase'],
): MigrationProgress {
  const pageSize = num(stats, 'memory_page_size') ?? 4096;
  const dirtyPages = num(stats, 'memory_dirty_rate');
  const iteration = num(stats, 'memory_iteration');
  return {
    elapsedMs,
    dataTotalBytes: num(stats, 'data_total') ?? 0,
    dataProcessedBytes: num(stats, 'data_processed') ?? 0,
    dataRemainingBytes: num(stats, 'data_remaining') ?? 0,
    ...(iteration !== undefined ? { iteration } : {}),
    ...(dirtyPages !== undefined ? { dirtyRateBps: dirtyPages * pageSize } : {}),
    phase,
  };
}

/**
 * Builds the Equation-1 stages (ms since the call) from libvirt's events, tiling [0, total] in the
 * order libvirt's migration protocol runs them:
 * reservation = the preflight (when it ran) + Begin on the source + Prepare on the destination,
 * until the destination QEMU has started (`started/migrated` there); initialisation = from then until the first RAM pass (QEMU's
 * setup); one pre-copy round per `migration-iteration` event until the source is suspended;
 * stop-and-copy (or the switch to post-copy) = source suspended until the destination resumes;
 * activation = destination running until the source discards its copy (`stopped/migrated`);
 * commitment = the source's Confirm phase until the call returns. libvirt resumes the destination
 * (Finish) before the source confirms, so activation precedes commitment here.
 */
function stagesFrom(
  events: DomainEvent[],
  t0: number,
  totalMs: number,
  setupMs: number | undefined,
  postCopy: boolean,
  preflightEndMs: number | undefined,
): MigrationStages {
  const at = (kind: string, details: readonly string[]): number | undefined => {
    const e = events.find((x) => x.kind === kind && details.includes(x.detail));
    return e === undefined ? undefined : Math.min(Math.max(e.at - t0, 0), totalMs);
  };
  const destStarted = at('started', ['migrated']);
  const stopAt = at('suspended', ['migrated', 'postcopy']);
  const resumeAt = at('resumed', ['migrated', 'postcopy']);
  const sourceStopped = at('stopped', ['migrated']);
  const precopyEnd = stopAt ?? totalMs;
  const passes = events
    .filter((e) => e.kind === 'migration-iteration')
    .map((e) => e.at - t0)
    .filter((t) => t < precopyEnd);
  const firstPass = passes[0] ?? (destStarted !== undefined ? destStarted + (setupMs ?? 0) : setupMs);
  const rounds: Span[] = [];
  const boundaries = firstPass === undefined ? [] : [firstPass, ...passes.filter((t) => t > firstPass)];
  for (let i = 0; i < boundaries.length; i++) {
    const start = boundaries[i] as number;
    const end = Math.min(boundaries[i + 1] ?? precopyEnd, precopyEnd);
    if (end > start) rounds.push({ startMs: start, endMs: end });
  }
  const initStart = destStarted ?? 0;
  const afterResume =
    sourceStopped !== undefined && resumeAt !== undefined && sourceStopped >= resumeAt ? sourceStopped : totalMs;
  return {
    ...(destStarted !== undefined || preflightEndMs !== undefined
      ? { reservation: { startMs: 0, endMs: destStarted ?? Math.min(preflightEndMs as number, totalMs) } }
      : {}),
    ...(firstPass !== undefined && firstPass >= initStart
      ? { initialisation: { startMs: initStart, endMs: firstPass } }
      : {}),
    precopyRounds: rounds,
    ...(stopAt !== undefined ? { stopAndCopy: { startMs: stopAt, endMs: resumeAt ?? totalMs } } : {}),
    ...(resumeAt !== undefined && !postCopy ? { activation: { startMs: resumeAt, endMs: afterResume } } : {}),
    ...(resumeAt !== undefined && postCopy ? { postcopy: { startMs: resumeAt, endMs: afterResume } } : {}),
    ...(sourceStopped !== undefined && afterResume === sourceStopped
      ? { commitment: { startMs: sourceStopped, endMs: totalMs } }
      : {}),
  };
}

/** What {@link startLibvirtMigration}'s caller did before it: the preflight and when the call began. */
export interface MigrationPrelude {
  /** Milliseconds since the epoch when the migration call began (default: now). */
  readonly t0?: number;
  /** The preflight's report, when it ran; its time is the start of the reservation stage. */
  readonly preflight?: PreflightReport;
}

/** A job-statistics sample as {@link precopyRounds} reads it: sent pages count whole, zero pages included. */
function precopySample(stats: Record<string, TypedValue>, elapsedMs: number): PrecopySample | undefined {
  const iteration = num(stats, 'memory_iteration');
  const remainingBytes = num(stats, 'memory_remaining');
  const transferredBytes = num(stats, 'memory_processed');
  if (iteration === undefined || remainingBytes === undefined || transferredBytes === undefined) return undefined;
  const pageSize = num(stats, 'memory_page_size') ?? 4096;
  const pages = num(stats, 'memory_normal');
  const zeroPages = num(stats, 'memory_constant');
  const sentBytes = pages === undefined || zeroPages === undefined ? transferredBytes : (pages + zeroPages) * pageSize;
  return { elapsedMs, iteration, remainingBytes, sentBytes, transferredBytes };
}

/** Why a job was aborted, which decides the error its result rejects with. */
type AbortReason = 'signal' | 'abort' | 'timeout' | 'closed';

/**
 * One libvirt migration in flight: virDomainMigrate3 (or virDomainMigrateToURI3 peer-to-peer) on a
 * worker thread, and on the main thread a poll of virDomainGetJobStats every {@link POLL_MS} ms
 * that feeds progress, the stats iterators, the per-round dirty rate, the timeout and the
 * post-copy switch. The controls are one libvirt call each on the source domain.
 */
class LibvirtMigrationJob implements MigrationJob {
  readonly domain: string;
  readonly result: Promise<MigrationResult>;
  private settled = false;
  private aborted: AbortReason | null = null;
  private closedUri = '';
  private postCopyStarted = false;
  private transferStarted = false;
  private readonly feed = new ProgressFeed();
  private readonly samples: PrecopySample[] = [];
  private lastStats: Record<string, TypedValue> = {};
  private readonly t0: number;

  constructor(
    private readonly source: LibvirtHypervisor,
    private readonly d: Domain,
    private readonly dest: LibvirtHypervisor,
    private readonly o: MigrationOptions,
    private readonly uuid: string,
    private readonly events: DomainEvent[],
    private readonly prelude: MigrationPrelude,
    cleanup: () => void,
  ) {
    this.t0 = prelude.t0 ?? Date.now();
    this.domain = d.name();
    this.result = this.run().finally(cleanup);
    // A caller that only uses the controls must not see an unhandled rejection; awaiting callers still get it.
    this.result.catch(() => undefined);
  }

  get finished(): boolean {
    return this.settled;
  }

  stats(options?: MigrationStatsOptions): AsyncIterableIterator<MigrationProgress> {
    return this.feed.iterate(options);
  }

  private check(control: MigrationControl, validate?: () => void): void {
    assertJobControl(control, this.source.migrationControls, this.source.driver, this, validate);
  }

  async setMaxDowntime(ms: number): Promise<void> {
    this.check('setMaxDowntime', () => assertMaxDowntimeMs(ms));
    await this.d.migrateSetMaxDowntime(Math.round(ms));
  }

  async setBandwidth(mibps: number): Promise<void> {
    this.check('setBandwidth', () => assertBandwidthMiBps(mibps));
    await this.d.migrateSetMaxSpeed(Math.round(mibps));
  }

  async startPostCopy(): Promise<void> {
    this.check('startPostCopy', () => {
      if (!this.o.postCopy)
        throw new UnsupportedError('post-copy on a migration started without options.postCopy', this.source.driver);
    });
    if (this.postCopyStarted)
      throw new StateError(`the migration of "${this.domain}" has already switched to post-copy`, {
        domain: this.domain,
      });
    // QEMU refuses the switch until the RAM transfer has begun.
    while (!this.transferStarted && !this.settled) await sleep(POLL_MS);
    this.check('startPostCopy');
    await this.d.migrateStartPostCopy();
    this.postCopyStarted = true;
  }

  async abort(): Promise<void> {
    this.check('abort', () => {
      // The guest already runs on the destination; QEMU refuses to abort post-copy.
      if (this.postCopyStarted)
        throw new StateError(`the migration of "${this.domain}" has switched to post-copy and cannot be aborted`, {
          domain: this.domain,
        });
    });
    this.aborted ??= 'abort';
    await this.abortJob();
  }

  /**
   * virDomainAbortJob until it takes: right after the start the worker may not have begun the
   * job yet, and libvirt then refuses ("no job is active"). Resolves when it took or the job ended.
   */
  private async abortJob(): Promise<void> {
    for (;;) {
      try {
        await this.d.abortJob();
        return;
      } catch (e) {
        if (this.settled) return;
        if (!isVirtmigError(e) || (e.code !== 'E_STATE' && e.code !== 'E_LIBVIRT')) throw e;
      }
      await sleep(POLL_MS);
      if (this.settled) return;
    }
  }

  private abortFor(reason: AbortReason): void {
    this.aborted ??= reason;
    this.abortJob().catch(() => undefined);
  }

  private progress(p: MigrationProgress): void {
    this.feed.push(p);
    this.o.onProgress?.(p);
  }

  private async run(): Promise<MigrationResult> {
    const { source, d, dest, o } = this;
    const name = this.domain;
    const startedAt = new Date(this.t0).toISOString();
    // The source connection stays open until the call settles even if close() comes first (the
    // close hooks below abort the job then).
    const running = source.connection
      .use(() =>
        o.peerUri === undefined
          ? d.migrate3(dest.connection, migrationParams(o), migrationFlags(o))
          : d
              .migrateToUri3(o.peerUri, migrationParams(o), migrationFlags(o))
              .then(() => dest.connection.lookupDomain(name)),
      )
      .finally(() => {
        this.settled = true;
        this.feed.end();
      });
    const onAbort = (): void => this.abortFor('signal');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    // Closing either end (a signal handler, a timeout, an abort path) aborts the job, so libvirt
    // keeps the guest on the source; the connections stay open until the migration call settles.
    const offClose = [source, dest].map((h) =>
      h.connection.onClose(() => {
        this.closedUri = h.uri;
        this.abortFor('closed');
      }),
    );
    const poll = this.poll();
    let destDomain: Domain;
    try {
      destDomain = await running;
    } catch (e) {
      await poll;
      if (this.aborted === 'signal' || this.aborted === 'abort')
        throw new AbortedError(`migration of ${name}`, { cause: e });
      if (this.aborted === 'timeout') throw new TimeoutError(`migration of ${name}`, o.timeoutMs ?? 0);
      if (this.aborted === 'closed')
        throw new ClosedError(`connection to ${this.closedUri} (migration of ${name} aborted)`);
      const msg = isVirtmigError(e) ? e.message : String(e);
      const via = o.peerUri === undefined ? '' : ` (peer-to-peer via ${o.peerUri})`;
      throw new MigrationError(
        `migration of ${name} to ${dest.uri}${via} failed: ${msg}`,
        await failureDetails(source, dest, name, this.uuid),
        { cause: e },
      );
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      for (const off of offClose) off();
    }
    await poll;
    return this.finish(destDomain, startedAt);
  }

  private async poll(): Promise<void> {
    const { d, o } = this;
    const wantPostCopy =
      o.postCopy === true ? 0 : typeof o.postCopy === 'object' && o.postCopy !== null ? o.postCopy.afterMs : null;
    let transferStartedAt: number | null = null;
    while (!this.settled) {
      await sleep(POLL_MS);
      if (this.settled) break;
      const elapsed = Date.now() - this.t0;
      if (o.timeoutMs !== undefined && elapsed > o.timeoutMs && !this.aborted) {
        this.aborted = 'timeout';
        await this.abortJob().catch(() => undefined);
      }
      let stats: Record<string, TypedValue>;
      try {
        stats = (await d.jobStats()).stats;
        if (stats.time_elapsed !== undefined) this.lastStats = stats;
      } catch {
        continue;
      }
      const sampledAt = Date.now() - this.t0;
      const sample = precopySample(stats, sampledAt);
      if (sample !== undefined && !this.postCopyStarted) this.samples.push(sample);
      if (transferStartedAt === null && (num(stats, 'memory_processed') ?? 0) > 0) {
        transferStartedAt = Date.now();
        this.transferStarted = true;
      }
      if (
        wantPostCopy !== null &&
        !this.postCopyStarted &&
        transferStartedAt !== null &&
        Date.now() - transferStartedAt >= wantPostCopy
      ) {
        try {
          await d.migrateStartPostCopy();
          this.postCopyStarted = true;
        } catch {
          // Not yet accepted; the next poll tries again.
        }
      }
      this.progress(progressOf(stats, sampledAt, phaseOf(stats, this.events, this.postCopyStarted)));
    }
  }

  private async finish(destDomain: Domain, startedAt: string): Promise<MigrationResult> {
    const { source, d, dest, events } = this;
    const t1 = Date.now();
    const completed = (s: { stats: Record<string, TypedValue> }): Record<string, TypedValue> | undefined =>
      s.stats.time_elapsed === undefined ? undefined : s.stats;
    let stats: Record<string, TypedValue>;
    try {
      stats =
        (await destDomain.jobStats(JOB_STATS_COMPLETED).then(completed, () => undefined)) ??
        (await d.jobStats(JOB_STATS_COMPLETED).then(completed, () => undefined)) ??
        // libvirt keeps no completed statistics after a switch to post-copy: the last sample is the best record.
        this.lastStats;
    } finally {
      destDomain.free();
    }
    const totalTimeMs = t1 - this.t0;
    // A last sample from the completed job lets a progress bar end at 100 %.
    this.o.onProgress?.(progressOf(stats, totalTimeMs, 'completing'));
    const setupMs = num(stats, 'setup_time');
    const pageSize = num(stats, 'memory_page_size') ?? 4096;
    const dirtyPages = num(stats, 'memory_dirty_rate');
    const eventAt = (kind: string, details: readonly string[]): number | undefined =>
      events.find((e) => e.kind === kind && details.includes(e.detail))?.at;
    const pausedAt = eventAt('suspended', ['migrated', 'postcopy']);
    const resumedAt = eventAt('resumed', ['migrated', 'postcopy']);
    const reportedDowntime = stats === this.lastStats ? undefined : num(stats, 'downtime');
    const eventDowntime =
      pausedAt !== undefined && resumedAt !== undefined && resumedAt >= pausedAt ? resumedAt - pausedAt : undefined;
    const downtime = reportedDowntime ?? eventDowntime;
    const syncs = new Map<number, number>();
    for (const e of events)
      if (e.kind === 'migration-iteration' && e.iteration !== undefined && !syncs.has(e.iteration))
        syncs.set(e.iteration, e.at - this.t0);
    const rounds = precopyRounds(this.samples, syncs);
    const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } =>
      v === undefined ? {} : ({ [k]: v } as { [P in K]?: V });
    return {
      domain: this.domain,
      sourceUri: source.uri,
      destinationUri: dest.uri,
      startedAt,
      endedAt: new Date(t1).toISOString(),
      totalTimeMs,
      ...opt('reportedTotalTimeMs', num(stats, 'time_elapsed')),
      ...opt('downtimeMs', downtime),
      ...(downtime !== undefined
        ? { downtimeSource: reportedDowntime !== undefined ? ('hypervisor' as const) : ('events' as const) }
        : {}),
      ...opt('setupTimeMs', setupMs),
      ...opt('dataTransferredBytes', num(stats, 'data_processed')),
      ...opt('memoryTransferredBytes', num(stats, 'memory_processed')),
      ...opt('memoryBandwidthBps', num(stats, 'memory_bps')),
      ...opt('dirtyRateBps', dirtyPages === undefined ? undefined : dirtyPages * pageSize),
      ...opt('iterations', num(stats, 'memory_iteration')),
      ...opt('postCopyRequests', num(stats, 'memory_postcopy_requests')),
      postCopy: this.postCopyStarted,
      stages: stagesFrom(
        events,
        this.t0,
        totalTimeMs,
        setupMs,
        this.postCopyStarted,
        this.prelude.preflight === undefined ? undefined : Math.round(this.prelude.preflight.durationMs),
      ),
      ...(this.prelude.preflight !== undefined ? { preflight: this.prelude.preflight } : {}),
      ...(rounds.length > 0 ? { rounds } : {}),
      raw: stats,
    };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a live migration of `d` from `source` to `dest` and returns its job once it runs (see
 * `LibvirtMigrationJob`). With `peerUri` it is virDomainMigrateToURI3 in peer-to-peer
 * mode: the source daemon reaches the destination at that URI itself, and `dest` only watches
 * and finds the result. On any failure libvirt keeps or resumes the guest on the source; the
 * error says whether it is still running there. `release` runs once nothing uses `d` any more
 * (the job settled, or the start failed).
 */
export async function startLibvirtMigration(
  source: LibvirtHypervisor,
  d: Domain,
  dest: LibvirtHypervisor,
  o: MigrationOptions,
  release: () => void,
  prelude: MigrationPrelude = {},
): Promise<MigrationJob> {
  const unsubs: (() => void)[] = [];
  const cleanup = (): void => {
    for (const u of unsubs) u();
    release();
  };
  try {
    const name = d.name();
    const uuid = d.uuid();
    assertPeerToPeerOptions(o);
    if (o.signal?.aborted) throw new AbortedError(`migration of ${name}`);
    const events: DomainEvent[] = [];
    const record = (e: DomainEvent): void => {
      if (e.domain === name) events.push(e);
    };
    unsubs.push(source.onDomainEvent(record));
    try {
      unsubs.push(dest.onDomainEvent(record));
    } catch (e) {
      // The first call to a destination whose daemon is gone fails here, before anything moved.
      const sourceState = await source.lookupDomain(name).then(
        (i) => i.state,
        () => 'absent' as const,
      );
      const msg = isVirtmigError(e) ? e.message : String(e);
      // Nothing reached the destination, and asking its broken connection again would only wait.
      throw new MigrationError(
        `migration of ${name} to ${dest.uri} failed: ${msg}`,
        { domain: name, sourceUri: source.uri, destinationUri: dest.uri, sourceState, domainOnDestination: false },
        { cause: e },
      );
    }
    // A name another domain (another UUID) already has on the destination fails in its Prepare
    // phase. Refused here instead: libvirt's libxl driver keeps the source domain's migration job
    // after a failed Prepare (the job ends only in Confirm, which the client never calls then),
    // so every later call on that domain, destroy included, times out.
    const clash = await dest.lookupDomain(name).then(
      (i) => i,
      () => undefined,
    );
    if (clash && clash.uuid !== uuid) {
      throw new MigrationError(
        `migration of ${name} to ${dest.uri} refused: the destination already has another domain named ${name} (UUID ${clash.uuid}, ${clash.state})`,
        await failureDetails(source, dest, name, uuid),
      );
    }
    if (o.maxDowntimeMs !== undefined) await d.migrateSetMaxDowntime(o.maxDowntimeMs);
    return new LibvirtMigrationJob(source, d, dest, o, uuid, events, prelude, cleanup);
  } catch (e) {
    cleanup();
    throw e;
  }
}
