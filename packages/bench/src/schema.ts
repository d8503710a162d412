/** One step of the results database's schema; applied in order, each in its own transaction. */
export interface SchemaMigration {
  /** Schema version this step brings the database to. */
  readonly version: number;
  /** Short name of the step. */
  readonly name: string;
  /** The SQL it runs. */
  readonly sql: string;
}

/**
 * The schema's history. Never edit an applied step: add a new one. The `schema_migrations` table
 * records which steps a database has, so an older database is upgraded on open and a newer one
 * is refused.
 */
export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'runs, trials, CPU samples, migrations, timelines',
    sql: `
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  experiment TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
  trials_total INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE TABLE trials (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  trial_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  pair INTEGER NOT NULL,
  workload TEXT NOT NULL,
  ram_mib INTEGER NOT NULL,
  vcpus INTEGER NOT NULL,
  cap_percent INTEGER NOT NULL,
  host_cores INTEGER NOT NULL,
  trial_index INTEGER NOT NULL,
  migrate INTEGER NOT NULL CHECK (migrate IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  domain TEXT,
  started_at TEXT,
  ended_at TEXT,
  workload_score REAL,
  workload_score_unit TEXT,
  heartbeat_gap_ms REAL,
  error TEXT,
  PRIMARY KEY (run_id, trial_id),
  UNIQUE (run_id, seq)
);
CREATE TABLE cpu_samples (
  run_id TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  t_ms REAL NOT NULL,
  domain_pct_host REAL NOT NULL,
  domain_pct_cpu REAL NOT NULL,
  host_pct REAL NOT NULL,
  PRIMARY KEY (run_id, trial_id, idx),
  FOREIGN KEY (run_id, trial_id) REFERENCES trials(run_id, trial_id) ON DELETE CASCADE
);
CREATE TABLE migration_results (
  run_id TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  total_time_ms REAL NOT NULL,
  downtime_ms REAL,
  downtime_source TEXT,
  data_transferred_bytes REAL,
  memory_bandwidth_bps REAL,
  dirty_rate_bps REAL,
  iterations INTEGER,
  post_copy INTEGER NOT NULL,
  result_json TEXT NOT NULL,
  PRIMARY KEY (run_id, trial_id),
  FOREIGN KEY (run_id, trial_id) REFERENCES trials(run_id, trial_id) ON DELETE CASCADE
);
CREATE TABLE timeline_samples (
  run_id TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  t_ms REAL NOT NULL,
  transferred_bytes REAL NOT NULL,
  remaining_bytes REAL NOT NULL,
  dirty_rate_bps REAL NOT NULL,
  iteration INTEGER NOT NULL,
  host_cpu_pct REAL NOT NULL,
  PRIMARY KEY (run_id, trial_id, idx),
  FOREIGN KEY (run_id, trial_id) REFERENCES trials(run_id, trial_id) ON DELETE CASCADE
);
CREATE INDEX trials_status ON trials(run_id, status);
`,
  },
  {
    version: 2,
    name: 'non-converged migrations (timed out, guest kept on the source) as trial results; workload options per trial',
    sql: `
ALTER TABLE trials ADD COLUMN non_converged_json TEXT;
ALTER TABLE trials ADD COLUMN workload_options_json TEXT;
`,
  },
  {
    version: 3,
    name: 'environments per run and trial, simulated runs, the run lock',
    sql: `
CREATE TABLE environments (
  environment_id TEXT PRIMARY KEY,
  captured_at TEXT NOT NULL,
  simulated INTEGER NOT NULL CHECK (simulated IN (0, 1)),
  virtmig_version TEXT NOT NULL,
  virtmig_commit TEXT,
  runner_hostname TEXT NOT NULL,
  runner_kernel TEXT NOT NULL,
  runner_platform TEXT NOT NULL,
  node_version TEXT NOT NULL,
  link_shaping TEXT NOT NULL CHECK (link_shaping IN ('unknown', 'none', 'shaped')),
  link_rate TEXT,
  link_delay TEXT,
  environment_json TEXT NOT NULL
);
CREATE TABLE environment_hosts (
  environment_id TEXT NOT NULL REFERENCES environments(environment_id) ON DELETE CASCADE,
  pair INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('source', 'destination')),
  uri TEXT NOT NULL,
  driver TEXT NOT NULL,
  hostname TEXT NOT NULL,
  hypervisor_type TEXT NOT NULL,
  hypervisor_version TEXT NOT NULL,
  libvirt_version TEXT NOT NULL,
  cpu_model TEXT NOT NULL,
  cpus INTEGER NOT NULL,
  cpu_mhz INTEGER NOT NULL,
  memory_kib INTEGER NOT NULL,
  accelerator TEXT NOT NULL,
  kernel TEXT,
  PRIMARY KEY (environment_id, pair, role)
);
ALTER TABLE runs ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1));
ALTER TABLE runs ADD COLUMN environment_id TEXT REFERENCES environments(environment_id);
ALTER TABLE trials ADD COLUMN environment_id TEXT REFERENCES environments(environment_id);
CREATE TABLE run_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  boot_id TEXT,
  process_start TEXT,
  acquired_at TEXT NOT NULL
);
`,
  },
  {
    version: 4,
    name: 'decisions and host samples of the balancing loop',
    sql: `
CREATE TABLE decisions (
  balance_run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  at_ms REAL NOT NULL,
  policy TEXT NOT NULL,
  threshold_percent REAL NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('migrate', 'no-migration')),
  dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  source TEXT NOT NULL,
  vm TEXT,
  destination TEXT,
  reason TEXT NOT NULL,
  cluster_json TEXT NOT NULL,
  candidates_json TEXT NOT NULL,
  receivers_json TEXT NOT NULL,
  unavailable_json TEXT NOT NULL,
  outcome TEXT CHECK (outcome IN ('migrated', 'failed')),
  total_time_ms REAL,
  downtime_ms REAL,
  heartbeat_gap_ms REAL,
  error TEXT,
  ended_at TEXT,
  PRIMARY KEY (balance_run_id, seq)
);
CREATE TABLE balance_samples (
  balance_run_id TEXT NOT NULL,
  at_ms REAL NOT NULL,
  host TEXT NOT NULL,
  load_pct REAL NOT NULL,
  over_samples INTEGER NOT NULL,
  PRIMARY KEY (balance_run_id, at_ms, host)
);
`,
  },
  {
    version: 5,
    name: 'per-round pre-copy transfer and dirty rate',
    // Older databases have no rounds to carry over: drivers did not report them then.
    sql: `
CREATE TABLE migration_rounds (
  run_id TEXT NOT NULL,
  trial_id TEXT NOT NULL,
  iteration INTEGER NOT NULL,
  start_ms REAL NOT NULL,
  end_ms REAL NOT NULL,
  transferred_bytes REAL NOT NULL,
  remaining_bytes REAL NOT NULL,
  dirtied_bytes REAL,
  dirty_rate_bps REAL,
  PRIMARY KEY (run_id, trial_id, iteration),
  FOREIGN KEY (run_id, trial_id) REFERENCES trials(run_id, trial_id) ON DELETE CASCADE
);
`,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = SCHEMA_MIGRATIONS[SCHEMA_MIGRATIONS.length - 1]?.version ?? 0;
