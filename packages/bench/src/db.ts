import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, type Stats, statSync } from 'node:fs';
import {
  InvalidArgumentError,
  isVirtmigError,
  type MigrationResult,
  type MigrationRound,
  type NonConvergedMigration,
  NotFoundError,
  StateError,
} from '@virtmig/core';

import type { TrialPlan } from './matrix.js';
import type { CpuSample, MigrationTimeline, TimelineSample, TrialOutcome, TrialRecord } from './records.js';
import { SCHEMA_MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import type { ExperimentSpec } from './spec-types.js';
import { openSqlite, type SqliteDatabase } from './sqlite.js';

/** Status of a run. */
export type RunStatus = 'running' | 'finished' | 'failed';
/** Status of a trial: `running` after a crash means interrupted. */
export type TrialStatus = 'pending' | 'running' | 'done' | 'failed';

/** A run as stored. */
export interface RunRow {
  /** Run id. */
  readonly runId: string;
  /** Experiment name (the spec's `name`). */
  readonly experiment: string;
  /** The validated spec the run uses. */
  readonly spec: ExperimentSpec;
  /** Hash of the spec, to find the run of a spec on resume. */
  readonly specHash: string;
  /** Where the run stands. */
  readonly status: RunStatus;
  /** Trials the run has in all. */
  readonly trialsTotal: number;
  /** When the run was created, ISO-8601. */
  readonly createdAt: string;
  /** When the row last changed, ISO-8601. */
  readonly updatedAt: string;
  /** When the run finished, ISO-8601; null until then. */
  readonly finishedAt: string | null;
}

/** A trial's bookkeeping row. */
export interface TrialRow {
  /** The run the trial belongs to. */
  readonly runId: string;
  /** Trial id. */
  readonly trialId: string;
  /** Position in the run's order, from 0. */
  readonly seq: number;
  /** Index of the host pair the trial runs on. */
  readonly pair: number;
  /** Where the trial stands. */
  readonly status: TrialStatus;
  /** How often the trial was started. */
  readonly attempts: number;
  /** Domain name of the trial's guest, once it has one. */
  readonly domain: string | null;
  /** Last failure message, or null. */
  readonly error: string | null;
}

/** Stable hash of a spec (key order does not matter). */
export function specHash(spec: ExperimentSpec): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canon(spec)))
    .digest('hex');
}

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

const now = (): string => new Date().toISOString();

/** The 16 bytes every SQLite 3 database file starts with. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

function notOurs(path: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError('db', `${JSON.stringify(path)} is not a virtmig results database: ${why}`);
}

/**
 * What to hand SQLite for `path`, after checking, by reading only, that it is a SQLite file:
 * the path itself, or for a read-only open without pending WAL changes a copy of its bytes.
 * A missing file is fine unless it must exist; an empty one only when it may be written.
 */
function checkedSource(path: string, readonly: boolean, mustExist: boolean): string | Buffer {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || mustExist || readonly)
      throw new NotFoundError('database', path, `cannot open database ${JSON.stringify(path)}: no such file`);
    return path;
  }
  if (!st.isFile()) throw notOurs(path, 'not a regular file');
  if (st.size === 0) {
    if (readonly) throw notOurs(path, 'the file is empty');
    return path;
  }
  const bytes = readFileSync(path);
  if (bytes.length < 100 || !bytes.subarray(0, 16).equals(SQLITE_MAGIC)) throw notOurs(path, 'not a SQLite database');
  if (!readonly || existsSync(`${path}-wal`)) return path;
  // Bytes 18-19 are the read/write format versions, 2 for WAL; an in-memory copy cannot use a WAL.
  bytes[18] = 1;
  bytes[19] = 1;
  return bytes;
}

interface RunDbRow {
  run_id: string;
  experiment: string;
  spec_json: string;
  spec_hash: string;
  status: RunStatus;
  trials_total: number;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

function runFromRow(r: RunDbRow): RunRow {
  return {
    runId: r.run_id,
    experiment: r.experiment,
    spec: JSON.parse(r.spec_json) as ExperimentSpec,
    specHash: r.spec_hash,
    status: r.status,
    trialsTotal: r.trials_total,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

/**
 * The results database: one SQLite file (WAL journal) with a versioned schema. A trial's data is
 * written in one transaction when it ends, so a crash leaves every trial either complete or
 * absent; a trial that was running is marked `running` and is redone on resume.
 */
export class ResultsDb {
  private constructor(
    /** Path of the SQLite file. */
    readonly path: string,
    private readonly db: SqliteDatabase,
  ) {}

  /**
   * Opens (creating if needed) a results database and brings its schema up to date; with
   * `readonly`, opens an existing one without changing it or anything beside it.
   *
   * A read-only open never writes: the file is checked to be a SQLite file first, and unless a
   * `-wal` file beside it holds changes not yet checkpointed (a run still writing, or one that
   * died), it is read from a copy in memory, because SQLite opening a WAL-mode file read-only
   * creates `-wal` and `-shm` files beside it (and needs a writable directory for them).
   * A read-write open refuses, before writing anything, a file that is not SQLite or a SQLite
   * file of another program (tables but no `schema_migrations`).
   * @throws `E_NOT_FOUND` when the file (or, read-write, its directory) does not exist;
   * `E_INVALID_ARGUMENT` (field `db`) for a file that is not a virtmig results database or one
   * written by a newer virtmig (its schema version is newer than {@link SCHEMA_VERSION}).
   */
  static open(path: string, options: { readonly?: boolean; mustExist?: boolean } = {}): ResultsDb {
    const readonly = options.readonly ?? false;
    const source = checkedSource(path, readonly, options.mustExist ?? false);
    let db: SqliteDatabase;
    try {
      db = openSqlite(source, { readonly, fileMustExist: typeof source === 'string' && (options.mustExist ?? false) });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/unable to open|does not exist|directory does not exist/i.test(msg))
        throw new NotFoundError('database', path, `cannot open database ${JSON.stringify(path)}: ${msg}`);
      throw new InvalidArgumentError('db', `cannot open ${JSON.stringify(path)}: ${msg}`);
    }
    const rdb = new ResultsDb(path, db);
    try {
      rdb.refuseForeign();
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        // NORMAL in WAL mode loses at most the last transactions on power loss, never consistency.
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      rdb.migrate(readonly);
    } catch (e) {
      db.close();
      if (isVirtmigError(e)) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      if (/file is not a database|malformed/i.test(msg)) throw notOurs(path, 'not a SQLite database');
      throw e;
    }
    return rdb;
  }

  /** The schema version of the open database. */
  schemaVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    return row.v ?? 0;
  }

  private hasMigrationsTable(): boolean {
    return (
      this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !==
      undefined
    );
  }

  /** Refuses another program's database and a newer virtmig's, with reads only. */
  private refuseForeign(): void {
    if (!this.hasMigrationsTable()) {
      const tables = this.db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number };
      if (tables.n > 0) throw notOurs(this.path, 'a SQLite database of another program (no schema_migrations table)');
      return;
    }
    const current = this.schemaVersion();
    if (current > SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        'db',
        `${JSON.stringify(this.path)} has schema version ${current}, newer than this virtmig's ${SCHEMA_VERSION}: use a newer virtmig`,
        { version: current, supported: SCHEMA_VERSION },
      );
    }
  }

  private migrate(readonly: boolean): void {
    if (!this.hasMigrationsTable()) {
      if (readonly) throw notOurs(this.path, 'empty (no schema_migrations table)');
      this.db.exec(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
    }
    const current = this.schemaVersion();
    for (const m of SCHEMA_MIGRATIONS.filter((s) => s.version > current)) {
      if (readonly)
        throw new StateError(`${this.path} has schema version ${current}; open it read-write once to upgrade`);
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, now());
      })();
    }
  }

  /** Creates a run with every trial `pending`, in one transaction; returns its id. */
  createRun(spec: ExperimentSpec, plans: readonly TrialPlan[], runId: string = randomUUID()): string {
    const at = now();
    const insertTrial = this.db.prepare(
      `INSERT INTO trials (run_id, trial_id, seq, pair, workload, ram_mib, vcpus, cap_percent, host_cores, trial_index, migrate, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
    );
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO runs (run_id, experiment, spec_json, spec_hash, status, trials_total, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'running', ?, ?, ?)`,
        )
        .run(runId, spec.name, JSON.stringify(spec), specHash(spec), plans.length, at, at);
      for (const p of plans) {
        insertTrial.run(
          runId,
          p.id,
          p.seq,
          p.pair,
          p.workload,
          p.ramMiB,
          p.vcpus,
          p.capPercent,
          p.hostCores,
          p.trial,
          p.migrate ? 1 : 0,
        );
      }
    })();
    return runId;
  }

  /** Every run, oldest first. */
  runs(): RunRow[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY created_at, rowid').all() as RunDbRow[]).map(runFromRow);
  }

  /** One run; throws `E_NOT_FOUND`. */
  run(runId: string): RunRow {
    const r = this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunDbRow | undefined;
    if (!r) throw new NotFoundError('run', runId);
    return runFromRow(r);
  }

  /** The most recent run that did not finish, if any. */
  latestUnfinishedRun(): RunRow | undefined {
    const r = this.db
      .prepare("SELECT * FROM runs WHERE status != 'finished' ORDER BY created_at DESC, rowid DESC LIMIT 1")
      .get() as RunDbRow | undefined;
    return r ? runFromRow(r) : undefined;
  }

  /** A run's trials in order. */
  trials(runId: string): TrialRow[] {
    const rows = this.db
      .prepare(
        'SELECT run_id, trial_id, seq, pair, status, attempts, domain, error FROM trials WHERE run_id = ? ORDER BY seq',
      )
      .all(runId) as {
      run_id: string;
      trial_id: string;
      seq: number;
      pair: number;
      status: TrialStatus;
      attempts: number;
      domain: string | null;
      error: string | null;
    }[];
    return rows.map((r) => ({
      runId: r.run_id,
      trialId: r.trial_id,
      seq: r.seq,
      pair: r.pair,
      status: r.status,
      attempts: r.attempts,
      domain: r.domain,
      error: r.error,
    }));
  }

  /** Marks a trial as started on `domain` (committed at once, so a crash shows which trial to redo). */
  markRunning(runId: string, trialId: string, domain: string): void {
    const at = now();
    const r = this.db
      .prepare(
        `UPDATE trials SET status = 'running', attempts = attempts + 1, domain = ?, started_at = ?, ended_at = NULL, error = NULL
         WHERE run_id = ? AND trial_id = ? AND status != 'done'`,
      )
      .run(domain, at, runId, trialId);
    if (r.changes !== 1)
      throw new StateError(`trial ${trialId} of run ${runId} is done or does not exist`, { runId, trialId });
    this.touch(runId, at);
  }

  /** Stores a finished trial: samples, migration, timeline and status, all in one transaction. */
  completeTrial(runId: string, trialId: string, outcome: TrialOutcome): void {
    const r = outcome.record;
    const at = now();
    this.db.transaction(() => {
      const u = this.db
        .prepare(
          `UPDATE trials SET status = 'done', ended_at = ?, workload_score = ?, workload_score_unit = ?, heartbeat_gap_ms = ?,
             non_converged_json = ?, workload_options_json = ?, error = NULL
           WHERE run_id = ? AND trial_id = ? AND status = 'running'`,
        )
        .run(
          at,
          r.workloadScore,
          r.workloadScoreUnit ?? null,
          outcome.heartbeatGapMs ?? null,
          r.nonConverged ? JSON.stringify(r.nonConverged) : null,
          r.workloadOptions ? JSON.stringify(r.workloadOptions) : null,
          runId,
          trialId,
        );
      if (u.changes !== 1) throw new StateError(`trial ${trialId} of run ${runId} is not running`, { runId, trialId });
      const cpu = this.db.prepare(
        'INSERT INTO cpu_samples (run_id, trial_id, idx, t_ms, domain_pct_host, domain_pct_cpu, host_pct) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (const [i, s] of r.cpuSamples.entries()) {
        cpu.run(runId, trialId, i, s.tMs, s.domainPercentOfHost, s.domainPercentOfCpu, s.hostPercent);
      }
      const m = r.migration;
      if (m) {
        this.db
          .prepare(
            `INSERT INTO migration_results (run_id, trial_id, total_time_ms, downtime_ms, downtime_source, data_transferred_bytes,
               memory_bandwidth_bps, dirty_rate_bps, iterations, post_copy, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            runId,
            trialId,
            m.totalTimeMs,
            m.downtimeMs ?? null,
            m.downtimeSource ?? null,
            m.dataTransferredBytes ?? null,
            m.memoryBandwidthBps ?? null,
            m.dirtyRateBps ?? null,
            m.iterations ?? null,
            m.postCopy ? 1 : 0,
            JSON.stringify(m, jsonReplacer),
          );
      }
      const round = this.db.prepare(
        `INSERT INTO migration_rounds (run_id, trial_id, iteration, start_ms, end_ms, transferred_bytes, remaining_bytes, dirtied_bytes, dirty_rate_bps)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const x of m?.rounds ?? []) {
        round.run(
          runId,
          trialId,
          x.iteration,
          x.startMs,
          x.endMs,
          x.transferredBytes,
          x.remainingBytes,
          x.dirtiedBytes ?? null,
          x.dirtyRateBps ?? null,
        );
      }
      const tl = this.db.prepare(
        `INSERT INTO timeline_samples (run_id, trial_id, idx, t_ms, transferred_bytes, remaining_bytes, dirty_rate_bps, iteration, host_cpu_pct)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const [i, s] of (outcome.timeline ?? []).entries()) {
        tl.run(
          runId,
          trialId,
          i,
          s.tMs,
          s.transferredBytes,
          s.remainingBytes,
          s.dirtyRateBps,
          s.iteration,
          s.hostCpuPercent,
        );
      }
      this.touch(runId, at);
    })();
  }

  /** Marks a trial failed with a one-line reason; it is retried when the run resumes. */
  failTrial(runId: string, trialId: string, error: string): void {
    const at = now();
    this.db
      .prepare(
        "UPDATE trials SET status = 'failed', ended_at = ?, error = ? WHERE run_id = ? AND trial_id = ? AND status = 'running'",
      )
      .run(at, error.split('\n')[0] ?? error, runId, trialId);
    this.touch(runId, at);
  }

  /** Sets a run's final status. */
  finishRun(runId: string, status: Exclude<RunStatus, 'running'>): void {
    const at = now();
    this.db
      .prepare('UPDATE runs SET status = ?, updated_at = ?, finished_at = ? WHERE run_id = ?')
      .run(status, at, at, runId);
  }

  /** Marks a run as running again (resume). */
  reopenRun(runId: string): void {
    this.db
      .prepare("UPDATE runs SET status = 'running', updated_at = ?, finished_at = NULL WHERE run_id = ?")
      .run(now(), runId);
  }

  private touch(runId: string, at: string): void {
    this.db.prepare('UPDATE runs SET updated_at = ? WHERE run_id = ?').run(at, runId);
  }

  /** Finished trials as analysis reads them, of one run or of every run, in run then trial order. */
  records(runId?: string): TrialRecord[] {
    const trials = this.db
      .prepare(
        `SELECT t.*, r.experiment FROM trials t JOIN runs r USING (run_id)
         WHERE t.status = 'done' AND (? IS NULL OR t.run_id = ?) ORDER BY r.created_at, r.rowid, t.seq`,
      )
      .all(runId ?? null, runId ?? null) as {
      run_id: string;
      trial_id: string;
      experiment: string;
      workload: string;
      ram_mib: number;
      vcpus: number;
      cap_percent: number;
      host_cores: number;
      trial_index: number;
      workload_score: number | null;
      workload_score_unit: string | null;
      non_converged_json: string | null;
      workload_options_json: string | null;
    }[];
    const samples = this.db.prepare('SELECT * FROM cpu_samples WHERE run_id = ? AND trial_id = ? ORDER BY idx');
    const migration = this.db.prepare('SELECT result_json FROM migration_results WHERE run_id = ? AND trial_id = ?');
    return trials.map((t) => {
      const cpu = (
        samples.all(t.run_id, t.trial_id) as {
          t_ms: number;
          domain_pct_host: number;
          domain_pct_cpu: number;
          host_pct: number;
        }[]
      ).map(
        (s): CpuSample => ({
          tMs: s.t_ms,
          domainPercentOfHost: s.domain_pct_host,
          domainPercentOfCpu: s.domain_pct_cpu,
          hostPercent: s.host_pct,
        }),
      );
      const m = migration.get(t.run_id, t.trial_id) as { result_json: string } | undefined;
      return {
        experimentId: t.experiment,
        workload: t.workload,
        ramMiB: t.ram_mib,
        vcpus: t.vcpus,
        capPercent: t.cap_percent,
        hostCores: t.host_cores,
        trial: t.trial_index,
        cpuSamples: cpu,
        workloadScore: t.workload_score ?? 0,
        ...(t.workload_score_unit ? { workloadScoreUnit: t.workload_score_unit } : {}),
        ...(m ? { migration: JSON.parse(m.result_json) as MigrationResult } : {}),
        ...(t.workload_options_json
          ? { workloadOptions: JSON.parse(t.workload_options_json) as Record<string, number> }
          : {}),
        ...(t.non_converged_json ? { nonConverged: JSON.parse(t.non_converged_json) as NonConvergedMigration } : {}),
      };
    });
  }

  /** Migration timelines of finished trials, of one run or of every run. */
  timelines(runId?: string): MigrationTimeline[] {
    const trials = this.db
      .prepare(
        `SELECT t.run_id, t.trial_id, t.workload, t.trial_index, r.experiment FROM trials t JOIN runs r USING (run_id)
         WHERE t.status = 'done' AND (? IS NULL OR t.run_id = ?)
           AND EXISTS (SELECT 1 FROM timeline_samples s WHERE s.run_id = t.run_id AND s.trial_id = t.trial_id)
         ORDER BY r.created_at, r.rowid, t.seq`,
      )
      .all(runId ?? null, runId ?? null) as {
      run_id: string;
      trial_id: string;
      workload: string;
      trial_index: number;
      experiment: string;
    }[];
    const samples = this.db.prepare('SELECT * FROM timeline_samples WHERE run_id = ? AND trial_id = ? ORDER BY idx');
    const roundsOf = this.db.prepare(
      'SELECT * FROM migration_rounds WHERE run_id = ? AND trial_id = ? ORDER BY iteration',
    );
    return trials.map((t) => ({
      experimentId: t.experiment,
      workload: t.workload,
      trial: t.trial_index,
      ...roundsField(
        roundsOf.all(t.run_id, t.trial_id) as {
          iteration: number;
          start_ms: number;
          end_ms: number;
          transferred_bytes: number;
          remaining_bytes: number;
          dirtied_bytes: number | null;
          dirty_rate_bps: number | null;
        }[],
      ),
      samples: (
        samples.all(t.run_id, t.trial_id) as {
          t_ms: number;
          transferred_bytes: number;
          remaining_bytes: number;
          dirty_rate_bps: number;
          iteration: number;
          host_cpu_pct: number;
        }[]
      ).map(
        (s): TimelineSample => ({
          tMs: s.t_ms,
          transferredBytes: s.transferred_bytes,
          remainingBytes: s.remaining_bytes,
          dirtyRateBps: s.dirty_rate_bps,
          iteration: s.iteration,
          hostCpuPercent: s.host_cpu_pct,
        }),
      ),
    }));
  }

  /** Closes the database (checkpointing the WAL). Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The `rounds` of a timeline from its `migration_rounds` rows; no field when there are none. */
function roundsField(
  rows: {
    iteration: number;
    start_ms: number;
    end_ms: number;
    transferred_bytes: number;
    remaining_bytes: number;
    dirtied_bytes: number | null;
    dirty_rate_bps: number | null;
  }[],
): { rounds?: MigrationRound[] } {
  if (rows.length === 0) return {};
  return {
    rounds: rows.map((r) => ({
      iteration: r.iteration,
      startMs: r.start_ms,
      endMs: r.end_ms,
      transferredBytes: r.transferred_bytes,
      remainingBytes: r.remaining_bytes,
      ...(r.dirtied_bytes === null ? {} : { dirtiedBytes: r.dirtied_bytes }),
      ...(r.dirty_rate_bps === null ? {} : { dirtyRateBps: r.dirty_rate_bps }),
    })),
  };
}
