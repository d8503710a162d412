import { randomUUID } from 'node:crypto';
import {
  assertDomainName,
  assertInt,
  assertMigrationOptionsOffered,
  assertNumber,
  assertPreflightOptions,
  assertPreflightPassed,
  assertSecretConfig,
  assertSecretUsage,
  assertSecretUuid,
  assertSecretValue,
  ClosedError,
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
  InvalidArgumentError,
  type MigrationControl,
  MigrationError,
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
  UnsupportedError,
} from '@virtmig/core';
import type { FakeDomain, FakeHost, FakeSecret } from './host.js';
import { startMigrationJob } from './migrate.js';
import { assertHostName, defaultFakeNetwork, type FakeNetwork } from './network.js';
import { fakePreflight } from './preflight.js';
import { parseDomainXml, renderCapabilitiesXml, renderDomainXml } from './xml.js';

/** Largest vCPU count the fake accepts (QEMU's q35 limit is in this range). */
const MAX_VCPUS = 512;
/** Largest guest memory the fake accepts: 16 TiB. */
const MAX_MEMORY_MIB = 16 * 1024 * 1024;

/** virDomainState numbers, as `state.state` in all-domain stats. */
const STATE_NUMBER: Readonly<Record<DomainState, number>> = {
  nostate: 0,
  running: 1,
  blocked: 2,
  paused: 3,
  shutdown: 4,
  shutoff: 5,
  crashed: 6,
  pmsuspended: 7,
};

/** Where a {@link FakeHypervisor} connects. */
export interface FakeHypervisorOptions {
  /** The cluster the host belongs to (default {@link defaultFakeNetwork}). */
  readonly network?: FakeNetwork;
  /** Host name (default `default`); created with default options if the network has no such host. */
  readonly host?: string;
}

/** Options of {@link FakeHypervisor.failNextMigration}. */
export interface FailMigrationOptions {
  /**
   * The pre-copy round (1-based) at whose start the failure strikes (default 1). A migration
   * with fewer rounds fails just before its stop-and-copy instead.
   */
  readonly atIteration?: number;
}

/**
 * An in-memory hypervisor connection that behaves like a libvirt host: the same state machine,
 * typed errors, clock-driven CPU time, lifecycle events, and simulated pre-copy (and optionally
 * post-copy) live migration to other hosts of the same {@link FakeNetwork}.
 */
export class FakeHypervisor implements Hypervisor, EventCapable, SecretCapable, DirtyRateCapable, MigrationJobCapable {
  readonly driver = 'fake';
  /** The fake knows each guest's dirty rate exactly ({@link setDirtyRate}), whatever the mode. */
  readonly dirtyRateModes: ReadonlySet<DirtyRateMode> = new Set<DirtyRateMode>(['page-sampling', 'dirty-bitmap']);
  readonly uri: string;
  /** The cluster the host belongs to. */
  readonly network: FakeNetwork;
  /** Present (and true) only for hosts created with `postCopy: true`. */
  declare readonly supportsPostCopy?: true;
  /** @internal */
  readonly host: FakeHost;
  private isClosed = false;
  private readonly subscriptions = new Set<(event: DomainEvent) => void>();

  constructor(options: FakeHypervisorOptions = {}) {
    const hostName = options.host ?? 'default';
    assertHostName(hostName);
    this.network = options.network ?? defaultFakeNetwork;
    this.host = this.network.host(hostName);
    this.uri = `fake:///${hostName}`;
    if (this.host.postCopy) Object.defineProperty(this, 'supportsPostCopy', { value: true, enumerable: true });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get capabilities(): HypervisorCapabilities {
    return this.host.capabilities;
  }

  /** The host this connection talks to. */
  get hostName(): string {
    return this.host.name;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const listener of this.subscriptions) this.host.listeners.delete(listener);
    this.subscriptions.clear();
  }

  async hostInfo(): Promise<HostInfo> {
    this.ensureOpen();
    return {
      hostname: this.host.name,
      model: this.host.model,
      cpus: this.host.cpus,
      mhz: this.host.mhz,
      nodes: 1,
      sockets: 1,
      coresPerSocket: this.host.cpus,
      threadsPerCore: 1,
      memoryKiB: this.host.memoryKiB,
      hypervisorType: 'Fake',
      hypervisorVersion: '1.0.0',
      // The libvirt of Debian 12, so callers that gate on the library version take their usual path.
      libvirtVersion: '9.0.0',
    };
  }

  async capabilitiesXml(): Promise<string> {
    this.ensureOpen();
    return renderCapabilitiesXml(this.host);
  }

  async listDomains(): Promise<DomainInfo[]> {
    this.ensureOpen();
    return [...this.host.domains.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((d) => this.host.info(d));
  }

  async lookupDomain(name: string): Promise<DomainInfo> {
    return this.host.info(this.domain(name));
  }

  async defineDomain(config: DomainConfig): Promise<DomainInfo> {
    this.ensureOpen();
    if (typeof config !== 'object' || config === null)
      throw new InvalidArgumentError('config', 'must be a DomainConfig object');
    assertDomainName(config.name);
    const fields = this.validateConfig(config);
    if (this.host.domains.has(config.name)) {
      throw new StateError(`domain "${config.name}" already exists on fake host "${this.host.name}"`, {
        domain: config.name,
      });
    }
    const now = this.network.clock.now();
    const d: FakeDomain = {
      name: config.name,
      uuid: randomUUID(),
      id: -1,
      state: 'shutoff',
      persistent: true,
      ...fields,
      cpuTimeNs: 0,
      accountedAt: now,
      load: this.host.defaultLoad,
      dirtyRateBps: this.host.defaultDirtyRateBps,
      migrating: false,
    };
    this.host.domains.set(d.name, d);
    this.host.emit(d.name, 'defined', 'added');
    return this.host.info(d);
  }

  async domainXml(name: string): Promise<string> {
    return renderDomainXml(this.domain(name));
  }

  async undefineDomain(name: string): Promise<void> {
    const d = this.domain(name);
    this.ensureIdle(d);
    if (!d.persistent) throw new StateError(`cannot undefine transient domain "${name}"`, { domain: name });
    if (d.state === 'shutoff') this.host.domains.delete(name);
    else d.persistent = false;
    this.host.emit(name, 'undefined', 'removed');
  }

  async startDomain(name: string): Promise<void> {
    const d = this.domain(name);
    this.ensureIdle(d);
    if (d.state !== 'shutoff')
      throw new StateError(`domain "${name}" is already running`, { domain: name, state: d.state });
    this.host.transition(d, 'running', 'started', 'booted');
  }

  async shutdownDomain(name: string): Promise<void> {
    const d = this.domain(name);
    this.ensureIdle(d);
    if (d.state !== 'running')
      throw new StateError(`domain "${name}" is not running`, { domain: name, state: d.state });
    this.host.transition(d, 'shutoff', 'stopped', 'shutdown');
  }

  async destroyDomain(name: string): Promise<void> {
    const d = this.domain(name);
    this.ensureIdle(d);
    if (d.state === 'shutoff')
      throw new StateError(`domain "${name}" is not running`, { domain: name, state: d.state });
    this.host.transition(d, 'shutoff', 'stopped', 'destroyed');
  }

  async suspendDomain(name: string): Promise<void> {
    const d = this.domain(name);
    this.ensureIdle(d);
    if (d.state !== 'running')
      throw new StateError(`domain "${name}" is not running`, { domain: name, state: d.state });
    this.host.transition(d, 'paused', 'suspended', 'paused');
  }

  async resumeDomain(name: string): Promise<void> {
    const d = this.domain(name);
    this.ensureIdle(d);
    if (d.state !== 'paused') throw new StateError(`domain "${name}" is not paused`, { domain: name, state: d.state });
    this.host.transition(d, 'running', 'resumed', 'unpaused');
  }

  async setVcpus(name: string, vcpus: number): Promise<void> {
    const d = this.domain(name);
    assertInt(vcpus, 'vcpus', 1, d.maxVcpus);
    this.ensureIdle(d);
    if (d.state !== 'shutoff' && !this.capabilities.vcpuHotplug)
      throw new UnsupportedError('vCPU hotplug', this.driver);
    this.host.account(d);
    d.vcpus = vcpus;
  }

  async setMemory(name: string, memoryMiB: number): Promise<void> {
    const d = this.domain(name);
    this.ensureIdle(d);
    if (d.state === 'shutoff') {
      assertInt(memoryMiB, 'memoryMiB', 1, MAX_MEMORY_MIB);
      d.memoryKiB = memoryMiB * 1024;
      d.maxMemoryKiB = memoryMiB * 1024;
      return;
    }
    // A balloon cannot grow a running guest past the memory it was started with.
    assertInt(memoryMiB, 'memoryMiB', 1, Math.floor(d.maxMemoryKiB / 1024));
    if (!this.capabilities.memoryBalloon) throw new UnsupportedError('memory ballooning', this.driver);
    d.memoryKiB = memoryMiB * 1024;
  }

  async setCpuCap(name: string, percent: number): Promise<void> {
    const d = this.domain(name);
    if (!this.capabilities.cpuCap) throw new UnsupportedError('CPU caps', this.driver);
    assertInt(percent, 'percent', 0, 100 * d.maxVcpus);
    this.ensureIdle(d);
    this.host.account(d);
    d.cpuCapPercent = percent;
  }

  async getCpuCap(name: string): Promise<number> {
    return this.domain(name).cpuCapPercent;
  }

  async allDomainStats(): Promise<DomainStats[]> {
    const domains = await this.listDomains();
    return domains.map((info) => {
      const d = this.host.get(info.name);
      const active = info.state !== 'shutoff';
      const fields: Record<string, number> = {
        'state.state': STATE_NUMBER[info.state],
        'balloon.current': info.memoryKiB,
        'balloon.maximum': info.maxMemoryKiB,
        'vcpu.current': info.vcpus,
        'vcpu.maximum': d.maxVcpus,
      };
      if (active) fields['cpu.time'] = info.cpuTimeNs;
      return {
        name: info.name,
        state: info.state,
        ...(active ? { cpuTimeNs: info.cpuTimeNs } : {}),
        balloonCurrentKiB: info.memoryKiB,
        vcpus: info.vcpus,
        fields,
      };
    });
  }

  /** The controls of its jobs: those whose start option the host offers (see {@link @virtmig/core!controlsOfferedWith}). */
  get migrationControls(): ReadonlySet<MigrationControl> {
    return controlsOfferedWith(this.capabilities.migrationOptions);
  }

  /** The destination as a fake host on this network, or the error a caller gets. */
  private fakeDestination(name: string, destination: Hypervisor): FakeHypervisor {
    if (!(destination instanceof FakeHypervisor)) {
      throw new InvalidArgumentError('destination', 'a fake host migrates only to another FakeHypervisor');
    }
    if (destination.closed) throw new ClosedError('destination connection');
    if (destination.network !== this.network) {
      throw new MigrationError(`fake host "${destination.hostName}" is not on the source's network`, {
        domain: name,
        sourceUri: this.uri,
        destinationUri: destination.uri,
        sourceState: this.host.domains.get(name)?.state ?? 'absent',
        domainOnDestination: false,
      });
    }
    return destination;
  }

  async preflight(name: string, destination: Hypervisor, options: PreflightOptions = {}): Promise<PreflightReport> {
    this.ensureOpen();
    assertDomainName(name);
    assertPreflightOptions(options);
    if (!(destination instanceof FakeHypervisor) || destination.network !== this.network)
      throw new InvalidArgumentError('destination', 'must be a FakeHypervisor on the same network');
    if (destination.closed) throw new ClosedError('destination connection');
    return fakePreflight(this.host, this.uri, destination.host, destination.uri, name, options);
  }

  /**
   * Starts a simulated live migration (after the preflight unless `options.preflight` is false)
   * and returns its job: stats at the network's progress interval, and controls that act on the
   * pre-copy model from the next tick (bandwidth) or the running round's end (max downtime) on.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad name, destination or option.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` for an unoffered option.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the domain is not running or already migrating.
   * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `options.signal` has already aborted.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after close.
   */
  async startMigration(name: string, destination: Hypervisor, options: MigrationOptions = {}): Promise<MigrationJob> {
    this.ensureOpen();
    assertDomainName(name);
    assertMigrationOptionsOffered(options, this.capabilities, this.driver);
    const dest = this.fakeDestination(name, destination);
    const { preflight, ...rest } = options;
    if (preflight !== undefined && typeof preflight !== 'boolean')
      assertPreflightOptions(preflight, 'options.preflight');
    let report: PreflightReport | undefined;
    if (preflight !== false && this.host.domains.has(name) && dest.host !== this.host) {
      report = await this.preflight(name, dest, typeof preflight === 'object' ? preflight : {});
      assertPreflightPassed(report);
    }
    return startMigrationJob(this.host, this.uri, dest.host, dest.uri, name, rest, report);
  }

  async migrate(name: string, destination: Hypervisor, options: MigrationOptions = {}): Promise<MigrationResult> {
    return (await this.startMigration(name, destination, options)).result;
  }

  /**
   * Reports the guest's model dirty rate ({@link setDirtyRate}) after waiting the period on the
   * network's clock, as a real measurement would.
   */
  async measureDirtyRate(name: string, options: DirtyRateOptions = {}): Promise<DirtyRateMeasurement> {
    const d = this.domain(name);
    const o = resolveDirtyRateOptions(options);
    if (!this.dirtyRateModes.has(o.mode)) {
      throw new UnsupportedError(
        `dirty-rate measurement (${o.mode})`,
        this.driver,
        'the fake has no per-vCPU dirty rings',
      );
    }
    if (d.state !== 'running') {
      throw new StateError(`cannot measure the dirty rate of domain "${name}": it is ${d.state}`, {
        domain: name,
        state: d.state,
      });
    }
    const startedAt = this.network.clock.now();
    await this.network.clock.sleep(o.periodSeconds * 1000, options.signal);
    return { domain: name, bytesPerSecond: d.dirtyRateBps, mode: o.mode, periodSeconds: o.periodSeconds, startedAt };
  }

  onDomainEvent(listener: (event: DomainEvent) => void): () => void {
    this.ensureOpen();
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', 'must be a function');
    // A wrapper per subscription so the same function subscribed twice unsubscribes independently.
    const wrapper = (event: DomainEvent): void => listener(event);
    this.subscriptions.add(wrapper);
    this.host.listeners.add(wrapper);
    return () => {
      this.subscriptions.delete(wrapper);
      this.host.listeners.delete(wrapper);
    };
  }

  async defineSecret(config: SecretConfig): Promise<SecretInfo> {
    this.ensureOpen();
    assertSecretConfig(config);
    this.ensureSecrets();
    const secrets = this.host.secrets;
    const holder = [...secrets.values()].find((s) => s.usageType === config.usageType && s.usageId === config.usageId);
    if (holder && holder.uuid !== config.uuid) {
      throw new InvalidArgumentError(
        'config.usageId',
        `${config.usageType} ${config.usageId} is used by secret ${holder.uuid}`,
      );
    }
    const existing = config.uuid === undefined ? undefined : secrets.get(config.uuid.toLowerCase());
    if (existing && (existing.usageType !== config.usageType || existing.usageId !== config.usageId)) {
      throw new InvalidArgumentError(
        'config.uuid',
        `secret ${existing.uuid} is for ${existing.usageType} ${existing.usageId}`,
      );
    }
    const uuid = config.uuid?.toLowerCase() ?? randomUUID();
    const s: FakeSecret = existing ?? { uuid, usageType: config.usageType, usageId: config.usageId, value: undefined };
    secrets.set(uuid, s);
    return secretInfo(s);
  }

  async setSecretValue(uuid: string, value: SecretValue): Promise<void> {
    this.ensureOpen();
    assertSecretUuid(uuid);
    assertSecretValue(value);
    this.ensureSecrets();
    const s = this.secret(uuid);
    s.value?.fill(0);
    s.value = typeof value === 'string' ? new TextEncoder().encode(value) : Uint8Array.from(value);
  }

  async lookupSecretByUsage(usageType: SecretUsageType, usageId: string): Promise<SecretInfo> {
    this.ensureOpen();
    assertSecretUsage(usageType, usageId, 'usage');
    this.ensureSecrets();
    const s = [...this.host.secrets.values()].find((x) => x.usageType === usageType && x.usageId === usageId);
    if (!s) throw new NotFoundError('secret', `${usageType} ${usageId}`);
    return secretInfo(s);
  }

  async lookupSecret(uuid: string): Promise<SecretInfo> {
    this.ensureOpen();
    assertSecretUuid(uuid);
    this.ensureSecrets();
    return secretInfo(this.secret(uuid));
  }

  async listSecrets(): Promise<SecretInfo[]> {
    this.ensureOpen();
    this.ensureSecrets();
    return [...this.host.secrets.values()].map(secretInfo).sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
  }

  async undefineSecret(uuid: string): Promise<void> {
    this.ensureOpen();
    assertSecretUuid(uuid);
    this.ensureSecrets();
    const s = this.secret(uuid);
    s.value?.fill(0);
    this.host.secrets.delete(s.uuid);
  }

  /**
   * True when secret `uuid` holds exactly `value`: how tests see that a value arrived, since no
   * method hands a value back.
   */
  secretValueEquals(uuid: string, value: SecretValue): boolean {
    const held = this.host.secrets.get(uuid.toLowerCase())?.value;
    const want = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    return held !== undefined && held.length === want.length && held.every((b, i) => b === want[i]);
  }

  /**
   * Sets how busy a guest is: the fraction (0-1) of its CPU allowance, min(cap, 100 * vCPUs) %,
   * that it uses while running. Takes effect from the current clock reading.
   */
  setLoad(name: string, load: number): void {
    const d = this.domain(name);
    assertNumber(load, 'load', 0, 1);
    this.host.account(d);
    d.load = load;
  }

  /** Sets how fast a guest dirties memory, in bytes per second; read when a migration starts. */
  setDirtyRate(name: string, bytesPerSecond: number): void {
    const d = this.domain(name);
    assertNumber(bytesPerSecond, 'bytesPerSecond', 0, Number.MAX_SAFE_INTEGER);
    d.dirtyRateBps = bytesPerSecond;
  }

  /**
   * Makes the next migration from this host fail with `E_MIGRATION_FAILED` and `reason`,
   * leaving the guest running on the source. One-shot.
   */
  failNextMigration(reason: string, options: FailMigrationOptions = {}): void {
    this.ensureOpen();
    if (typeof reason !== 'string' || reason.length === 0)
      throw new InvalidArgumentError('reason', 'must be a non-empty string');
    const atIteration = options.atIteration ?? 1;
    assertInt(atIteration, 'atIteration', 1, 10_000);
    this.host.armedFailure = { reason, atIteration };
  }

  private ensureOpen(): void {
    if (this.isClosed) throw new ClosedError(`fake connection ${this.uri}`);
  }

  private ensureSecrets(): void {
    if (!this.capabilities.secrets) throw new UnsupportedError('secrets', this.driver);
  }

  private secret(uuid: string): FakeSecret {
    const s = this.host.secrets.get(uuid.toLowerCase());
    if (!s) throw new NotFoundError('secret', uuid);
    return s;
  }

  private domain(name: string): FakeDomain {
    this.ensureOpen();
    assertDomainName(name);
    return this.host.get(name);
  }

  private ensureIdle(d: FakeDomain): void {
    if (d.migrating) throw new StateError(`domain "${d.name}" has a migration job in progress`, { domain: d.name });
  }

  private validateConfig(config: DomainConfig) {
    let memoryKiB: number;
    let maxMemoryKiB: number;
    let vcpus: number;
    let maxVcpus: number;
    if (config.xml !== undefined) {
      const parsed = parseDomainXml(config.xml, config.name);
      maxMemoryKiB = parsed.memoryKiB;
      memoryKiB = parsed.currentMemoryKiB;
      vcpus = parsed.vcpus;
      maxVcpus = parsed.maxVcpus;
      assertInt(maxVcpus, 'xml', 1, MAX_VCPUS);
      assertInt(maxMemoryKiB, 'xml', 1, MAX_MEMORY_MIB * 1024);
    } else {
      assertInt(config.memoryMiB, 'memoryMiB', 1, MAX_MEMORY_MIB);
      assertInt(config.vcpus, 'vcpus', 1, MAX_VCPUS);
      maxVcpus = config.maxVcpus ?? config.vcpus;
      assertInt(maxVcpus, 'maxVcpus', config.vcpus, MAX_VCPUS);
      memoryKiB = maxMemoryKiB = config.memoryMiB * 1024;
      vcpus = config.vcpus;
    }
    let cpuCapPercent = 0;
    if (config.cpuCapPercent !== undefined && config.xml === undefined) {
      if (!this.capabilities.cpuCap) throw new UnsupportedError('CPU caps', this.driver);
      assertInt(config.cpuCapPercent, 'cpuCapPercent', 0, 100 * maxVcpus);
      cpuCapPercent = config.cpuCapPercent;
    }
    for (const field of ['kernel', 'initrd', 'cmdline', 'serialLog'] as const) {
      const value = config.xml === undefined ? config[field] : undefined;
      if (value !== undefined && typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string');
    }
    const disks = config.xml === undefined ? (config.disks ?? []) : [];
    if (!Array.isArray(disks)) throw new InvalidArgumentError('disks', 'must be an array');
    disks.forEach((disk, i) => {
      if (disk?.kind !== 'file' && disk?.kind !== 'iscsi')
        throw new InvalidArgumentError(`disks[${i}].kind`, 'must be "file" or "iscsi"');
      if (disk.kind === 'file' && (typeof disk.path !== 'string' || disk.path === '')) {
        throw new InvalidArgumentError(`disks[${i}].path`, 'must be a non-empty string');
      }
      if (disk.kind === 'iscsi') {
        if (typeof disk.portal !== 'string' || !/^[^:\s]+(:\d{1,5})?$/.test(disk.portal)) {
          throw new InvalidArgumentError(`disks[${i}].portal`, 'must be host[:port]');
        }
        if (typeof disk.iqn !== 'string' || disk.iqn === '')
          throw new InvalidArgumentError(`disks[${i}].iqn`, 'must be a non-empty string');
        assertInt(disk.lun, `disks[${i}].lun`, 0, 16_383);
      }
    });
    const structured = config.xml === undefined;
    return {
      memoryKiB,
      maxMemoryKiB,
      vcpus,
      maxVcpus,
      cpuCapPercent,
      kernel: structured ? config.kernel : undefined,
      initrd: structured ? config.initrd : undefined,
      cmdline: structured ? config.cmdline : undefined,
      serialLog: structured ? config.serialLog : undefined,
      disks: [...disks],
    };
  }
}

function secretInfo(s: FakeSecret): SecretInfo {
  return { uuid: s.uuid, usageType: s.usageType, usageId: s.usageId };
}
