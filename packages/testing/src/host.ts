import { randomUUID } from 'node:crypto';
import {
  assertInt,
  assertNumber,
  type DiskConfig,
  type DomainEvent,
  type DomainInfo,
  type DomainState,
  type HypervisorCapabilities,
  InvalidArgumentError,
  type MigrationOptions,
  NotFoundError,
  type SecretUsageType,
} from '@virtmig/core';
import type { FakeNetwork } from './network.js';

/** Migration options a fake host honours unless told otherwise. */
export const FAKE_MIGRATION_OPTIONS: readonly (keyof MigrationOptions)[] = Object.freeze([
  'live',
  'maxDowntimeMs',
  'bandwidthMiBps',
  'autoConverge',
  'persistDestination',
  'undefineSource',
  'preflight',
  'timeoutMs',
  'signal',
  'onProgress',
]);

/** Hardware and features of one fake host. */
export interface FakeHostOptions {
  /** Logical CPUs (default 4). */
  readonly cpus?: number;
  /** Host memory in MiB (default 16384). */
  readonly memoryMiB?: number;
  /** CPU frequency in MHz (default 2400). */
  readonly mhz?: number;
  /** CPU model string (default `Fake x86_64 CPU`). */
  readonly model?: string;
  /** Live migration (default true). */
  readonly migration?: boolean;
  /** Offer post-copy: the connection becomes `PostCopyCapable` and honours `postCopy` (default false). */
  readonly postCopy?: boolean;
  /** CPU caps (default true). */
  readonly cpuCap?: boolean;
  /** vCPU changes of running domains (default true). */
  readonly vcpuHotplug?: boolean;
  /** Memory changes of running domains (default true). */
  readonly memoryBalloon?: boolean;
  /** The host keeps secrets (default true). */
  readonly secrets?: boolean;
  /** Migration options honoured (default {@link FAKE_MIGRATION_OPTIONS}, plus `postCopy` with `postCopy: true`). */
  readonly migrationOptions?: Iterable<keyof MigrationOptions>;
  /** Fraction of its CPU allowance a running guest uses until {@link FakeHypervisor.setLoad} (default 1). */
  readonly defaultLoad?: number;
  /** Dirty rate of a guest in bytes/s until {@link FakeHypervisor.setDirtyRate} (default 0). */
  readonly defaultDirtyRateBps?: number;
  /** Pre-copy rounds before a forced stop-and-copy (default 30, as Xen). */
  readonly maxIterations?: number;
  /**
   * Directories whose files this host sees, as a libvirt host's storage pools: a guest's file
   * disk outside them fails a migration's preflight to this host. Default: every path (one shared filesystem).
   */
  readonly storagePaths?: readonly string[];
}

/** A domain as a fake host stores it. @internal */
export interface FakeDomain {
  readonly name: string;
  readonly uuid: string;
  id: number;
  state: DomainState;
  persistent: boolean;
  memoryKiB: number;
  maxMemoryKiB: number;
  vcpus: number;
  maxVcpus: number;
  cpuCapPercent: number;
  kernel: string | undefined;
  initrd: string | undefined;
  cmdline: string | undefined;
  disks: readonly DiskConfig[];
  serialLog: string | undefined;
  /** Fractional: accumulated from clock readings, reported floored. */
  cpuTimeNs: number;
  accountedAt: number;
  load: number;
  dirtyRateBps: number;
  /** A migration job holds the domain: state changes are refused. */
  migrating: boolean;
}

/** A secret as a fake host stores it: its value's bytes, never handed out. @internal */
export interface FakeSecret {
  readonly uuid: string;
  readonly usageType: SecretUsageType;
  readonly usageId: string;
  value: Uint8Array | undefined;
}

/** A one-shot migration failure armed by {@link FakeHypervisor.failNextMigration}. @internal */
export interface ArmedFailure {
  readonly reason: string;
  readonly atIteration: number;
}

/**
 * The state of one fake host: its domains, listeners and hardware. Connections
 * ({@link FakeHypervisor}) operate on it. @internal
 */
export class FakeHost {
  readonly uuid = randomUUID();
  readonly cpus: number;
  readonly memoryKiB: number;
  readonly mhz: number;
  readonly model: string;
  readonly postCopy: boolean;
  readonly defaultLoad: number;
  readonly defaultDirtyRateBps: number;
  readonly maxIterations: number;
  readonly storagePaths: readonly string[] | undefined;
  readonly capabilities: HypervisorCapabilities;
  readonly domains = new Map<string, FakeDomain>();
  /** Secrets by UUID. */
  readonly secrets = new Map<string, FakeSecret>();
  readonly listeners = new Set<(event: DomainEvent) => void>();
  armedFailure: ArmedFailure | undefined;
  private nextId = 1;

  constructor(
    readonly name: string,
    readonly network: FakeNetwork,
    options: FakeHostOptions,
  ) {
    const cpus = options.cpus ?? 4;
    const memoryMiB = options.memoryMiB ?? 16_384;
    const mhz = options.mhz ?? 2400;
    const defaultLoad = options.defaultLoad ?? 1;
    const defaultDirtyRateBps = options.defaultDirtyRateBps ?? 0;
    const maxIterations = options.maxIterations ?? 30;
    assertInt(cpus, 'cpus', 1, 4096);
    assertInt(memoryMiB, 'memoryMiB', 1, 1 << 30);
    assertInt(mhz, 'mhz', 1, 100_000);
    assertNumber(defaultLoad, 'defaultLoad', 0, 1);
    assertNumber(defaultDirtyRateBps, 'defaultDirtyRateBps', 0, Number.MAX_SAFE_INTEGER);
    assertInt(maxIterations, 'maxIterations', 1, 10_000);
    const model = options.model ?? 'Fake x86_64 CPU';
    if (typeof model !== 'string' || model.length === 0)
      throw new InvalidArgumentError('model', 'must be a non-empty string');
    this.cpus = cpus;
    this.memoryKiB = memoryMiB * 1024;
    this.mhz = mhz;
    this.model = model;
    this.postCopy = options.postCopy ?? false;
    this.defaultLoad = defaultLoad;
    this.defaultDirtyRateBps = defaultDirtyRateBps;
    this.maxIterations = maxIterations;
    this.storagePaths = options.storagePaths === undefined ? undefined : Object.freeze([...options.storagePaths]);
    const migration = options.migration ?? true;
    const offered = new Set<keyof MigrationOptions>(options.migrationOptions ?? FAKE_MIGRATION_OPTIONS);
    if (this.postCopy && options.migrationOptions === undefined) offered.add('postCopy');
    if (offered.has('postCopy') && !this.postCopy) {
      throw new InvalidArgumentError('migrationOptions', 'lists postCopy but the host has postCopy: false');
    }
    this.capabilities = Object.freeze({
      migration,
      migrationOptions: migration ? offered : new Set<keyof MigrationOptions>(),
      cpuCap: options.cpuCap ?? true,
      vcpuHotplug: options.vcpuHotplug ?? true,
      memoryBalloon: options.memoryBalloon ?? true,
      events: true,
      secrets: options.secrets ?? true,
    });
  }

  /** True when a file at `path` is in one of {@link FakeHostOptions.storagePaths} (or there are none). */
  seesPath(path: string): boolean {
    if (this.storagePaths === undefined) return true;
    return this.storagePaths.some((dir) => path.startsWith(dir.endsWith('/') ? dir : `${dir}/`));
  }

  /** The domain called `name`; throws `E_NOT_FOUND`. */
  get(name: string): FakeDomain {
    const d = this.domains.get(name);
    if (!d) throw new NotFoundError('domain', name, `domain "${name}" not found on fake host "${this.name}"`);
    return d;
  }

  /** Brings a domain's CPU time up to the clock; call before anything that changes its CPU rate. */
  account(d: FakeDomain): void {
    const now = this.network.clock.now();
    if (d.state === 'running' && now > d.accountedAt) {
      const allowancePercent = Math.min(
        d.cpuCapPercent > 0 ? d.cpuCapPercent : Number.POSITIVE_INFINITY,
        100 * d.vcpus,
      );
      d.cpuTimeNs += (now - d.accountedAt) * 1e6 * d.load * (allowancePercent / 100);
    }
    d.accountedAt = Math.max(d.accountedAt, now);
  }

  /** Moves `d` to `state`, keeping CPU time, ids and events as libvirt does. */
  transition(d: FakeDomain, state: DomainState, kind: string, detail: string): void {
    this.account(d);
    const wasActive = d.state !== 'shutoff';
    if (!wasActive && state !== 'shutoff') {
      d.id = this.nextId++;
      d.cpuTimeNs = 0;
    }
    if (state === 'shutoff') {
      d.id = -1;
      d.cpuTimeNs = 0;
    }
    d.state = state;
    this.emit(d.name, kind, detail);
    if (state === 'shutoff' && !d.persistent) {
      this.domains.delete(d.name);
    }
  }

  info(d: FakeDomain): DomainInfo {
    this.account(d);
    return {
      name: d.name,
      uuid: d.uuid,
      id: d.id,
      state: d.state,
      persistent: d.persistent,
      maxMemoryKiB: d.maxMemoryKiB,
      memoryKiB: d.memoryKiB,
      vcpus: d.vcpus,
      cpuTimeNs: Math.floor(d.cpuTimeNs),
    };
  }

  /**
   * Delivers an event to every listener on a microtask: asynchronously, as libvirt's event
   * loop does, yet before the awaiting caller of the operation resumes.
   */
  emit(domain: string, kind: string, detail: string, iteration?: number): void {
    const event: DomainEvent = {
      domain,
      kind,
      detail,
      at: this.network.clock.now(),
      ...(iteration === undefined ? {} : { iteration }),
    };
    for (const listener of this.listeners) queueMicrotask(() => listener(event));
  }
}
