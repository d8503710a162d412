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
   * Switch to post-copy. `true` switches as soon as the RAM transfer has begun; `{ afterMs }` waits that many
   * milliseconds after the transfer began; `'manual'` enables post-copy but switches only when
   * `MigrationJob.startPostCopy()` is called. Requires a driver with the post-copy capability.
   */
  readonly postCopy?:
    | boolean
    | 'manual'
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
  /** The pre-copy rounds with their transfer and dirty rate, when the driver sampled job statistics (see {@link precopyRounds}). */
  readonly rounds?: readonly MigrationRound[];
  /** What the preflight found, when it ran (its cost is part of the reservation stage). */
  readonly preflight?: PreflightReport;
  /** Every raw statistic the hypervisor returned. */
  readonly raw: Readonly<Record<string, number | string | boolean | bigint>>;
}

/**
 * One pre-copy round as the job statistics show it. A round runs from one dirty-bitmap sync to
 * the next; what the guest wrote during it is what the next sync adds to the memory left to send.
 */
export interface MigrationRound {
  /** 1-based round (the hypervisor's iteration counter). */
  readonly iteration: number;
  /** Start, in ms since the migration started. */
  readonly startMs: number;
  /** End (the next sync, or the last sample of an open round), in ms since the migration started. */
  readonly endMs: number;
  /** Bytes sent during the round. */
  readonly transferredBytes: number;
  /** Memory left to send when the round ended, including what it re-dirtied. */
  readonly remainingBytes: number;
  /** Distinct memory the guest dirtied during the round; absent when its end was not observed. */
  readonly dirtiedBytes?: number;
  /** `dirtiedBytes` over the round's duration, bytes per second; absent with `dirtiedBytes`. */
  readonly dirtyRateBps?: number;
}

/** One job-statistics sample, the input of {@link precopyRounds}. */
export interface PrecopySample {
  /** Milliseconds since the migration started. */
  readonly elapsedMs: number;
  /** The hypervisor's iteration counter (dirty-bitmap syncs so far). */
  readonly iteration: number;
  /** Guest memory left to send, bytes. */
  readonly remainingBytes: number;
  /** Guest memory sent so far counted in whole pages, zero pages included (what `remainingBytes` drops by per sent page). */
  readonly sentBytes: number;
  /** Bytes put on the wire so far. */
  readonly transferredBytes: number;
}

/**
 * Per-round transfer and dirty rate from job statistics sampled while a pre-copy migration ran.
 * Memory left to send only grows at a dirty-bitmap sync, by the distinct pages the guest wrote
 * since the previous one, so across two samples `dirtied = Δremaining + Δsent`; the growth
 * across the sample pair where the iteration counter steps from k to k+1 belongs to round k.
 * A round starts midway between the last sample before its sync and the first after it (or at
 * the `migration-iteration` event's time, when `syncAtMs` has one). The hypervisor's own
 * dirty-rate field is not used: QEMU under TCG reports 0 there. A round whose closing sync was
 * not sampled (the last one, or several syncs between two samples) has no dirty rate.
 */
export function precopyRounds(
  samples: readonly PrecopySample[],
  syncAtMs: ReadonlyMap<number, number> = new Map(),
): MigrationRound[] {
  const s = [...samples].filter((x) => x.iteration > 0).sort((a, b) => a.elapsedMs - b.elapsedMs);
  const firstIndex = new Map<number, number>();
  for (const [i, x] of s.entries()) if (!firstIndex.has(x.iteration)) firstIndex.set(x.iteration, i);
  const startOf = (k: number): number | undefined => {
    const i = firstIndex.get(k);
    if (i === undefined) return undefined;
    const event = syncAtMs.get(k);
    if (event !== undefined) return event;
    const before = s[i - 1];
    const first = s[i] as PrecopySample;
    return before === undefined ? first.elapsedMs : (before.elapsedMs + first.elapsedMs) / 2;
  };
  const rounds: MigrationRound[] = [];
  for (const [k, i] of firstIndex) {
    const startMs = startOf(k) as number;
    const base = s[i - 1] ?? (s[i] as PrecopySample);
    const closing = s.findIndex((x, j) => j > i && x.iteration > k);
    if (closing < 0) {
      let last = s[i] as PrecopySample;
      for (const x of s) if (x.iteration === k) last = x;
      rounds.push({
        iteration: k,
        startMs,
        endMs: last.elapsedMs,
        transferredBytes: last.transferredBytes - base.transferredBytes,
        remainingBytes: last.remainingBytes,
      });
      continue;
    }
    const after = s[closing] as PrecopySample;
    const before = s[closing - 1] as PrecopySample;
    const endMs = after.iteration === k + 1 ? (startOf(k + 1) as number) : before.elapsedMs;
    const round: MigrationRound = {
      iteration: k,
      startMs,
      endMs,
      transferredBytes: after.transferredBytes - base.transferredBytes,
      remainingBytes: after.remainingBytes,
    };
    if (after.iteration !== k + 1 || endMs <= startMs) {
      rounds.push(round);
      continue;
    }
    const dirtiedBytes = Math.max(0, after.remainingBytes - before.remainingBytes + after.sentBytes - before.sentBytes);
    rounds.push({ ...round, dirtiedBytes, dirtyRateBps: (dirtiedBytes * 1000) / (endMs - startMs) });
  }
  return rounds;
}
