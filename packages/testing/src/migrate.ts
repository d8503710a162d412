import type { Clock } from '@virtmig/core';
import {
  AbortedError,
  assertBandwidthMiBps,
  assertInt,
  assertJobControl,
  assertMaxDowntimeMs,
  assertMigrationOptionsOffered,
  assertNumber,
  assertPeerToPeerOptions,
  controlsOfferedWith,
  type HypervisorCapabilities,
  InvalidArgumentError,
  type MigrationControl,
  MigrationError,
  type MigrationFailureDetails,
  type MigrationJob,
  type MigrationOptions,
  type MigrationProgress,
  type MigrationResult,
  type MigrationRound,
  type MigrationStages,
  type MigrationStatsOptions,
  type PreflightReport,
  ProgressFeed,
  type Span,
  StateError,
  TimeoutError,
  UnsupportedError,
  VirtmigError,
} from '@virtmig/core';
import type { ArmedFailure, FakeDomain, FakeHost } from './host.js';
import { type PrecopyPlan, planPrecopy } from './precopy.js';

const MIB = 1024 * 1024;
const PAGE_BYTES = 4096;
const TIME_EPSILON_MS = 1e-3;
/** QEMU's default maximum downtime. */
const DEFAULT_MAX_DOWNTIME_MS = 300;

/** Refuses unknown or unoffered options (core's shared rule, as real drivers do) and bad values, before anything runs. */
function validateOptions(options: MigrationOptions, capabilities: HypervisorCapabilities): void {
  assertMigrationOptionsOffered(options, capabilities, 'fake');
  for (const key of ['live', 'autoConverge', 'tls', 'persistDestination', 'undefineSource'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean')
      throw new InvalidArgumentError(`options.${key}`, 'must be a boolean');
  }
  const pc = options.postCopy;
  if (pc !== undefined && typeof pc !== 'boolean' && pc !== 'manual') {
    if (typeof pc !== 'object' || pc === null)
      throw new InvalidArgumentError('options.postCopy', "must be a boolean, 'manual' or { afterMs }");
    assertNumber(pc.afterMs, 'options.postCopy.afterMs', 0, 1e9);
  }
  if (options.maxDowntimeMs !== undefined) assertNumber(options.maxDowntimeMs, 'options.maxDowntimeMs', 0, 1e9);
  if (options.bandwidthMiBps !== undefined)
    assertNumber(options.bandwidthMiBps, 'options.bandwidthMiBps', Number.MIN_VALUE, 1e9);
  if (options.timeoutMs !== undefined) assertNumber(options.timeoutMs, 'options.timeoutMs', Number.MIN_VALUE, 1e12);
  if (options.parallelConnections !== undefined)
    assertInt(options.parallelConnections, 'options.parallelConnections', 1, 256);
  if (options.compression !== undefined) {
    if (!Array.isArray(options.compression) || options.compression.some((c) => typeof c !== 'string' || c === '')) {
      throw new InvalidArgumentError('options.compression', 'must be an array of method names');
    }
  }
  if (
    options.migrateUri !== undefined &&
    (typeof options.migrateUri !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/.test(options.migrateUri))
  ) {
    throw new InvalidArgumentError('options.migrateUri', 'must be a URI such as tcp://host:port');
  }
  assertPeerToPeerOptions(options);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    throw new InvalidArgumentError('options.signal', 'must be an AbortSignal');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidArgumentError('options.onProgress', 'must be a function');
  }
}

/** A failure that the run turns into a rollback; carries the error to throw. */
class Rollback extends Error {}

/** One migration in progress: simulated time, stage bookkeeping and rollback. */
class MigrationRun {
  private readonly clock: Clock;
  private readonly t0: number;
  private readonly plan: PrecopyPlan;
  private readonly memoryBytes: number;
  /** The link rate in use; {@link MigrationRun.setBandwidth} changes it from the next tick on. */
  private bandwidthBps: number;
  /** The downtime budget in use; {@link MigrationRun.setMaxDowntime} changes it from the next round's end on. */
  private maxDowntimeMs: number;
  private readonly dirtyRateBps: number;
  private readonly measuredRounds: MigrationRound[] = [];
  private readonly abortController = new AbortController();
  private postCopyRequested = false;
  /** Every progress sample goes here too, for the job's stats iterators. */
  readonly feed = new ProgressFeed();
  /** True once the run has settled. */
  finished = false;
  /** True once the run switched to post-copy. */
  switchedToPostCopy = false;
  /** True once the guest is paused for the last copy: no more switch to post-copy. */
  stopped = false;
  private readonly wasPaused: boolean;
  private readonly timeoutAt: number;
  private stages: { -readonly [K in keyof MigrationStages]: MigrationStages[K] } = { precopyRounds: [] };
  private readonly rounds: Span[] = [];
  private phase: MigrationProgress['phase'] = 'setup';
  private iteration: number | undefined;
  private sentBytes = 0;
  private remainingBytes = 0;
  private pausedAt: number | undefined;
  private stopAndCopyBytes = 0;
  private bandwidthChanges = 0;
  /** Once the destination runs the guest, the migration can no longer be rolled back. */
  private committed = false;

  constructor(
    private readonly src: FakeHost,
    private readonly srcUri: string,
    private readonly dst: FakeHost,
    private readonly dstUri: string,
    private readonly d: FakeDomain,
    private readonly options: MigrationOptions,
    private readonly failure: ArmedFailure | undefined,
  ) {
    const net = src.network;
    this.clock = net.clock;
    this.t0 = this.clock.now();
    this.wasPaused = d.state === 'paused';
    this.memoryBytes = d.memoryKiB * 1024;
    this.bandwidthBps = Math.min(
      net.bandwidthBps,
      options.bandwidthMiBps === undefined ? Number.POSITIVE_INFINITY : options.bandwidthMiBps * MIB,
    );
    // A paused guest, or one paused for an offline migration, dirties nothing.
    this.dirtyRateBps = this.wasPaused || options.live === false ? 0 : d.dirtyRateBps;
    this.maxDowntimeMs = options.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS;
    const signal = options.signal;
    signal?.addEventListener('abort', () => this.abortController.abort(signal.reason), { once: true });
    this.plan = planPrecopy({
      memoryBytes: this.memoryBytes,
      bandwidthBps: this.bandwidthBps,
      dirtyRateBps: this.dirtyRateBps,
      maxDowntimeMs: this.maxDowntimeMs,
      maxIterations: src.maxIterations,
      setupMs: net.setupMs,
      resumeMs: 2 * net.latencyMs + net.activationMs,
      autoConverge: options.autoConverge === true,
    });
    this.timeoutAt = options.timeoutMs ?? Number.POSITIVE_INFINITY;
  }

  async execute(): Promise<MigrationResult> {
    const net = this.src.network;
    try {
      if (this.options.live === false) this.pauseSource();
      this.checkReachable();
      await this.until(net.setupMs / 2);
      this.stages.initialisation = this.span(0);
      this.checkDestinationFree();
      await this.until(net.setupMs);
      this.stages.reservation = this.span(this.stages.initialisation.endMs);

      const switchAt = this.postCopySwitchOffset(net.setupMs);
      let switchedInRound: { startMs: number } | undefined;
      // The plan's rule, round by round, so a bandwidth or downtime change applies from then on.
      let toSend = this.memoryBytes;
      let throttle = 0;
      for (let iteration = 1; ; iteration++) {
        if (this.failure?.atIteration === iteration) this.fail(this.failure.reason);
        if (this.options.autoConverge && iteration >= 3)
          throttle = Math.min(0.99, throttle === 0 ? 0.2 : throttle + 0.1);
        const rate = this.dirtyRateBps * (1 - throttle);
        this.phase = 'precopy';
        this.iteration = iteration;
        this.src.emit(this.d.name, 'migration-iteration', 'precopy', iteration);
        const start = this.elapsed();
        const changes = this.bandwidthChanges;
        const interrupted = await this.send(toSend, switchAt);
        this.rounds.push(this.span(start));
        if (interrupted) {
          switchedInRound = { startMs: start };
          break;
        }
        // At one rate the model's duration is exact; the clock's reading has lost digits.
        const durationMs =
          changes === this.bandwidthChanges ? (toSend / this.bandwidthBps) * 1000 : this.elapsed() - start;
        const sent = toSend;
        toSend = Math.min(this.memoryBytes, (rate * durationMs) / 1000);
        this.measuredRounds.push({
          iteration,
          startMs: start,
          endMs: this.elapsed(),
          transferredBytes: sent,
          remainingBytes: toSend,
          dirtiedBytes: toSend,
          dirtyRateBps: durationMs > 0 ? (toSend * 1000) / durationMs : rate,
        });
        if ((toSend / this.bandwidthBps) * 1000 <= this.maxDowntimeMs) break;
        if (iteration >= this.src.maxIterations) break;
      }
      this.stopAndCopyBytes = toSend;
      if (this.failure && this.failure.atIteration > (this.iteration ?? 0)) this.fail(this.failure.reason);
      this.stages.precopyRounds = this.rounds;
      return switchedInRound ? await this.finishPostCopy(switchedInRound.startMs) : await this.finishPrecopy();
    } catch (e) {
      if (this.committed) throw e;
      this.rollback();
      if (e instanceof Rollback)
        throw new MigrationError(`migration of "${this.d.name}" failed: ${e.message}`, this.failureDetails());
      if (e instanceof AbortedError)
        throw new AbortedError(`migration of "${this.d.name}"`, { cause: this.options.signal?.reason });
      if (e instanceof VirtmigError) throw e;
      throw new MigrationError(`migration of "${this.d.name}" failed: ${(e as Error).message}`, this.failureDetails(), {
        cause: e,
      });
    } finally {
      this.d.migrating = false;
      this.finished = true;
      this.feed.end();
    }
  }

  private async finishPrecopy(): Promise<MigrationResult> {
    const net = this.src.network;
    this.phase = 'stop-and-copy';
    this.stopped = true;
    this.pauseSource();
    const start = this.elapsed();
    await this.send(this.stopAndCopyBytes);
    this.stages.stopAndCopy = this.span(start);
    await this.commitAndActivate(net.latencyMs, net.activationMs);
    this.stopSource();
    return this.result(false);
  }

  /** Switches to post-copy: the guest moves now, the rest of its memory follows on demand. */
  private async finishPostCopy(roundStartMs: number): Promise<MigrationResult> {
    const net = this.src.network;
    const switchMs = this.elapsed();
    this.switchedToPostCopy = true;
    this.stopped = true;
    const inRoundMs = switchMs - roundStartMs;
    // Unsent pages of this round plus what the guest dirtied since it began; never more than its memory.
    const remaining = Math.min(this.memoryBytes, this.remainingBytes + (this.dirtyRateBps * inRoundMs) / 1000);
    this.pauseSource();
    this.stages.stopAndCopy = this.span(switchMs);
    await this.commitAndActivate(net.latencyMs, net.activationMs);
    this.phase = 'postcopy';
    const postStart = this.elapsed();
    const durationMs = (remaining / this.bandwidthBps) * 1000;
    const sentBefore = this.sentBytes;
    await this.until(postStart + durationMs, undefined, (elapsed) => {
      const done = durationMs > 0 ? Math.min(1, (elapsed - postStart) / durationMs) : 1;
      this.sentBytes = sentBefore + remaining * done;
      this.remainingBytes = remaining * (1 - done);
    });
    this.sentBytes = sentBefore + remaining;
    this.remainingBytes = 0;
    this.stages.postcopy = this.span(switchMs);
    this.stopSource();
    const touchedPages = Math.ceil((this.dirtyRateBps * durationMs) / 1000 / PAGE_BYTES);
    return this.result(true, Math.min(Math.ceil(remaining / PAGE_BYTES), touchedPages), this.iteration);
  }

  private async commitAndActivate(latencyMs: number, activationMs: number): Promise<void> {
    this.phase = 'completing';
    const commitStart = this.elapsed();
    await this.until(commitStart + 2 * latencyMs);
    this.stages.commitment = this.span(commitStart);
    const activationStart = this.elapsed();
    await this.until(activationStart + activationMs);
    this.checkDestinationFree();
    this.activateOnDestination();
    this.stages.activation = this.span(activationStart);
  }

  /**
   * Lets simulated time pass until `endOffset` ms after the start, in progress ticks. Before the
   * guest runs on the destination every tick checks abort, timeout and reachability. Returns true
   * when it stopped early at `interruptAt`.
   */
  private async until(endOffset: number, interruptAt?: number, onTick?: (elapsed: number) => void): Promise<boolean> {
    const interval = this.src.network.progressIntervalMs;
    const stopAt = Math.min(endOffset, interruptAt ?? Number.POSITIVE_INFINITY);
    for (;;) {
      const elapsed = this.elapsed();
      // Within rounding of the target counts as there: clock readings far from 0 lose sub-microsecond digits.
      if (stopAt - elapsed <= TIME_EPSILON_MS) break;
      const next = Math.min(stopAt, elapsed + interval, this.committed ? Number.POSITIVE_INFINITY : this.timeoutAt);
      await this.clock.sleep(next - elapsed, this.committed ? undefined : this.abortController.signal);
      if (!this.committed) {
        if (this.elapsed() >= this.timeoutAt) throw new TimeoutError(`migration of "${this.d.name}"`, this.timeoutAt);
        this.checkReachable();
      }
      onTick?.(this.elapsed());
      this.report();
    }
    return interruptAt !== undefined && interruptAt < endOffset && interruptAt - this.elapsed() <= TIME_EPSILON_MS;
  }

  /**
   * Sends `bytes` at the current bandwidth (re-read every tick), checking abort, timeout and
   * reachability as {@link MigrationRun.until} does. Returns true when it stopped early for the
   * post-copy switch (at `switchAt`, or at the first tick after {@link MigrationRun.requestPostCopy}).
   */
  private async send(bytes: number, switchAt?: number): Promise<boolean> {
    const interval = this.src.network.progressIntervalMs;
    let left = bytes;
    const sentBefore = this.sentBytes;
    this.remainingBytes = left;
    const switchable = switchAt !== undefined || this.options.postCopy === 'manual';
    for (;;) {
      const elapsed = this.elapsed();
      if (switchable && this.postCopyRequested) return true;
      if (switchAt !== undefined && switchAt - elapsed <= TIME_EPSILON_MS) return true;
      const dueMs = (left / this.bandwidthBps) * 1000;
      // Within rounding of done counts as done, as time does in until().
      if (dueMs <= TIME_EPSILON_MS) {
        this.sentBytes = sentBefore + bytes;
        this.remainingBytes = 0;
        return false;
      }
      const step = Math.min(interval, dueMs, switchAt === undefined ? Number.POSITIVE_INFINITY : switchAt - elapsed);
      let last = elapsed;
      await this.until(elapsed + step, undefined, (now) => {
        let sent = Math.min(left, ((now - last) / 1000) * this.bandwidthBps);
        if (left - sent < 1e-9 * bytes) sent = left;
        last = now;
        left -= sent;
        this.sentBytes = sentBefore + (bytes - left);
        this.remainingBytes = left;
      });
    }
  }

  /** Sets the bandwidth limit (bytes/s) from the next tick on. */
  setBandwidth(bps: number): void {
    this.bandwidthChanges++;
    this.bandwidthBps = Math.min(this.src.network.bandwidthBps, bps);
  }

  /** Sets the downtime budget (ms) from the end of the running round on. */
  setMaxDowntime(ms: number): void {
    this.maxDowntimeMs = ms;
  }

  /** Asks for the post-copy switch at the next tick of a pre-copy round. */
  requestPostCopy(): void {
    this.postCopyRequested = true;
  }

  /** Aborts the run: it rolls back and rejects with `E_ABORTED`. */
  abort(): void {
    this.abortController.abort(new AbortedError(`migration of "${this.d.name}"`));
  }

  private postCopySwitchOffset(roundsStart: number): number | undefined {
    const pc = this.options.postCopy;
    if (pc === undefined || pc === false || pc === 'manual') return undefined;
    // Like QEMU, the switch is refused until the RAM transfer has begun: not before the first tick.
    const firstTick = Math.min(this.src.network.progressIntervalMs, this.plan.rounds[0]?.durationMs ?? 0);
    return roundsStart + Math.max(firstTick, pc === true ? 0 : pc.afterMs);
  }

  private report(): void {
    const onProgress = this.options.onProgress;
    const progress: MigrationProgress = {
      elapsedMs: this.elapsed(),
      dataTotalBytes: this.memoryBytes,
      dataProcessedBytes: Math.round(this.sentBytes),
      dataRemainingBytes: Math.round(this.remainingBytes),
      ...(this.iteration === undefined ? {} : { iteration: this.iteration }),
      dirtyRateBps: this.dirtyRateBps,
      phase: this.phase,
    };
    this.feed.push(progress);
    if (!onProgress) return;
    if (!this.committed) {
      onProgress(progress);
      return;
    }
    try {
      onProgress(progress);
    } catch {
      // The guest already runs on the destination: a listener's bug must not strand it half-migrated.
    }
  }

  private checkReachable(): void {
    const net = this.src.network;
    for (const host of [this.dst.name, this.src.name]) {
      if (!net.isReachable(host)) this.fail(`fake host "${host}" is unreachable`);
    }
  }

  private checkDestinationFree(): void {
    const existing = this.dst.domains.get(this.d.name);
    if (existing && (existing.state !== 'shutoff' || existing.uuid !== this.d.uuid)) {
      this.fail(`domain "${this.d.name}" already exists on fake host "${this.dst.name}"`);
    }
  }

  private fail(reason: string): never {
    throw new Rollback(reason);
  }

  /** Where the rolled-back migration left the guest: read after the rollback, as a real driver reads it. */
  private failureDetails(): MigrationFailureDetails {
    return {
      domain: this.d.name,
      sourceUri: this.srcUri,
      destinationUri: this.dstUri,
      sourceState: this.src.domains.get(this.d.name)?.state ?? 'absent',
      domainOnDestination: this.dst.domains.get(this.d.name)?.uuid === this.d.uuid,
    };
  }

  private pauseSource(): void {
    if (this.pausedAt !== undefined) return;
    this.pausedAt = this.clock.now();
    if (this.d.state === 'running') this.src.transition(this.d, 'paused', 'suspended', 'migrated');
  }

  private rollback(): void {
    if (this.pausedAt !== undefined && !this.wasPaused && this.d.state === 'paused') {
      this.src.transition(this.d, 'running', 'resumed', 'migrated');
    }
  }

  private activateOnDestination(): void {
    const { d, dst, options } = this;
    const existing = dst.domains.get(d.name);
    const copy: FakeDomain = {
      ...d,
      id: -1,
      state: 'shutoff',
      persistent: options.persistDestination === true || existing?.persistent === true,
      cpuTimeNs: 0,
      accountedAt: this.clock.now(),
      migrating: false,
    };
    dst.domains.set(d.name, copy);
    if (options.persistDestination === true && !existing) dst.emit(d.name, 'defined', 'added');
    dst.transition(copy, this.wasPaused ? 'paused' : 'running', 'started', 'migrated');
    if (!this.wasPaused) dst.emit(d.name, 'resumed', 'migrated');
    this.committed = true;
  }

  private stopSource(): void {
    const { d, src } = this;
    d.migrating = false;
    src.transition(d, 'shutoff', 'stopped', 'migrated');
    if (this.options.undefineSource === true && src.domains.get(d.name) === d) {
      src.domains.delete(d.name);
      src.emit(d.name, 'undefined', 'removed');
    }
  }

  private elapsed(): number {
    return this.clock.now() - this.t0;
  }

  private span(startMs: number): Span {
    return { startMs, endMs: this.elapsed() };
  }

  private result(postCopy: boolean, postCopyRequests?: number, switchIteration?: number): MigrationResult {
    const t1 = this.clock.now();
    const totalTimeMs = t1 - this.t0;
    const raw: Record<string, number | string | boolean> = {
      'fake.lambda': this.plan.lambda,
      'fake.converged': this.plan.converged,
      'fake.planned_total_ms': this.plan.totalMs,
      'fake.planned_downtime_ms': this.plan.downtimeMs,
      'fake.stop_and_copy_bytes': this.stopAndCopyBytes,
      'fake.bandwidth_bps': this.bandwidthBps,
    };
    if (switchIteration !== undefined) raw['fake.postcopy_switch_iteration'] = switchIteration;
    return {
      domain: this.d.name,
      sourceUri: this.srcUri,
      destinationUri: this.dstUri,
      startedAt: new Date(this.t0).toISOString(),
      endedAt: new Date(t1).toISOString(),
      totalTimeMs,
      reportedTotalTimeMs: totalTimeMs,
      downtimeMs: (this.stages.activation?.endMs ?? totalTimeMs) - ((this.pausedAt ?? t1) - this.t0),
      downtimeSource: 'hypervisor',
      setupTimeMs: this.stages.reservation?.endMs ?? 0,
      dataTransferredBytes: Math.round(this.sentBytes),
      memoryTransferredBytes: Math.round(this.sentBytes),
      memoryBandwidthBps: this.bandwidthBps,
      dirtyRateBps: this.dirtyRateBps,
      iterations: this.rounds.length,
      ...(this.measuredRounds.length > 0 ? { rounds: [...this.measuredRounds] } : {}),
      ...(postCopyRequests === undefined ? {} : { postCopyRequests }),
      postCopy,
      stages: { ...this.stages, precopyRounds: [...this.rounds] },
      raw,
    };
  }
}

/** The fake's {@link MigrationJob}: the controls act on the simulated run. */
class FakeMigrationJob implements MigrationJob {
  readonly result: Promise<MigrationResult>;

  constructor(
    readonly domain: string,
    private readonly run: MigrationRun,
    private readonly controls: ReadonlySet<MigrationControl>,
    private readonly postCopyEnabled: boolean,
    preflight: PreflightReport | undefined,
  ) {
    this.result = run.execute().then((r) => (preflight === undefined ? r : { ...r, preflight }));
    // A caller that only uses the controls must not see an unhandled rejection; awaiting callers still get it.
    this.result.catch(() => undefined);
  }

  get finished(): boolean {
    return this.run.finished;
  }

  stats(options?: MigrationStatsOptions): AsyncIterableIterator<MigrationProgress> {
    return this.run.feed.iterate(options);
  }

  async setMaxDowntime(ms: number): Promise<void> {
    assertJobControl('setMaxDowntime', this.controls, 'fake', this, () => assertMaxDowntimeMs(ms));
    this.run.setMaxDowntime(ms);
  }

  async setBandwidth(mibps: number): Promise<void> {
    assertJobControl('setBandwidth', this.controls, 'fake', this, () => assertBandwidthMiBps(mibps));
    this.run.setBandwidth(mibps * MIB);
  }

  async startPostCopy(): Promise<void> {
    assertJobControl('startPostCopy', this.controls, 'fake', this, () => {
      if (!this.postCopyEnabled)
        throw new UnsupportedError('post-copy on a migration started without options.postCopy', 'fake');
    });
    if (this.run.switchedToPostCopy || this.run.stopped)
      throw new StateError(`the migration of "${this.domain}" is past pre-copy`, { domain: this.domain });
    this.run.requestPostCopy();
  }

  async abort(): Promise<void> {
    assertJobControl('abort', this.controls, 'fake', this);
    if (this.run.switchedToPostCopy)
      throw new StateError(`the migration of "${this.domain}" has switched to post-copy and cannot be aborted`, {
        domain: this.domain,
      });
    this.run.abort();
  }
}

/**
 * Starts a live migration of `name` from `src` to `dst` in simulated time and returns its job
 * (its result carries `preflight` when one ran).
 * Everything that can be checked up front is checked before the domain is touched; any later
 * failure resumes the guest on the source. @internal
 */
export function startMigrationJob(
  src: FakeHost,
  srcUri: string,
  dst: FakeHost,
  dstUri: string,
  name: string,
  options: MigrationOptions,
  preflight?: PreflightReport,
): MigrationJob {
  validateOptions(options, src.capabilities);
  const d = src.get(name);
  if (dst === src) {
    throw new MigrationError(`source and destination are the same fake host "${src.name}"`, {
      domain: name,
      sourceUri: srcUri,
      destinationUri: dstUri,
      sourceState: d.state,
      domainOnDestination: false,
    });
  }
  if (d.migrating) throw new StateError(`domain "${name}" has a migration job in progress`, { domain: name });
  if (d.state !== 'running' && d.state !== 'paused')
    throw new StateError(`domain "${name}" is not running`, { domain: name, state: d.state });
  if (options.signal?.aborted) throw new AbortedError(`migration of "${name}"`, { cause: options.signal.reason });
  const failure = src.armedFailure;
  src.armedFailure = undefined;
  src.account(d);
  d.migrating = true;
  const run = new MigrationRun(src, srcUri, dst, dstUri, d, options, failure);
  return new FakeMigrationJob(
    name,
    run,
    controlsOfferedWith(src.capabilities.migrationOptions),
    options.postCopy !== undefined && options.postCopy !== false,
    preflight,
  );
}
