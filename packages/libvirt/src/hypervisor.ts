import {
  assertDomainConfig,
  assertDomainName,
  assertInt,
  assertMigrationOptionsOffered,
  assertNumber,
  assertPeerToPeerOptions,
  assertPreflightOptions,
  assertPreflightPassed,
  assertSecretConfig,
  assertSecretUsage,
  assertSecretUuid,
  assertSecretValue,
  ClosedError,
  type ConsoleCapable,
  type ConsoleLineRead,
  controlsOfferedWith,
  type DirtyRateCapable,
  type DirtyRateMeasurement,
  type DirtyRateMode,
  type DirtyRateOptions,
  type DomainConfig,
  type DomainEvent,
  type DomainInfo,
  type DomainState,
  type DomainStats,
  type EventCapable,
  type HostInfo,
  type Hypervisor,
  type HypervisorCapabilities,
  type ImageStoreCapable,
  type ImageStoreOptions,
  InvalidArgumentError,
  isVirtmigError,
  type MigrationControl,
  type MigrationJob,
  type MigrationJobCapable,
  type MigrationOptions,
  type MigrationResult,
  NotFoundError,
  type PreflightOptions,
  type PreflightReport,
  resolveDirtyRateOptions,
  type SecretCapable,
  type SecretConfig,
  type SecretInfo,
  type SecretUsageType,
  type SecretValue,
  StateError,
  type StoredImage,
  UnsupportedError,
} from '@virtmig/core';
import type { Connection, DomainStatsRecord } from './connection.js';
import { measureDirtyRateWithLibvirt } from './dirty-rate.js';
import { DOMAIN_STATES, type Domain } from './domain-handle.js';
import { assertDomainXml } from './domain-xml-limits.js';
import { ENUMS } from './generated/enums.js';
import { startLibvirtMigration } from './migrate.js';
import { preflightWithLibvirt } from './preflight.js';
import { domainConsole, ensureHostImage, removeHostImages } from './remote-guest.js';
import type { Secret } from './secret-handle.js';
import { parseSecretXml, SECRET_USAGE_NUMBERS, secretUsageName, secretXml } from './secret-xml.js';

const AFFECT = ENUMS.virDomainModificationImpact;
const VCPU_MAXIMUM = ENUMS.virDomainVcpuFlags.VIR_DOMAIN_VCPU_MAXIMUM;
const MEM_MAXIMUM = ENUMS.virDomainMemoryModFlags.VIR_DOMAIN_MEM_MAXIMUM;
const UNDEFINE_FLAGS =
  ENUMS.virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
  ENUMS.virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;

/** Maps a virDomainState number to core's name. */
export function domainState(n: number): DomainState {
  return DOMAIN_STATES[n] ?? 'nostate';
}

/**
 * `Hypervisor` over a libvirt connection. Drivers specialise it: they build domain XML from a
 * `DomainConfig`, map the CPU cap onto their scheduler, and declare what they support.
 */
export abstract class LibvirtHypervisor
  implements
    Hypervisor,
    EventCapable,
    ConsoleCapable,
    ImageStoreCapable,
    SecretCapable,
    DirtyRateCapable,
    MigrationJobCapable
{
  abstract readonly capabilities: HypervisorCapabilities;

  /**
   * The dirty-rate modes this driver's libvirt backend measures with (virDomainStartDirtyRateCalc
   * is QEMU's); none unless a driver declares them.
   */
  readonly dirtyRateModes: ReadonlySet<DirtyRateMode> = new Set();

  /**
   * virDomainUndefineFlags flags: managed-save images and snapshot metadata go with the domain.
   * Drivers whose libvirt backend refuses some of them (libxl takes only MANAGED_SAVE) override it.
   */
  protected readonly undefineFlags: number = UNDEFINE_FLAGS;

  constructor(
    /** The libvirt connection this hypervisor wraps. */
    readonly connection: Connection,
    /** Driver name, e.g. `qemu`, `xen`, `test`. */
    readonly driver: string,
  ) {}

  get uri(): string {
    return this.connection.uri;
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  /** Turns a config into this driver's domain XML; throws `E_INVALID_ARGUMENT` for bad configs. */
  protected abstract buildDomainXml(config: DomainConfig): string;

  /**
   * Closes the connection: new calls fail with `E_CLOSED` at once, a migration in flight is
   * aborted (the guest stays on the source), and this resolves once the calls in flight settled
   * and the connection is released.
   */
  async close(): Promise<void> {
    await this.connection.close();
  }

  /**
   * The connection, for a call about to be made.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection was closed.
   */
  protected conn(): Connection {
    if (this.connection.closed) throw new ClosedError(`connection to ${this.connection.uri}`);
    return this.connection;
  }

  async hostInfo(): Promise<HostInfo> {
    const c = this.conn();
    const n = c.nodeInfo();
    return {
      hostname: c.hostname(),
      model: n.model,
      cpus: n.cpus,
      mhz: n.mhz,
      nodes: n.nodes,
      sockets: n.sockets,
      coresPerSocket: n.cores,
      threadsPerCore: n.threads,
      memoryKiB: n.memoryKiB,
      hypervisorType: c.type(),
      hypervisorVersion: c.hypervisorVersion(),
      libvirtVersion: c.libVersion(),
    };
  }

  async capabilitiesXml(): Promise<string> {
    return this.conn().capabilities();
  }

  /**
   * Looks a domain up; the caller frees the handle.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   */
  protected async openDomain(name: string): Promise<Domain> {
    assertDomainName(name);
    const c = this.conn();
    try {
      return await c.lookupDomain(name);
    } catch (e) {
      if (isVirtmigError(e, 'E_NOT_FOUND')) throw new NotFoundError('domain', name, undefined, { cause: e });
      throw e;
    }
  }

  /** Looks a domain up, runs `fn`, and frees the handle whatever happens. */
  protected async withDomain<T>(name: string, fn: (d: Domain) => Promise<T> | T): Promise<T> {
    const d = await this.openDomain(name);
    try {
      return await fn(d);
    } finally {
      d.free();
    }
  }

  /** Reads a domain's info (name, uuid, state, memory, vCPUs, CPU time). */
  protected describe(d: Domain): DomainInfo {
    const i = d.infoSync();
    return {
      name: d.name(),
      uuid: d.uuid(),
      id: d.id(),
      state: domainState(i.state),
      persistent: d.isPersistent(),
      maxMemoryKiB: i.maxMemKiB,
      memoryKiB: i.memoryKiB,
      vcpus: i.vcpus,
      cpuTimeNs: i.cpuTimeNs,
    };
  }

  async listDomains(): Promise<DomainInfo[]> {
    const domains = await this.conn().listAllDomains();
    try {
      return domains.map((d) => this.describe(d)).sort((a, b) => a.name.localeCompare(b.name));
    } finally {
      for (const d of domains) d.free();
    }
  }

  async lookupDomain(name: string): Promise<DomainInfo> {
    return this.withDomain(name, (d) => this.describe(d));
  }

  async defineDomain(config: DomainConfig): Promise<DomainInfo> {
    assertDomainConfig(config);
    if (config.xml !== undefined) assertDomainXml(config.xml, config.name);
    const xml = config.xml ?? this.buildDomainXml(config);
    const d = await this.conn().defineXml(xml);
    try {
      if (config.cpuCapPercent !== undefined && config.cpuCapPercent > 0) {
        try {
          await this.applyCpuCap(d, config.cpuCapPercent, false);
        } catch (e) {
          // Define is all-or-nothing: a cap the driver refuses must not leave a half-configured domain.
          await d.undefine(this.undefineFlags);
          throw e;
        }
      }
      return this.describe(d);
    } finally {
      d.free();
    }
  }

  async domainXml(name: string): Promise<string> {
    return this.withDomain(name, (d) => d.xml());
  }

  async undefineDomain(name: string): Promise<void> {
    await this.withDomain(name, (d) => d.undefine(this.undefineFlags));
  }

  // libvirt drivers disagree on how they refuse a lifecycle call in the wrong state (QEMU:
  // VIR_ERR_OPERATION_INVALID, the test driver: VIR_ERR_INTERNAL_ERROR), so the state is checked
  // first and every driver reports E_STATE alike. libvirt still guards against races.
  private requireState(d: Domain, op: string, allowed: readonly DomainState[]): void {
    const state = domainState(d.infoSync().state);
    if (!allowed.includes(state)) {
      throw new StateError(`cannot ${op} domain "${d.name()}": it is ${state}`, { domain: d.name(), state, op });
    }
  }

  async startDomain(name: string): Promise<void> {
    await this.withDomain(name, (d) => {
      this.requireState(d, 'start', ['shutoff', 'crashed', 'nostate']);
      return d.create();
    });
  }

  async shutdownDomain(name: string): Promise<void> {
    await this.withDomain(name, (d) => {
      this.requireState(d, 'shut down', ['running', 'blocked', 'paused']);
      return d.shutdown();
    });
  }

  async destroyDomain(name: string): Promise<void> {
    await this.withDomain(name, (d) => {
      this.requireState(d, 'destroy', ['running', 'blocked', 'paused', 'shutdown', 'crashed', 'pmsuspended']);
      return d.destroy();
    });
  }

  async suspendDomain(name: string): Promise<void> {
    await this.withDomain(name, (d) => {
      this.requireState(d, 'suspend', ['running', 'blocked']);
      return d.suspend();
    });
  }

  async resumeDomain(name: string): Promise<void> {
    await this.withDomain(name, (d) => {
      this.requireState(d, 'resume', ['paused']);
      return d.resume();
    });
  }

  async setVcpus(name: string, vcpus: number): Promise<void> {
    assertInt(vcpus, 'vcpus', 1, 4096);
    await this.withDomain(name, async (d) => {
      if (d.isActive()) {
        await d.setVcpus(
          vcpus,
          AFFECT.VIR_DOMAIN_AFFECT_LIVE | (d.isPersistent() ? AFFECT.VIR_DOMAIN_AFFECT_CONFIG : 0),
        );
      } else {
        await d.setVcpus(vcpus, AFFECT.VIR_DOMAIN_AFFECT_CONFIG | VCPU_MAXIMUM);
        await d.setVcpus(vcpus, AFFECT.VIR_DOMAIN_AFFECT_CONFIG);
      }
    });
  }

  async setMemory(name: string, memoryMiB: number): Promise<void> {
    assertInt(memoryMiB, 'memoryMiB', 1, 1 << 24);
    const kib = memoryMiB * 1024;
    await this.withDomain(name, async (d) => {
      if (d.isActive()) {
        if (!this.capabilities.memoryBalloon) {
          throw new UnsupportedError('live memory changes (the guests have no balloon driver)', this.driver);
        }
        await d.setMemory(kib, AFFECT.VIR_DOMAIN_AFFECT_LIVE);
      } else {
        await d.setMemory(kib, AFFECT.VIR_DOMAIN_AFFECT_CONFIG | MEM_MAXIMUM);
        await d.setMemory(kib, AFFECT.VIR_DOMAIN_AFFECT_CONFIG);
      }
    });
  }

  async setCpuCap(name: string, percent: number): Promise<void> {
    this.conn();
    assertNumber(percent, 'percent', 0, 100 * 4096);
    if (!this.capabilities.cpuCap) throw new UnsupportedError('CPU caps', this.driver);
    await this.withDomain(name, (d) => this.applyCpuCap(d, percent, d.isActive()));
  }

  /** The CPU cap in percent; a driver that cannot cap reports 0 (nothing caps the domain). */
  async getCpuCap(name: string): Promise<number> {
    return this.withDomain(name, (d) => (this.capabilities.cpuCap ? this.readCpuCap(d) : 0));
  }

  /** Applies a CPU cap through the driver's scheduler parameters. Drivers with caps override. */
  protected async applyCpuCap(_d: Domain, _percent: number, _live: boolean): Promise<void> {
    throw new UnsupportedError('CPU caps', this.driver);
  }

  /** Reads the CPU cap back from the scheduler parameters. Drivers with caps override. */
  protected async readCpuCap(_d: Domain): Promise<number> {
    throw new UnsupportedError('CPU caps', this.driver);
  }

  /**
   * virConnectGetAllDomainStats, or, where the driver lacks it (libvirt's libxl driver), the same
   * fields gathered per domain from virDomainGetInfo.
   */
  private async statsRecords(c: Connection): Promise<DomainStatsRecord[]> {
    try {
      return await c.allDomainStats();
    } catch (e) {
      if (!isVirtmigError(e, 'E_UNSUPPORTED')) throw e;
    }
    const domains = await c.listAllDomains();
    try {
      return domains.map((d) => {
        const i = d.infoSync();
        return {
          name: d.name(),
          stats: {
            'state.state': i.state,
            'cpu.time': i.cpuTimeNs,
            'balloon.current': i.memoryKiB,
            'vcpu.current': i.vcpus,
          },
        };
      });
    } finally {
      for (const d of domains) d.free();
    }
  }

  /**
   * The running domain's console over this connection, line by line (a libvirt stream: works over
   * any URI). The domain needs a pty console (QEMU guests defined without `serialLog` have one).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when libvirt cannot open its console.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when the driver has no consoles (libvirt's test driver).
   */
  async openConsole(
    name: string,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<AsyncIterable<ConsoleLineRead>> {
    assertDomainName(name);
    return domainConsole(this.conn(), name, options.signal);
  }

  /**
   * Puts a local file on this host as a storage volume named by its content (sent once; see
   * `ensureImageVolume`), in a directory pool made when missing.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad file, pool name or path.
   * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `options.signal` aborts it.
   * @throws {@link LibvirtError} when libvirt fails (`E_UNSUPPORTED` where the driver has no uploads).
   */
  async ensureImage(file: string, options: ImageStoreOptions = {}): Promise<StoredImage> {
    return ensureHostImage(this.conn(), file, options);
  }

  /**
   * Removes every image {@link ensureImage} put in the pool; returns how many.
   * @throws {@link LibvirtError} when libvirt fails.
   */
  async removeImages(options: Omit<ImageStoreOptions, 'signal'> = {}): Promise<number> {
    return removeHostImages(this.conn(), options);
  }

  async allDomainStats(): Promise<DomainStats[]> {
    const c = this.conn();
    const records = await this.statsRecords(c);
    // Some drivers (libvirt's test driver) report no `cpu.time` group; CPU time then comes from
    // virDomainGetInfo of the running domains, so every driver gives samplers a CPU time.
    for (const r of records) {
      if (r.stats['cpu.time'] === undefined && Number(r.stats['state.state']) === 1) {
        let d: Domain;
        try {
          d = c.lookupDomainSync(r.name);
        } catch {
          continue; // gone since the stats call: its record stands as reported
        }
        try {
          r.stats['cpu.time'] = d.infoSync().cpuTimeNs;
        } finally {
          d.free();
        }
      }
    }
    return records.map(({ name, stats }) => {
      const s: DomainStats = {
        name,
        state: domainState(Number(stats['state.state'] ?? 0)),
        fields: stats,
        ...(stats['cpu.time'] !== undefined ? { cpuTimeNs: Number(stats['cpu.time']) } : {}),
        ...(stats['balloon.current'] !== undefined ? { balloonCurrentKiB: Number(stats['balloon.current']) } : {}),
        ...(stats['vcpu.current'] !== undefined ? { vcpus: Number(stats['vcpu.current']) } : {}),
      };
      return s;
    });
  }

  /**
   * Why this driver cannot measure domain `d` in `mode`, or `undefined` when it can try. Drivers
   * override it to refuse what their hypervisor would fail at or crash on.
   */
  protected async dirtyRateRefusal(_d: Domain, mode: DirtyRateMode): Promise<string | undefined> {
    if (this.dirtyRateModes.has(mode)) return undefined;
    return this.dirtyRateModes.size === 0
      ? `the ${this.driver} driver offers no dirty-rate measurement`
      : `mode ${mode} is not offered (offered: ${[...this.dirtyRateModes].join(', ')})`;
  }

  async measureDirtyRate(name: string, options: DirtyRateOptions = {}): Promise<DirtyRateMeasurement> {
    const c = this.conn();
    assertDomainName(name);
    const o = resolveDirtyRateOptions(options);
    return this.withDomain(name, async (d) => {
      this.requireState(d, 'measure the dirty rate of', ['running', 'blocked']);
      const refusal = await this.dirtyRateRefusal(d, o.mode);
      if (refusal !== undefined) throw new UnsupportedError(`dirty-rate measurement (${o.mode})`, this.driver, refusal);
      return measureDirtyRateWithLibvirt(c, d, this.driver, {
        ...o,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    });
  }

  onDomainEvent(listener: (event: DomainEvent) => void): () => void {
    const c = this.conn();
    return c.events.subscribe(c, listener);
  }

  /**
   * The job controls follow the start options the driver offers, because each pair is the same
   * libvirt call (see {@link @virtmig/core!controlsOfferedWith}): virDomainMigrateSetMaxDowntime,
   * virDomainMigrateSetMaxSpeed, virDomainMigrateStartPostCopy and virDomainAbortJob.
   */
  get migrationControls(): ReadonlySet<MigrationControl> {
    return controlsOfferedWith(this.capabilities.migrationOptions);
  }

  /** The destination as a libvirt hypervisor, or `E_INVALID_ARGUMENT`. */
  private libvirtDestination(destination: Hypervisor): LibvirtHypervisor {
    if (!(destination instanceof LibvirtHypervisor) || destination.closed) {
      throw new InvalidArgumentError('destination', 'must be an open libvirt hypervisor connection');
    }
    return destination;
  }

  /**
   * Checks whether `destination` can take `name` (see `preflightWithLibvirt`): its daemon
   * answers, no other domain has the name, its versions are not older, it can provide the
   * guest's CPU (virConnectCompareHypervisorCPU, with a baseline suggested when not), its free
   * memory holds the guest's plus `memoryReserveMiB`, every disk is shared storage it knows,
   * and every network/bridge exists there.
   */
  async preflight(name: string, destination: Hypervisor, options: PreflightOptions = {}): Promise<PreflightReport> {
    this.conn();
    assertDomainName(name);
    assertPreflightOptions(options);
    const dest = this.libvirtDestination(destination);
    try {
      return await preflightWithLibvirt(this, name, dest, options);
    } catch (e) {
      if (isVirtmigError(e, 'E_NOT_FOUND')) throw new NotFoundError('domain', name, undefined, { cause: e });
      throw e;
    }
  }

  /**
   * Starts a live migration and returns its handle (job statistics, max downtime, bandwidth,
   * post-copy switch, abort), after the preflight unless `options.preflight` is false. Closing
   * either connection while it runs aborts the job and leaves the guest on the source.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name`, the destination or an option is invalid.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when migration or an option is not offered.
   * @throws {@link @virtmig/core!MigrationError} `E_MIGRATION_FAILED` when the destination already has another domain of that name.
   * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `options.signal` has already aborted.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  async startMigration(name: string, destination: Hypervisor, options: MigrationOptions = {}): Promise<MigrationJob> {
    this.conn();
    assertMigrationOptionsOffered(options, this.capabilities, this.driver);
    const dest = this.libvirtDestination(destination);
    const { preflight, ...rest } = options;
    assertPeerToPeerOptions(rest);
    if (preflight !== undefined && typeof preflight !== 'boolean')
      assertPreflightOptions(preflight, 'options.preflight');
    // The migration's clock starts before the preflight: its cost is the start of the reservation stage.
    const t0 = Date.now();
    let report: PreflightReport | undefined;
    if (preflight !== false) {
      report = await this.preflight(name, dest, typeof preflight === 'object' ? preflight : {});
      assertPreflightPassed(report);
    }
    const d = await this.openDomain(name);
    return startLibvirtMigration(this, d, dest, rest, () => d.free(), { t0, ...(report ? { preflight: report } : {}) });
  }

  async migrate(name: string, destination: Hypervisor, options: MigrationOptions = {}): Promise<MigrationResult> {
    return (await this.startMigration(name, destination, options)).result;
  }

  private requireSecrets(): void {
    if (!this.capabilities.secrets) throw new UnsupportedError('secrets', this.driver);
  }

  private describeSecret(s: Secret): SecretInfo {
    return { uuid: s.uuid(), usageType: secretUsageName(s.usageType()), usageId: s.usageId() };
  }

  /** Looks a secret up by UUID, runs `fn`, and frees the handle whatever happens. */
  private async withSecret<T>(uuid: string, fn: (s: Secret) => Promise<T> | T): Promise<T> {
    let s: Secret;
    try {
      s = await this.conn().lookupSecretByUuid(uuid);
    } catch (e) {
      if (isVirtmigError(e, 'E_NOT_FOUND')) throw new NotFoundError('secret', uuid, undefined, { cause: e });
      throw e;
    }
    try {
      return await fn(s);
    } finally {
      s.free();
    }
  }

  private async defineChecked(xml: string, usageType: SecretUsageType, usageId: string, uuid?: string) {
    // libvirt refuses a usage another secret holds, and a new usage for an existing UUID, with
    // VIR_ERR_INTERNAL_ERROR; checked here so every driver reports the same E_INVALID_ARGUMENT.
    const holder = await this.lookupSecretByUsage(usageType, usageId).catch((e: unknown) => {
      if (isVirtmigError(e, 'E_NOT_FOUND')) return undefined;
      throw e;
    });
    if (holder && holder.uuid !== uuid?.toLowerCase())
      throw new InvalidArgumentError('config.usageId', `${usageType} ${usageId} is used by secret ${holder.uuid}`);
    if (uuid !== undefined && !holder) {
      const existing = await this.lookupSecret(uuid).catch((e: unknown) => {
        if (isVirtmigError(e, 'E_NOT_FOUND')) return undefined;
        throw e;
      });
      if (existing && (existing.usageType !== usageType || existing.usageId !== usageId))
        throw new InvalidArgumentError(
          'config.uuid',
          `secret ${existing.uuid} is for ${existing.usageType} ${existing.usageId}`,
        );
    }
    const s = await this.conn().defineSecretXml(xml);
    try {
      return this.describeSecret(s);
    } finally {
      s.free();
    }
  }

  /**
   * Defines a secret from a config (libvirt secret XML built by {@link @virtmig/libvirt!secretXml}).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad config, a usage another secret holds, or an existing UUID with another usage (nothing is defined).
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `capabilities.secrets` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  async defineSecret(config: SecretConfig): Promise<SecretInfo> {
    this.conn();
    assertSecretConfig(config);
    this.requireSecrets();
    return this.defineChecked(secretXml(config), config.usageType, config.usageId, config.uuid);
  }

  /**
   * Defines a secret from raw libvirt secret XML, held to the limits of {@link @virtmig/libvirt!assertSecretXml}.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for XML beyond those limits, a usage another secret holds, or an existing UUID with another usage (nothing is defined).
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `capabilities.secrets` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  async defineSecretXml(xml: string): Promise<SecretInfo> {
    this.conn();
    const parsed = parseSecretXml(xml);
    this.requireSecrets();
    return this.defineChecked(xml, parsed.usageType, parsed.usageId, parsed.uuid);
  }

  /**
   * Sets the value of secret `uuid` (virSecretSetValue); the value is in no error, log or argv.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a malformed UUID or an empty, oversized or non-string non-bytes value.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no secret has that UUID.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `capabilities.secrets` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  async setSecretValue(uuid: string, value: SecretValue): Promise<void> {
    this.conn();
    assertSecretUuid(uuid);
    assertSecretValue(value);
    this.requireSecrets();
    await this.withSecret(uuid, (s) => s.setValue(value));
  }

  /**
   * The secret `usageId` of `usageType` uses (virSecretLookupByUsage).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for an unknown usage type or a bad usage id.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no secret has that usage.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `capabilities.secrets` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  async lookupSecretByUsage(usageType: SecretUsageType, usageId: string): Promise<SecretInfo> {
    const c = this.conn();
    assertSecretUsage(usageType, usageId, 'usage');
    this.requireSecrets();
    let s: Secret;
    try {
      s = await c.lookupSecretByUsage(SECRET_USAGE_NUMBERS[usageType], usageId);
    } catch (e) {
      if (isVirtmigError(e, 'E_NOT_FOUND'))
        throw new NotFoundError('secret', `${usageType} ${usageId}`, undefined, { cause: e });
      throw e;
    }
    try {
      return this.describeSecret(s);
    } finally {
      s.free();
    }
  }

  /**
   * The secret with UUID `uuid` (virSecretLookupByUUIDString).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a malformed UUID.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no secret has that UUID.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `capabilities.secrets` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  async lookupSecret(uuid: string): Promise<SecretInfo> {
    this.conn();
    assertSecretUuid(uuid);
    this.requireSecrets();
    return this.withSecret(uuid, (s) => this.describeSecret(s));
  }

  /**
   * Every secret of the host, sorted by UUID (virConnectListAllSecrets).
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `capabilities.secrets` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  async listSecrets(): Promise<SecretInfo[]> {
    const c = this.conn();
    this.requireSecrets();
    const secrets = await c.listAllSecrets();
    try {
      return secrets.map((s) => this.describeSecret(s)).sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    } finally {
      for (const s of secrets) s.free();
    }
  }

  /**
   * Removes secret `uuid` and its value (virSecretUndefine).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a malformed UUID.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no secret has that UUID.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `capabilities.secrets` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  async undefineSecret(uuid: string): Promise<void> {
    this.conn();
    assertSecretUuid(uuid);
    this.requireSecrets();
    await this.withSecret(uuid, (s) => s.undefine());
  }
}
