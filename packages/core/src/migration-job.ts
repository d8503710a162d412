import { StateError, UnsupportedError } from './errors.js';
import type { Hypervisor } from './hypervisor.js';
import type { MigrationOptions, MigrationProgress, MigrationResult } from './migration.js';
import { assertNumber } from './validate.js';

/** A change a caller can make to a running migration through its {@link MigrationJob}. */
export type MigrationControl = 'setMaxDowntime' | 'setBandwidth' | 'startPostCopy' | 'abort';

/** Options of {@link MigrationJob.stats}. */
export interface MigrationStatsOptions {
  /** Least time between two samples the iterator yields, in ms; default: every sample the driver takes. */
  readonly intervalMs?: number;
}

/**
 * A live migration in progress, from {@link MigrationJobCapable.startMigration}. Every control
 * fails with `E_STATE` once the job has ended and with `E_UNSUPPORTED` when the driver does not
 * offer it ({@link MigrationJobCapable.migrationControls}) or the migration was not started for
 * it (post-copy without `options.postCopy`).
 */
export interface MigrationJob {
  /** Name of the migrating domain. */
  readonly domain: string;
  /** True once the job has ended (successfully or not); {@link MigrationJob.result} is then settled or settling. */
  readonly finished: boolean;
  /**
   * Settles when the migration ends, exactly as `Hypervisor.migrate` would: the result, or the
   * same typed errors (`E_MIGRATION_FAILED`, `E_ABORTED` after {@link MigrationJob.abort} or the
   * signal, `E_TIMEOUT`, `E_CLOSED`).
   */
  readonly result: Promise<MigrationResult>;
  /**
   * The job's statistics while it runs, at most one sample per `intervalMs`; the iterator ends
   * when the job ends. Each call returns an iterator of its own.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `intervalMs` is negative or not a number.
   */
  stats(options?: MigrationStatsOptions): AsyncIterableIterator<MigrationProgress>;
  /**
   * Sets the maximum tolerated downtime (ms) of this migration from now on.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `ms` is out of range.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when the driver does not offer `setMaxDowntime`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the job has ended.
   */
  setMaxDowntime(ms: number): Promise<void>;
  /**
   * Sets the bandwidth limit (MiB/s) of this migration from now on.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `mibps` is out of range.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when the driver does not offer `setBandwidth`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the job has ended.
   */
  setBandwidth(mibps: number): Promise<void>;
  /**
   * Switches the migration to post-copy; {@link MigrationJob.result} then has `postCopy: true`.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when the driver does not offer `startPostCopy` or the migration was started without `options.postCopy`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the job has ended, or already switched.
   */
  startPostCopy(): Promise<void>;
  /**
   * Aborts the migration: {@link MigrationJob.result} rejects with `E_ABORTED` and the guest stays on the source.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when the driver does not offer `abort`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the job has ended, or switched to post-copy (the guest already runs on the destination).
   */
  abort(): Promise<void>;
}

/**
 * A hypervisor whose migrations can be watched and steered while they run. It is a capability
 * beside {@link Hypervisor} rather than a method of it, so drivers written against the
 * interface before it existed still compile and run; callers narrow with
 * {@link isMigrationJobCapable}. Its drivers implement `migrate` as `startMigration` followed by
 * `await job.result`.
 */
export interface MigrationJobCapable {
  /** The controls this driver's jobs honour; the others fail with `E_UNSUPPORTED`. */
  readonly migrationControls: ReadonlySet<MigrationControl>;
  /**
   * Starts a live migration of `name` to `destination` and returns its handle once it runs.
   * Bad input is refused before anything starts, with the errors of `Hypervisor.migrate`.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `name` or an option's value is invalid.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when migration or an option is not offered.
   * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `options.signal` has already aborted.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after `close()`.
   */
  startMigration(name: string, destination: Hypervisor, options?: MigrationOptions): Promise<MigrationJob>;
}

/**
 * The job controls that go with a driver's start options, for drivers where each pair is one
 * mechanism (libvirt's: `maxDowntimeMs` and setMaxDowntime are both virDomainMigrateSetMaxDowntime,
 * `bandwidthMiBps` and setBandwidth the bandwidth limit, `postCopy` and startPostCopy the switch,
 * `signal` and abort the job abort).
 */
export function controlsOfferedWith(options: ReadonlySet<keyof MigrationOptions>): ReadonlySet<MigrationControl> {
  const controls = new Set<MigrationControl>();
  if (options.has('maxDowntimeMs')) controls.add('setMaxDowntime');
  if (options.has('bandwidthMiBps')) controls.add('setBandwidth');
  if (options.has('postCopy')) controls.add('startPostCopy');
  if (options.has('signal')) controls.add('abort');
  return controls;
}

/** Narrowing helper: can this hypervisor hand out {@link MigrationJob}s? */
export function isMigrationJobCapable(h: Hypervisor): h is Hypervisor & MigrationJobCapable {
  const c = h as Partial<MigrationJobCapable>;
  return typeof c.startMigration === 'function' && c.migrationControls instanceof Set;
}

/**
 * The checks every control of a {@link MigrationJob} makes, shared by the drivers so their
 * refusals agree, in this order: `E_UNSUPPORTED` for a control the driver does not offer, then
 * `check` (argument validation, `E_INVALID_ARGUMENT`), then `E_STATE` once the job has ended.
 * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when `control` is not in `controls`.
 * @throws {@link @virtmig/core!StateError} `E_STATE` when `job.finished`.
 */
export function assertJobControl(
  control: MigrationControl,
  controls: ReadonlySet<MigrationControl>,
  driver: string,
  job: { readonly domain: string; readonly finished: boolean },
  check?: () => void,
): void {
  if (!controls.has(control)) throw new UnsupportedError(`the migration control ${control}`, driver);
  check?.();
  if (job.finished)
    throw new StateError(`the migration job of "${job.domain}" has ended`, { domain: job.domain, control });
}

/** Range of a max-downtime value a job control takes, ms. */
const MAX_DOWNTIME_RANGE = [1, 2_000_000] as const;
/** Range of a bandwidth value a job control takes, MiB/s. */
const BANDWIDTH_RANGE = [1, 1 << 23] as const;

/**
 * Validates the argument of {@link MigrationJob.setMaxDowntime} (ms, 1 to 2,000,000).
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when out of range.
 */
export function assertMaxDowntimeMs(ms: unknown): asserts ms is number {
  assertNumber(ms, 'ms', ...MAX_DOWNTIME_RANGE);
}

/**
 * Validates the argument of {@link MigrationJob.setBandwidth} (MiB/s, 1 to 2^23).
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when out of range.
 */
export function assertBandwidthMiBps(mibps: unknown): asserts mibps is number {
  assertNumber(mibps, 'mibps', ...BANDWIDTH_RANGE);
}

/**
 * The samples of one job, fanned out to any number of {@link MigrationJob.stats} iterators: each
 * iterator yields the newest sample it has not seen (never a backlog), at most one per interval,
 * and ends when {@link ProgressFeed.end} is called. Drivers push every sample they take.
 */
export class ProgressFeed {
  private latest: { seq: number; sample: MigrationProgress } | undefined;
  private ended = false;
  private waiters: (() => void)[] = [];

  /** Adds a sample and wakes the iterators. */
  push(sample: MigrationProgress): void {
    if (this.ended) return;
    this.latest = { seq: (this.latest?.seq ?? 0) + 1, sample };
    this.wake();
  }

  /** Ends every iterator (after the sample it may be waiting for). Idempotent. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /**
   * A fresh iterator over the samples from now on.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `intervalMs` is negative or not a number.
   */
  iterate(options: MigrationStatsOptions = {}): AsyncIterableIterator<MigrationProgress> {
    const intervalMs = options.intervalMs ?? 0;
    assertNumber(intervalMs, 'options.intervalMs', 0, 3_600_000);
    let seen = this.latest?.seq ?? 0;
    let lastAt = Number.NEGATIVE_INFINITY;
    let stopped = false;
    const next = async (): Promise<IteratorResult<MigrationProgress>> => {
      for (;;) {
        if (stopped) return { done: true, value: undefined };
        const l = this.latest;
        if (l && l.seq > seen && l.sample.elapsedMs - lastAt >= intervalMs) {
          seen = l.seq;
          lastAt = l.sample.elapsedMs;
          return { done: false, value: l.sample };
        }
        if (this.ended) return { done: true, value: undefined };
        await new Promise<void>((r) => this.waiters.push(r));
      }
    };
    const it: AsyncIterableIterator<MigrationProgress> = {
      next,
      return: async () => {
        stopped = true;
        // A next() waiting for a sample ends now, not at the next push.
        this.wake();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}
