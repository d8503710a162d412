import type { DomainState } from './domain.js';
import { InvalidArgumentError, UnsupportedError } from './errors.js';
import type { HypervisorCapabilities } from './hypervisor.js';
import type { PreflightOptions, PreflightReport } from './preflight.js';

/** A time span in milliseconds since the migration started. */
export interface Span {
  /** Start, in milliseconds since the migration started. */
  readonly startMs: number;
  /** End, in milliseconds since the migration started. */
  readonly endMs: number;
}

/**
 * The stages of a pre-copy live migration (Clark et al.; the study's Equation 1:
 * total = initialisation + reservation + sum(pre-copy rounds) + stop-and-copy + commitment + activation).
 * A driver fills the stages it can observe; the others stay undefined.
 */
export interface MigrationStages {
  /** Setting up the migration on the source. */
  readonly initialisation?: Span;
  /**
   * Reserving resources on the destination: the preflight (when it ran) and the destination's
   * preparation, until the destination's copy of the guest exists.
   */
  readonly reservation?: Span;
  /** One span per pre-copy round. */
  readonly precopyRounds: readonly Span[];
  /** The source paused while the last dirty pages are copied. */
  readonly stopAndCopy?: Span;
  /** The destination confirming it holds a consistent copy. */
  readonly commitment?: Span;
  /** The guest resuming on the destination. */
  readonly activation?: Span;
  /** Post-copy phase, when the migration switched to post-copy. */
  readonly postcopy?: Span;
}

/** Options for one live migration. Fields a driver does not support are refused before the migration starts. */
export interface MigrationOptions {
  /** Live (default) or offline/paused migration. */
  readonly live?: boolean;
  /**
   * Switch to post-copy. `true` switches as soon as the RAM transfer has begun; a number waits that many
   * milliseconds after the transfer began. Requires a driver with the post-copy capability.
   */
  readonly postCopy?:
    | boolean
    | {
        /** Milliseconds after the memory transfer began at which to switch to post-copy. */
        readonly afterMs: number;
      };
  /** Maximum tolerated downtime in milliseconds. */
  readonly maxDowntimeMs?: number;
  /** Bandwidth limit in MiB/s. */
  readonly bandwidthMiBps?: number;
  /** Throttle the guest's vCPUs when it dirties memory faster than the link carries it. */
  readonly autoConverge?: boolean;
  /** Compression methods, e.g. `['xbzrle']`, `['zstd']`. */
  readonly compression?: readonly string[];
  /** Number of parallel migration connections (> 1 enables multifd). */
  readonly parallelConnections?: number;
  /** Encrypt the migration stream with TLS. */
  readonly tls?: boolean;
  /** Define the domain persistently on the destination. */
  readonly persistDestination?: boolean;
  /** Undefine the domain on the source after success. */
  readonly undefineSource?: boolean;
  /** Explicit migration data URI, e.g. `tcp://10.0.0.2:49152`. */
  readonly migrateUri?: string;
  /**
   * Peer-to-peer migration: the source host's libvirt daemon opens its own connection to the
   * destination's at this URI (as the source host reaches it, with the source host's
   * credentials), e.g. `xen+tls://dom0-b/system`, and drives the migration itself. The
   * caller's destination connection still watches the migration and finds its result.
   */
  readonly peerUri?: string;
  /**
   * Carry the migration data inside that peer-to-peer connection instead of a separate data
   * stream, so a `+tls` {@link MigrationOptions.peerUri} encrypts it. Needs `peerUri`; excludes
   * `migrateUri`, `tls` and `parallelConnections`.
   */
  readonly tunnelled?: boolean;
  /**
   * The preflight `migrate` runs first (see `Hypervisor.preflight`): on by default (`true`, or
   * its {@link PreflightOptions}); `false` skips it. A failed check refuses the migration with
   * `E_PREFLIGHT` before anything starts.
   */
  readonly preflight?: boolean | PreflightOptions;
  /** Give up (and abort) after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Aborts the migration; the guest stays on the source. */
  readonly signal?: AbortSignal;
  /** Called with progress while the migration runs (about every 50-100 ms). */
  readonly onProgress?: (progress: MigrationProgress) => void;
}

/** Every field, once; the mapped type makes the compiler reject a list that misses one. */
const OPTION_NAMES: { readonly [K in keyof MigrationOptions]-?: true } = {
  live: true,
  postCopy: true,
  maxDowntimeMs: true,
  bandwidthMiBps: true,
  autoConverge: true,
  compression: true,
  parallelConnections: true,
  tls: true,
  persistDestination: true,
  undefineSource: true,
  migrateUri: true,
  peerUri: true,
  tunnelled: true,
  preflight: true,
  timeoutMs: true,
  signal: true,
  onProgress: true,
};

/** The name of every {@link MigrationOptions} field, for drivers and tests that enumerate them. */
export const MIGRATION_OPTION_NAMES: readonly (keyof MigrationOptions)[] = Object.freeze(
  Object.keys(OPTION_NAMES) as (keyof MigrationOptions)[],
);

/**
 * Refuses, before anything runs, the options no driver may take silently: a key that is not a
 * {@link MigrationOptions} field (`E_INVALID_ARGUMENT`), any migration when
 * `capabilities.migration` is false, and a set option missing from
 * `capabilities.migrationOptions` (`E_UNSUPPORTED`). Every driver (the fake included) calls it,
 * so the refusals cannot drift apart. Keys set to `undefined` count as not set.
 *
 * @throws InvalidArgumentError `E_INVALID_ARGUMENT` for a non-object or an unknown key.
 * @throws UnsupportedError `E_UNSUPPORTED` without migration, or for an unoffered option.
 */
export function assertMigrationOptionsOffered(
  options: MigrationOptions,
  capabilities: HypervisorCapabilities,
  driver: string,
): void {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'must be an object');
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !(key in OPTION_NAMES))
      throw new InvalidArgumentError(`options.${key}`, 'is not a migration option');
  }
  if (!capabilities.migration) throw new UnsupportedError('live migration', driver);
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !capabilities.migrationOptions.has(key as keyof MigrationOptions))
      throw new UnsupportedError(`migration option "${key}"`, driver);
  }
}

/**
 * The `details` of every `E_MIGRATION_FAILED` error ({@link MigrationError}): where the failure
 * left the guest, so a caller knows what to clean up. Real drivers and the fake fill all of it;
 * the conformance kit checks it.
 */
export interface MigrationFailureDetails {
  /** Name of the domain that failed to migrate. */
  readonly domain: string;
  /** URI of the source host. */
  readonly sourceUri: string;
  /** URI of the destination host. */
  readonly destinationUri: string;
  /** The guest's state on the source after the failure; `absent` when it is no longer there. */
  readonly sourceState: DomainState | 'absent';
  /** True when a domain of that name was left running or defined on the destination by this migration. */
  readonly domainOnDestination: boolean;
}

/** A progress sample of a running migration. */
export interface MigrationProgress {
  /** Milliseconds since the migration started. */
  readonly elapsedMs: number;
  /** Bytes to transfer in total, as the hypervisor counts them. */
  readonly dataTotalBytes: number;
  /** Bytes transferred so far. */
  readonly dataProcessedBytes: number;
  /** Bytes left to transfer. */
  readonly dataRemainingBytes: number;
  /** Pre-copy iteration, when known. */
  readonly iteration?: number;
  /** Dirty rate in bytes per second, when known. */
  readonly dirtyRateBps?: number;
  /** Current phase. */
  readonly phase: 'setup' | 'precopy' | 'stop-and-copy' | 'postcopy' | 'completing';
}

/** The measured outcome of one live migration. */
export interface MigrationResult {
  /** Name of the migrated domain. */
  readonly domain: string;
  /** URI of the source host. */
  readonly sourceUri: string;
  /** URI of the destination host. */
  readonly destinationUri: string;
  /** Wall-clock start and end, ISO-8601. */
  readonly startedAt: string;
  /** Wall-clock end, ISO-8601. */
  readonly endedAt: string;
  /** Total migration time in ms as measured by virtmig around the call. */
  readonly totalTimeMs: number;
  /** Total time in ms as the hypervisor reports it, when it does. */
  readonly reportedTotalTimeMs?: number;
  /** Downtime in ms (hypervisor-reported, or measured from events / heartbeat; see `downtimeSource`). */
  readonly downtimeMs?: number;
  /** Where `downtimeMs` comes from: the hypervisor's report, domain events or guest heartbeats. */
  readonly downtimeSource?: 'hypervisor' | 'events' | 'heartbeat';
  /** Setup time in ms, when reported. */
  readonly setupTimeMs?: number;
  /** Bytes transferred in total, when reported. */
  readonly dataTransferredBytes?: number;
  /** Guest memory bytes transferred, when reported. */
  readonly memoryTransferredBytes?: number;
  /** Memory transfer bandwidth in bytes per second. */
  readonly memoryBandwidthBps?: number;
  /** Guest dirty rate in bytes per second. */
  readonly dirtyRateBps?: number;
  /** Pre-copy iterations. */
  readonly iterations?: number;
  /** Pages requested by the destination during post-copy. */
  readonly postCopyRequests?: number;
  /** True if the migration switched to post-copy. */
  readonly postCopy: boolean;
  /** The stages the driver observed. */
  readonly stages: MigrationStages;
  /** What the preflight found, when it ran (its cost is part of the reservation stage). */
  readonly preflight?: PreflightReport;
  /** Every raw statistic the hypervisor returned. */
  readonly raw: Readonly<Record<string, number | string | boolean | bigint>>;
}
