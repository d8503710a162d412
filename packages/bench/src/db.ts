import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InvalidArgumentError,
  isVirtmigError,
  type MigrationResult,
  type MigrationRound,
  type NonConvergedMigration,
  NotFoundError,
  type RunEnvironment,
  StateError,
  type StoredEnvironment,
} from '@virtmig/core';
import { environmentId, SIMULATED_DRIVERS } from './capture.js';
import {
  type BalanceSampleRow,
  type DecisionInput,
  type DecisionOutcomeInput,
  type DecisionRow,
  insertBalanceSamples,
  insertDecision,
  readBalanceSamples,
  readDecisions,
  updateDecisionOutcome,
} from './decisions.js';
import {
  TIDY_SQL,
  type TidyCell,
  type TidyColumn,
  type TidyColumnType,
  type TidyTable,
  type TidyTableName,
} from './export.js';
import { currentProcess, isHeld, type LockHolder } from './lock.js';
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
  /** True when the spec's driver runs no real guests (`fake`, `test`): the results measure a model. */
  readonly simulated: boolean;
  /** The environment the run last ran in (see {@link ResultsDb.recordEnvironment}); null before it first connected. */
  readonly environmentId: string | null;
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

function tidyCell(v: TidyCell, type: TidyColumnType): TidyCell {
  if (v === null) return null;
  if (type === 'boolean') return v === 1 || v === true;
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

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
  if (!readonly) return path;
  const image = existsSync(`${path}-wal`) ? withWal(path) : bytes;
  // Bytes 18-19 are the read/write format versions, 2 for WAL; an in-memory copy cannot use a WAL.
  image[18] = 1;
  image[19] = 1;
  return image;
}

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * The database at `path` with the changes in its `-wal` applied, as bytes, read without writing
 * anything beside it. SQLite itself cannot do that: a read-only connection to a WAL database
 * writes its read marks into the `-shm` file (creating it when a crashed writer left none), and
 * `immutable=1` ignores the WAL, which would hide the newest trials. So the file and its WAL are
 * copied, together, into a private directory, SQLite applies the WAL to the copy there, and the
 * copy is read back and removed. A copy is taken as consistent only when the WAL and the
 * file's size and modification time are the same before and after (a writer appending or a
 * checkpoint in between makes it retry).
 * @throws `E_STATE` when a writer keeps changing the database for the whole of the retries.
 */
function withWal(path: string): Buffer {
  const wal = `${path}-wal`;
  const dir = mkdtempSync(join(tmpdir(), 'virtmig-readonly-'));
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const s1 = statSync(path, { bigint: true });
      const w1 = readOrNull(wal);
      const main = readFileSync(path);
      const w2 = readOrNull(wal);
      const s2 = statSync(path, { bigint: true });
      const steady =
        s1.mtimeNs === s2.mtimeNs &&
        s1.size === s2.size &&
        (w1 === null ? w2 === null : w1.equals(w2 ?? Buffer.alloc(0)));
      if (!steady) {
        sleepSync(25);
        continue;
      }
      // The writer checkpointed and removed its WAL meanwhile: the file alone is complete.
      if (w1 === null) return main;
      const copy = join(dir, 'db');
      writeFileSync(copy, main);
      writeFileSync(`${copy}-wal`, w1);
      try {
        const db = openSqlite(copy);
        try {
          return db.serialize();
        } finally {
          db.close();
        }
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (/file is not a database|malformed/i.test(msg)) throw notOurs(path, 'not a SQLite database');
        throw e;
      }
    }
    throw new StateError(`${JSON.stringify(path)} kept changing while it was read; try again`, { path });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readOrNull(p: string): Buffer | null {
  try {
    return readFileSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
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
  simulated: number;
  environment_id: string | null;
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
    simulated: r.simulated === 1,
    environmentId: r.environment_id,
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
   * A read-only open never writes beside the file: it is checked to be a SQLite file first and
   * then read from a copy in memory, because SQLite opening a WAL-mode file read-only creates or
   * writes `-wal` and `-shm` files beside it. When a `-wal` file holds changes not yet
   * checkpointed (a run still writing, or one that died), the file and its WAL are copied
   * together into a private temporary directory, the WAL is applied there and the result read
   * into memory; the directory is removed before `open` returns, so the newest trials are seen.
   * A read-write open refuses, before writing anything, a file that is not SQLite or a SQLite
   * file of another program (tables but no `schema_migrations`).
   * @throws `E_NOT_FOUND` when the file (or, read-write, its directory) does not exist;
   * `E_INVALID_ARGUMENT` (field `db`) for a file that is not a virtmig results database or one
   * written by a newer virtmig (its schema version is newer than {@link SCHEMA_VERSION});
   * `E_STATE` when, read-only, a writer keeps changing the file and its WAL during every attempt to copy them.
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
          `INSERT INTO runs (run_id, experiment, spec_json, spec_hash, status, trials_total, created_at, updated_at, simulated)
           VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)`,
        )
        .run(
          runId,
          spec.name,
          JSON.stringify(spec),
          specHash(spec),
          plans.length,
          at,
          at,
          SIMULATED_DRIVERS.has(spec.driver) ? 1 : 0,
        );
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
        `UPDATE trials SET status = 'running', attempts = attempts + 1, domain = ?, started_at = ?, ended_at = NULL, error = NULL,
           environment_id = (SELECT environment_id FROM runs WHERE run_id = ?)
         WHERE run_id = ? AND trial_id = ? AND status != 'done'`,
      )
      .run(domain, at, runId, runId, trialId);
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

  /**
   * Stores the environment a run (or a resume of it) runs in and makes it the run's current
   * one: trials started from now on carry its id. Identical environments share one row.
   */
  recordEnvironment(runId: string, environment: RunEnvironment): StoredEnvironment {
    const id = environmentId(environment);
    const at = now();
    const shaping = environment.linkShaping;
    this.db.transaction(() => {
      const inserted = this.db
        .prepare(
          `INSERT OR IGNORE INTO environments (environment_id, captured_at, simulated, virtmig_version, virtmig_commit, runner_hostname,
             runner_kernel, runner_platform, node_version, link_shaping, link_rate, link_delay, environment_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          at,
          environment.simulated ? 1 : 0,
          environment.virtmigVersion,
          environment.virtmigCommit,
          environment.runner.hostname,
          environment.runner.kernel,
          environment.runner.platform,
          environment.runner.nodeVersion,
          typeof shaping === 'string' ? shaping : 'shaped',
          typeof shaping === 'string' ? null : shaping.rate,
          typeof shaping === 'string' ? null : shaping.delay,
          JSON.stringify(environment),
        );
      if (inserted.changes === 1) {
        const host = this.db.prepare(
          `INSERT INTO environment_hosts (environment_id, pair, role, uri, driver, hostname, hypervisor_type, hypervisor_version,
             libvirt_version, cpu_model, cpus, cpu_mhz, memory_kib, accelerator, kernel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const h of environment.hosts) {
          host.run(
            id,
            h.pair,
            h.role,
            h.uri,
            h.driver,
            h.hostname,
            h.hypervisorType,
            h.hypervisorVersion,
            h.libvirtVersion,
            h.cpuModel,
            h.cpus,
            h.cpuMhz,
            h.memoryKiB,
            h.accelerator,
            h.kernel,
          );
        }
      }
      this.db.prepare('UPDATE runs SET environment_id = ?, updated_at = ? WHERE run_id = ?').run(id, at, runId);
    })();
    return this.environment(id);
  }

  /** One stored environment; throws `E_NOT_FOUND`. */
  environment(environmentId: string): StoredEnvironment {
    const r = this.db
      .prepare('SELECT environment_id, captured_at, environment_json FROM environments WHERE environment_id = ?')
      .get(environmentId) as { environment_id: string; captured_at: string; environment_json: string } | undefined;
    if (!r) throw new NotFoundError('environment', environmentId);
    return {
      environmentId: r.environment_id,
      capturedAt: r.captured_at,
      environment: JSON.parse(r.environment_json) as RunEnvironment,
    };
  }

  /** The environments finished trials ran in, of one run or of every run, in the order first used. */
  environments(runId?: string): StoredEnvironment[] {
    const ids = this.db
      .prepare(
        `SELECT t.environment_id AS id FROM trials t JOIN runs r USING (run_id)
         WHERE t.status = 'done' AND t.environment_id IS NOT NULL AND (? IS NULL OR t.run_id = ?)
         GROUP BY t.environment_id ORDER BY MIN(r.created_at), MIN(t.started_at)`,
      )
      .all(runId ?? null, runId ?? null) as { id: string }[];
    return ids.map((r) => this.environment(r.id));
  }

  /**
   * One of the tidy tables `virtmig export` writes: one row per observation, units in the column
   * names, run and environment ids on every row, only trials that ran. `decisions` is the
   * balance loop's table, exported as stored (with each row's run's environment id when it has
   * a `run_id` column).
   * @throws `E_NOT_FOUND` for `decisions` in a database without that table.
   */
  tidy(table: TidyTableName): TidyTable {
    if (table === 'decisions') return this.tidyDecisions();
    const { cols, from } = TIDY_SQL[table];
    const sql = `SELECT ${cols.map(([name, , expr]) => `${expr} AS "${name}"`).join(', ')} ${from}`;
    const rows = this.db.prepare(sql).all() as Record<string, TidyCell>[];
    const columns: TidyColumn[] = cols.map(([name, type]) => ({ name, type }));
    return { name: table, columns, rows: rows.map((r) => columns.map((c) => tidyCell(r[c.name] ?? null, c.type))) };
  }

  private tidyDecisions(): TidyTable {
    const info = this.db.prepare("SELECT name, type FROM pragma_table_info('decisions')").all() as {
      name: string;
      type: string;
    }[];
    if (info.length === 0)
      throw new NotFoundError(
        'table',
        'decisions',
        `${this.path} has no decisions table: it holds no balance-loop decisions (none were recorded, or an older virtmig wrote it)`,
      );
    const declared = (t: string): TidyColumnType =>
      /INT/i.test(t) ? 'integer' : /REAL|FLOA|DOUB/i.test(t) ? 'real' : /TEXT|CHAR|CLOB/i.test(t) ? 'text' : 'unknown';
    const own = info.map((c): TidyColumn => ({ name: c.name, type: declared(c.type) }));
    const hasRun = own.some((c) => c.name === 'run_id');
    const columns: TidyColumn[] = hasRun
      ? [
          { name: 'run_id', type: 'text' },
          { name: 'environment_id', type: 'text' },
          ...own.filter((c) => c.name !== 'run_id' && c.name !== 'environment_id'),
        ]
      : own;
    const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
    const select = columns.map((c) =>
      c.name === 'environment_id' && hasRun && !own.some((o) => o.name === 'environment_id')
        ? 'r.environment_id AS environment_id'
        : `d.${q(c.name)} AS ${q(c.name)}`,
    );
    const rows = this.db
      .prepare(
        `SELECT ${select.join(', ')} FROM decisions d ${hasRun ? 'LEFT JOIN runs r ON r.run_id = d.run_id' : ''} ORDER BY d.rowid`,
      )
      .all() as Record<string, TidyCell>[];
    return {
      name: 'decisions',
      columns,
      rows: rows.map((r) => columns.map((c) => tidyCell(r[c.name] ?? null, c.type))),
    };
  }

  /**
   * Makes this process the one running this database: refused while another live process holds
   * it. A lock left by a process that is gone (killed, crashed, or from before a reboot) is
   * taken over, and returned so the caller can say so.
   * @throws `E_STATE` naming the holder's process id (and host) while it is alive, or while it
   * is on another machine, where its life cannot be checked.
   */
  acquireRunLock(): {
    /** The dead process whose lock this one took over, when there was one. */
    readonly takenOverFrom?: LockHolder;
  } {
    const me = currentProcess();
    let previous: LockHolder | undefined;
    // IMMEDIATE takes SQLite's write lock first, so two runners cannot both see the lock free.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const row = this.db
        .prepare('SELECT pid, hostname, boot_id, process_start, acquired_at FROM run_lock WHERE id = 1')
        .get() as
        | { pid: number; hostname: string; boot_id: string | null; process_start: string | null; acquired_at: string }
        | undefined;
      if (row) {
        previous = {
          pid: row.pid,
          hostname: row.hostname,
          bootId: row.boot_id,
          processStart: row.process_start,
          acquiredAt: row.acquired_at,
        };
        const held = isHeld(previous, me);
        if (held !== 'no') {
          throw new StateError(
            `${this.path} is being run by process ${row.pid}${row.hostname === me.hostname ? '' : ` on ${row.hostname}`} (since ${row.acquired_at})${
              held === 'unknown' ? '; it runs on another machine, so virtmig cannot tell whether it still lives' : ''
            }: wait for it to finish, or stop it`,
            { pid: row.pid, hostname: row.hostname, acquiredAt: row.acquired_at },
          );
        }
      }
      this.db
        .prepare(
          'INSERT OR REPLACE INTO run_lock (id, pid, hostname, boot_id, process_start, acquired_at) VALUES (1, ?, ?, ?, ?, ?)',
        )
        .run(me.pid, me.hostname, me.bootId, me.processStart, now());
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
    return previous ? { takenOverFrom: previous } : {};
  }

  /** Gives up this process's run lock (another process's is left alone). Idempotent. */
  releaseRunLock(): void {
    const me = currentProcess();
    this.db
      .prepare('DELETE FROM run_lock WHERE id = 1 AND pid = ? AND hostname = ? AND process_start IS ?')
      .run(me.pid, me.hostname, me.processStart);
  }

  /**
   * Stores a decision of the balancing loop as it is taken (one statement, so a crash leaves it
   * whole or absent).
   * @throws `E_INVALID_ARGUMENT` for a `migrate` decision without VM or destination, or a `seq` already stored.
   */
  recordDecision(decision: DecisionInput): void {
    insertDecision(this.db, decision);
  }

  /**
   * Stores the measured outcome of decision `seq` of `balanceRunId` once its migration ended.
   * @throws `E_INVALID_ARGUMENT` when the run has no such `migrate` decision.
   */
  recordDecisionOutcome(balanceRunId: string, seq: number, outcome: DecisionOutcomeInput): void {
    updateDecisionOutcome(this.db, balanceRunId, seq, outcome, now());
  }

  /** The balancing loop's decisions, of one balancing run or of all, in the order they were taken. */
  decisions(balanceRunId?: string): DecisionRow[] {
    return readDecisions(this.db, balanceRunId);
  }

  /** Stores the hosts' loads of one sample of a balancing run (one transaction). */
  recordBalanceSamples(rows: readonly BalanceSampleRow[]): void {
    insertBalanceSamples(this.db, rows);
  }

  /** Host samples of one balancing run, or of all, in time order. */
  balanceSamples(balanceRunId?: string): BalanceSampleRow[] {
    return readBalanceSamples(this.db, balanceRunId);
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
