import type { DomainConfig, DomainInfo, DomainStats } from './domain.js';
import type { HostInfo } from './host.js';
import type { MigrationOptions, MigrationResult } from './migration.js';
import type { PreflightOptions, PreflightReport } from './preflight.js';

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
  /** The host keeps secrets (see {@link @virtmig/core!SecretCapable}); without it the secret methods fail with `E_UNSUPPORTED`. */
  readonly secrets: boolean;
}

/** A lifecycle or migration event from a hypervisor. */
export interface DomainEvent {
  /** Name of the domain the event is about. */
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
  /** What this driver and host support; a feature reported false fails with `E_UNSUPPORTED`. */
  readonly capabilities: HypervisorCapabilities;

  /** Closes the connection and frees what it holds. Idempotent. */
  close(): Promise<void>;
  /**
   * CPUs, memory and hostname of the host.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  hostInfo(): Promise<HostInfo>;
  /**
   * The hypervisor's capabilities document (libvirt capabilities XML for libvirt drivers).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  capabilitiesXml(): Promise<string>;

  /**
   * Domains on this host, running and defined.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  listDomains(): Promise<DomainInfo[]>;
  /**
   * One domain.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  lookupDomain(name: string): Promise<DomainInfo>;
  /**
   * Defines a persistent domain from a config (or raw XML).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` naming the field of a bad config (see {@link @virtmig/core!assertDomainConfig}).
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` for a config this driver cannot run.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  defineDomain(config: DomainConfig): Promise<DomainInfo>;
  /**
   * The domain's XML description.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  domainXml(name: string): Promise<string>;
  /**
   * Removes a domain's persistent definition; a running domain keeps running as a transient one.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  undefineDomain(name: string): Promise<void>;
  /**
   * Starts a defined domain.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when it is not shut off.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  startDomain(name: string): Promise<void>;
  /**
   * Asks the guest to shut down (ACPI or equivalent).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when it is not running.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  shutdownDomain(name: string): Promise<void>;
  /**
   * Stops the domain at once.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when it is not active.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  destroyDomain(name: string): Promise<void>;
  /**
   * Pauses a running domain.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when it is not running.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  suspendDomain(name: string): Promise<void>;
  /**
   * Resumes a paused domain.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when it is not paused.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  resumeDomain(name: string): Promise<void>;

  /**
   * Sets the number of vCPUs (live when running, config otherwise).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `vcpus` is not an integer from 1 to the domain's maximum.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` on a running domain when `capabilities.vcpuHotplug` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  setVcpus(name: string, vcpus: number): Promise<void>;
  /**
   * Sets memory in MiB (live when running, config otherwise).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `memoryMiB` is out of range.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` on a running domain when `capabilities.memoryBalloon` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  setMemory(name: string, memoryMiB: number): Promise<void>;
  /**
   * Caps the domain's CPU use, in percent of one physical CPU (100 = one CPU; 0 = no cap).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `percent` is out of range.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` on a running domain when `capabilities.cpuCap` is false.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  setCpuCap(name: string, percent: number): Promise<void>;
  /**
   * The current CPU cap in percent (0 = uncapped).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  getCpuCap(name: string): Promise<number>;

  /**
   * Statistics of every domain in one call.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  allDomainStats(): Promise<DomainStats[]>;

  /**
   * Checks, without starting anything, whether `destination` can take the guest `name` (every
   * check of {@link @virtmig/core!PREFLIGHT_CHECK_NAMES}); a failed check is in the report, not
   * thrown (see {@link @virtmig/core!assertPreflightPassed}). {@link migrate} runs it first.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name, `destination` is not a connection of this driver, or an option is invalid.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
   */
  preflight(name: string, destination: Hypervisor, options?: PreflightOptions): Promise<PreflightReport>;

  /**
   * Live-migrates `name` to `destination`, after its preflight (unless `options.preflight` is
   * false). On failure the guest is still running on the source.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` is not a valid domain name.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when an option's value is invalid.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `capabilities.migration` is false or an option is not in `capabilities.migrationOptions`.
   * @throws {@link @virtmig/core!PreflightError} `E_PREFLIGHT` when a preflight check fails (nothing was started).
   * @throws {@link @virtmig/core!MigrationError} `E_MIGRATION_FAILED` when the migration fails.
   * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `options.signal` aborts it.
   * @throws {@link @virtmig/core!TimeoutError} `E_TIMEOUT` when it outlasts `options.timeoutMs`.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after {@link close}.
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
  /** Always true: the hypervisor can switch a running migration to post-copy. */
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
