import { InvalidArgumentError } from '@virtmig/core';
import type { SqliteDatabase } from './sqlite.js';

/**
 * A decision of the balancing loop as the results database stores it: the key facts in
 * columns, the cluster snapshot and the candidates (with their estimates) as JSON.
 */
export interface DecisionInput {
  /** The balancing run the decision belongs to (one `virtmig balance` invocation). */
  readonly balanceRunId: string;
  /** 1, 2, ... within the run. */
  readonly seq: number;
  /** When it was taken, ISO-8601. */
  readonly at: string;
  /** The loop clock's reading when it was taken, ms. */
  readonly atMs: number;
  /** The policy that chose. */
  readonly policy: string;
  /** The threshold the loop ran with, percent. */
  readonly thresholdPercent: number;
  /** `migrate` or `no-migration`. */
  readonly kind: 'migrate' | 'no-migration';
  /** Recorded by a dry run (nothing migrated). */
  readonly dryRun: boolean;
  /** The overloaded host. */
  readonly source: string;
  /** The VM to move (`migrate`). */
  readonly vm?: string;
  /** Where to (`migrate`). */
  readonly destination?: string;
  /** Why, for people. */
  readonly reason: string;
  /** The cluster snapshot the decision was taken on (stored as JSON). */
  readonly cluster: unknown;
  /** The candidates with their estimates (stored as JSON). */
  readonly candidates: unknown;
  /** Hosts that could receive at the time, least used first. */
  readonly receivers: readonly string[];
  /** Hosts unavailable at the time. */
  readonly unavailable: readonly string[];
}

/** The measured outcome of a decided migration. */
export interface DecisionOutcomeInput {
  /** Whether the VM runs on the destination. */
  readonly ok: boolean;
  /** Measured total migration time, ms. */
  readonly totalTimeMs?: number;
  /** Measured downtime, ms. */
  readonly downtimeMs?: number;
  /** Longest heartbeat gap of the guest around the migration, ms. */
  readonly heartbeatGapMs?: number;
  /** The error of a failed migration, one line. */
  readonly error?: string;
}

/** A stored decision with its outcome, once known. */
export interface DecisionRow extends DecisionInput {
  /** `migrated` or `failed` once the migration ended; undefined for no-migration, dry runs and migrations in flight. */
  readonly outcome?: 'migrated' | 'failed';
  /** Measured total migration time, ms. */
  readonly totalTimeMs?: number;
  /** Measured downtime, ms. */
  readonly downtimeMs?: number;
  /** Longest heartbeat gap, ms. */
  readonly heartbeatGapMs?: number;
  /** The error of a failed migration. */
  readonly error?: string;
  /** When the migration ended, ISO-8601. */
  readonly endedAt?: string;
}

interface Row {
  balance_run_id: string;
  seq: number;
  at: string;
  at_ms: number;
  policy: string;
  threshold_percent: number;
  kind: 'migrate' | 'no-migration';
  dry_run: number;
  source: string;
  vm: string | null;
  destination: string | null;
  reason: string;
  cluster_json: string;
  candidates_json: string;
  receivers_json: string;
  unavailable_json: string;
  outcome: 'migrated' | 'failed' | null;
  total_time_ms: number | null;
  downtime_ms: number | null;
  heartbeat_gap_ms: number | null;
  error: string | null;
  ended_at: string | null;
}

function opt<K extends string, V>(key: K, v: V | null): { [P in K]?: V } {
  return (v === null ? {} : { [key]: v }) as { [P in K]?: V };
}

/** Inserts one decision. @throws `E_INVALID_ARGUMENT` for a `migrate` decision without VM or destination, or a seq taken. */
export function insertDecision(db: SqliteDatabase, d: DecisionInput): void {
  if (d.kind === 'migrate' && (!d.vm || !d.destination)) {
    throw new InvalidArgumentError('decision', 'a migrate decision needs vm and destination');
  }
  const taken = db.prepare('SELECT 1 FROM decisions WHERE balance_run_id = ? AND seq = ?').get(d.balanceRunId, d.seq);
  if (taken) throw new InvalidArgumentError('decision.seq', `decision ${d.seq} of ${d.balanceRunId} is already stored`);
  db.prepare(
    `INSERT INTO decisions (balance_run_id, seq, at, at_ms, policy, threshold_percent, kind, dry_run, source, vm,
       destination, reason, cluster_json, candidates_json, receivers_json, unavailable_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    d.balanceRunId,
    d.seq,
    d.at,
    d.atMs,
    d.policy,
    d.thresholdPercent,
    d.kind,
    d.dryRun ? 1 : 0,
    d.source,
    d.vm ?? null,
    d.destination ?? null,
    d.reason,
    JSON.stringify(d.cluster),
    JSON.stringify(d.candidates),
    JSON.stringify(d.receivers),
    JSON.stringify(d.unavailable),
  );
}

/** Stores the outcome of decision `seq`. @throws `E_INVALID_ARGUMENT` when no such migrate decision exists. */
export function updateDecisionOutcome(
  db: SqliteDatabase,
  balanceRunId: string,
  seq: number,
  o: DecisionOutcomeInput,
  endedAt: string,
): void {
  const r = db
    .prepare(
      `UPDATE decisions SET outcome = ?, total_time_ms = ?, downtime_ms = ?, heartbeat_gap_ms = ?, error = ?, ended_at = ?
       WHERE balance_run_id = ? AND seq = ? AND kind = 'migrate'`,
    )
    .run(
      o.ok ? 'migrated' : 'failed',
      o.totalTimeMs ?? null,
      o.downtimeMs ?? null,
      o.heartbeatGapMs ?? null,
      o.error === undefined ? null : (o.error.split('\n')[0] ?? o.error),
      endedAt,
      balanceRunId,
      seq,
    );
  if (r.changes === 0) throw new InvalidArgumentError('decision', `no migrate decision ${seq} in ${balanceRunId}`);
}

/** Decisions of one balancing run, or of all, in the order they were taken. */
export function readDecisions(db: SqliteDatabase, balanceRunId?: string): DecisionRow[] {
  const rows = db
    .prepare('SELECT * FROM decisions WHERE (? IS NULL OR balance_run_id = ?) ORDER BY rowid')
    .all(balanceRunId ?? null, balanceRunId ?? null) as Row[];
  return rows.map((r) => ({
    balanceRunId: r.balance_run_id,
    seq: r.seq,
    at: r.at,
    atMs: r.at_ms,
    policy: r.policy,
    thresholdPercent: r.threshold_percent,
    kind: r.kind,
    dryRun: r.dry_run === 1,
    source: r.source,
    ...opt('vm', r.vm),
    ...opt('destination', r.destination),
    reason: r.reason,
    cluster: JSON.parse(r.cluster_json) as unknown,
    candidates: JSON.parse(r.candidates_json) as unknown,
    receivers: JSON.parse(r.receivers_json) as string[],
    unavailable: JSON.parse(r.unavailable_json) as string[],
    ...opt('outcome', r.outcome),
    ...opt('totalTimeMs', r.total_time_ms),
    ...opt('downtimeMs', r.downtime_ms),
    ...opt('heartbeatGapMs', r.heartbeat_gap_ms),
    ...opt('error', r.error),
    ...opt('endedAt', r.ended_at),
  }));
}

/** One host's load at one sample of a balancing run. */
export interface BalanceSampleRow {
  /** The balancing run. */
  readonly balanceRunId: string;
  /** The loop clock's reading, ms. */
  readonly atMs: number;
  /** The host. */
  readonly host: string;
  /** CPU use of its domains, % of its capacity. */
  readonly loadPercent: number;
  /** Consecutive samples above the threshold. */
  readonly overSamples: number;
}

/** Inserts the hosts' loads of one sample, in one transaction. */
export function insertBalanceSamples(db: SqliteDatabase, rows: readonly BalanceSampleRow[]): void {
  const st = db.prepare(
    'INSERT OR REPLACE INTO balance_samples (balance_run_id, at_ms, host, load_pct, over_samples) VALUES (?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const r of rows) st.run(r.balanceRunId, r.atMs, r.host, r.loadPercent, r.overSamples);
  })();
}

/** Host samples of one balancing run, or of all, in time order. */
export function readBalanceSamples(db: SqliteDatabase, balanceRunId?: string): BalanceSampleRow[] {
  const rows = db
    .prepare(
      'SELECT * FROM balance_samples WHERE (? IS NULL OR balance_run_id = ?) ORDER BY balance_run_id, at_ms, host',
    )
    .all(balanceRunId ?? null, balanceRunId ?? null) as {
    balance_run_id: string;
    at_ms: number;
    host: string;
    load_pct: number;
    over_samples: number;
  }[];
  return rows.map((r) => ({
    balanceRunId: r.balance_run_id,
    atMs: r.at_ms,
    host: r.host,
    loadPercent: r.load_pct,
    overSamples: r.over_samples,
  }));
}
