import type { DomainConfig, DomainInfo, DomainStats } from './domain.js';
import type { HostInfo } from './host.js';
import type { MigrationOptions, MigrationResult } from './migration.js';

/**
 * What a driver can do, answered before anything is attempted, so callers can plan
 * (and the conformance suite can check the answers).
 */
export interface HypervisorCapabilities {
  /** Live migration between two hosts of this driver. */
  readonly migration: boolean;
  /** The subset of {@link MigrationOptions} keys the driver honours. */
  readonly migrationOptions: ReadonlySet<keyof MigrationOptions>;
  /** Changing the CPU cap of a running domain. */
  readonly cpuCap: boolean;
  /** Changing vCPUs of a running domain (hotplug). */
  readonly vcpuHotplug: boolean;
  /** Changing memory of a running domain (balloon). */
  readonly memoryBalloon: boolean;
  /** The driver reports lifecycle events (see {@link EventCapable}). */
  readonly events: boolean;
}

/** A lifecycle or migration event from a hypervisor. */
export interface DomainEvent {
  readonly domain: string;
  /** Event kind, e.g. `started`, `suspended`, `resumed`, `stopped`, `defined`, `undefined`, `migration-iteration`. */
  readonly kind: string;
  /** Detail as the hypervisor names it, e.g. `migrated`, `booted`. */
  readonly detail: string;
  /** Milliseconds since the Unix epoch when virtmig received it. */
  readonly at: number;
  /** Iteration number for `migration-iteration`. */
  readonly iteration?: number;
}

/**
 * A connected hypervisor host. All methods are async: on real hosts they may block in the
 * hypervisor for a long time, and virtmig never blocks Node's event loop for that.
 * Domains are addressed by name. Every failure is a {@link VirtmigError}.
 */
export interface Hypervisor {
  /** The URI this connection was opened with. */
  readonly uri: string;
  /** Driver name (the registry key), e.g. `qemu`, `xen`, `test`, `fake`. */
  readonly driver: string;
  /** True once {@link close} has run; every other method then throws `E_CLOSED`. */
  readonly closed: boolean;
  readonly capabilities: HypervisorCapabilities;

  /** Closes the connection and frees what it holds. Idempotent. */
  close(): Promise<void>;
  hostInfo(): Promise<HostInfo>;
  /** The hypervisor's capabilities document (libvirt capabilities XML for libvirt drivers). */
  capabilitiesXml(): Promise<string>;

  /** Domains on this host, running and defined. */
  listDomains(): Promise<DomainInfo[]>;
  /** One domain; throws `E_NOT_FOUND` when absent. */
  lookupDomain(name: string): Promise<DomainInfo>;
  /** Defines a persistent domain from a config (or raw XML). Throws `E_INVALID_ARGUMENT` for bad configs. */
  defineDomain(config: DomainConfig): Promise<DomainInfo>;
  /** The domain's XML description. */
  domainXml(name: string): Promise<string>;
  undefineDomain(name: string): Promise<void>;
  startDomain(name: string): Promise<void>;
  /** Asks the guest to shut down (ACPI or equivalent). */
  shutdownDomain(name: string): Promise<void>;
  /** Stops the domain at once. */
  destroyDomain(name: string): Promise<void>;
  suspendDomain(name: string): Promise<void>;
  resumeDomain(name: string): Promise<void>;

  /** Sets the number of vCPUs (live when running, config otherwise). */
  setVcpus(name: string, vcpus: number): Promise<void>;
  /** Sets memory in MiB (live when running, config otherwise). */
  setMemory(name: string, memoryMiB: number): Promise<void>;
  /** Caps the domain's CPU use, in percent of one physical CPU (100 = one CPU; 0 = no cap). */
  setCpuCap(name: string, percent: number): Promise<void>;
  /** The current CPU cap in percent (0 = uncapped). */
  getCpuCap(name: string): Promise<number>;

  /** Statistics of every domain in one call. */
  allDomainStats(): Promise<DomainStats[]>;

  /**
   * Live-migrates `name` to `destination`. On failure the guest is still running on the source
   * and a `E_MIGRATION_FAILED` (or `E_ABORTED` / `E_TIMEOUT`) error is thrown.
   */
  migrate(name: string, destination: Hypervisor, options?: MigrationOptions): Promise<MigrationResult>;
}

/** A hypervisor that delivers lifecycle events. */
export interface EventCapable {
  /** Subscribes to events; returns an unsubscribe function. */
  onDomainEvent(listener: (event: DomainEvent) => void): () => void;
}

/** A hypervisor whose migrations can switch to post-copy. */
export interface PostCopyCapable {
  readonly supportsPostCopy: true;
}

/** Narrowing helper: does this hypervisor deliver events? */
export function isEventCapable(h: Hypervisor): h is Hypervisor & EventCapable {
  return typeof (h as Partial<EventCapable>).onDomainEvent === 'function';
}

/** Narrowing helper: can this hypervisor switch a migration to post-copy? */
export function isPostCopyCapable(h: Hypervisor): h is Hypervisor & PostCopyCapable {
  return (h as Partial<PostCopyCapable>).supportsPostCopy === true;
}
