/** The tables `ResultsDb.tidy` exports. */
export const TIDY_TABLES = ['trials', 'samples', 'migrations', 'timeline', 'environments', 'decisions'] as const;

/** A table `ResultsDb.tidy` exports. */
export type TidyTableName = (typeof TIDY_TABLES)[number];

/** What a column of a tidy table holds; `unknown` for a table whose schema virtmig does not own. */
export type TidyColumnType = 'integer' | 'real' | 'text' | 'boolean' | 'unknown';

/** One column of a tidy table: its name carries its unit (`total_time_ms`, `dirty_rate_bytes_per_s`). */
export interface TidyColumn {
  /** Column name, snake_case, unit last. */
  readonly name: string;
  /** What it holds. */
  readonly type: TidyColumnType;
}

/** A cell of a tidy table; null where nothing was measured. */
export type TidyCell = string | number | boolean | null;

/** A tidy table: one row per observation, every row carrying its run and environment ids. */
export interface TidyTable {
  /** Which table. */
  readonly name: TidyTableName;
  /** Its columns, in order. */
  readonly columns: readonly TidyColumn[];
  /** Its rows, cells in column order. */
  readonly rows: readonly (readonly TidyCell[])[];
}

type Col = readonly [name: string, type: TidyColumnType, sql: string];

/** The columns every per-trial row starts with: whose it is and which cell of the matrix. */
const TRIAL_KEY: readonly Col[] = [
  ['run_id', 'text', 't.run_id'],
  ['environment_id', 'text', 't.environment_id'],
  ['experiment', 'text', 'r.experiment'],
  ['simulated', 'boolean', 'r.simulated'],
  ['trial_id', 'text', 't.trial_id'],
  ['workload', 'text', 't.workload'],
  ['ram_mib', 'integer', 't.ram_mib'],
  ['vcpus', 'integer', 't.vcpus'],
  ['cap_percent', 'integer', 't.cap_percent'],
  ['host_cores', 'integer', 't.host_cores'],
  ['trial_index', 'integer', 't.trial_index'],
];

const TRIAL_ORDER = 'r.created_at, r.rowid, t.seq';

/** The SQL of each table virtmig's schema owns. */
export const TIDY_SQL: Readonly<Record<Exclude<TidyTableName, 'decisions'>, { cols: readonly Col[]; from: string }>> = {
  trials: {
    cols: [
      ...TRIAL_KEY,
      ['seq', 'integer', 't.seq'],
      ['pair', 'integer', 't.pair'],
      ['migrate', 'boolean', 't.migrate'],
      ['status', 'text', 't.status'],
      ['attempts', 'integer', 't.attempts'],
      ['started_at', 'text', 't.started_at'],
      ['ended_at', 'text', 't.ended_at'],
      ['workload_score', 'real', 't.workload_score'],
      ['workload_score_unit', 'text', 't.workload_score_unit'],
      ['heartbeat_gap_ms', 'real', 't.heartbeat_gap_ms'],
      ['error', 'text', 't.error'],
    ],
    // Trials that ran: done or failed. Pending ones (and one a crash left running) hold no observation.
    from: `FROM trials t JOIN runs r USING (run_id) WHERE t.status IN ('done', 'failed') ORDER BY ${TRIAL_ORDER}`,
  },
  samples: {
    cols: [
      ...TRIAL_KEY,
      ['sample_index', 'integer', 's.idx'],
      ['t_ms', 'real', 's.t_ms'],
      ['domain_cpu_pct_of_host', 'real', 's.domain_pct_host'],
      ['domain_cpu_pct_of_one_cpu', 'real', 's.domain_pct_cpu'],
      ['host_cpu_pct', 'real', 's.host_pct'],
    ],
    from: `FROM cpu_samples s JOIN trials t USING (run_id, trial_id) JOIN runs r USING (run_id)
      WHERE t.status = 'done' ORDER BY ${TRIAL_ORDER}, s.idx`,
  },
  migrations: {
    cols: [
      ...TRIAL_KEY,
      ['source_uri', 'text', "json_extract(m.result_json, '$.sourceUri')"],
      ['destination_uri', 'text', "json_extract(m.result_json, '$.destinationUri')"],
      ['started_at', 'text', "json_extract(m.result_json, '$.startedAt')"],
      ['total_time_ms', 'real', 'm.total_time_ms'],
      ['downtime_ms', 'real', 'm.downtime_ms'],
      ['downtime_source', 'text', 'm.downtime_source'],
      ['setup_time_ms', 'real', "json_extract(m.result_json, '$.setupTimeMs')"],
      ['data_transferred_bytes', 'real', 'm.data_transferred_bytes'],
      ['memory_transferred_bytes', 'real', "json_extract(m.result_json, '$.memoryTransferredBytes')"],
      ['memory_bandwidth_bytes_per_s', 'real', 'm.memory_bandwidth_bps'],
      ['dirty_rate_bytes_per_s', 'real', 'm.dirty_rate_bps'],
      ['iterations', 'integer', 'm.iterations'],
      ['post_copy', 'boolean', 'm.post_copy'],
    ],
    from: `FROM migration_results m JOIN trials t USING (run_id, trial_id) JOIN runs r USING (run_id)
      WHERE t.status = 'done' ORDER BY ${TRIAL_ORDER}`,
  },
  timeline: {
    cols: [
      ...TRIAL_KEY,
      ['sample_index', 'integer', 's.idx'],
      ['t_ms', 'real', 's.t_ms'],
      ['transferred_bytes', 'real', 's.transferred_bytes'],
      ['remaining_bytes', 'real', 's.remaining_bytes'],
      ['dirty_rate_bytes_per_s', 'real', 's.dirty_rate_bps'],
      ['iteration', 'integer', 's.iteration'],
      ['host_cpu_pct', 'real', 's.host_cpu_pct'],
    ],
    from: `FROM timeline_samples s JOIN trials t USING (run_id, trial_id) JOIN runs r USING (run_id)
      WHERE t.status = 'done' ORDER BY ${TRIAL_ORDER}, s.idx`,
  },
  environments: {
    cols: [
      ['run_id', 'text', 'u.run_id'],
      ['environment_id', 'text', 'e.environment_id'],
      ['captured_at', 'text', 'e.captured_at'],
      ['simulated', 'boolean', 'e.simulated'],
      ['virtmig_version', 'text', 'e.virtmig_version'],
      ['virtmig_commit', 'text', 'e.virtmig_commit'],
      ['runner_hostname', 'text', 'e.runner_hostname'],
      ['runner_kernel', 'text', 'e.runner_kernel'],
      ['runner_platform', 'text', 'e.runner_platform'],
      ['node_version', 'text', 'e.node_version'],
      ['link_shaping', 'text', 'e.link_shaping'],
      ['link_rate', 'text', 'e.link_rate'],
      ['link_delay', 'text', 'e.link_delay'],
      ['pair', 'integer', 'h.pair'],
      ['role', 'text', 'h.role'],
      ['uri', 'text', 'h.uri'],
      ['driver', 'text', 'h.driver'],
      ['hostname', 'text', 'h.hostname'],
      ['hypervisor_type', 'text', 'h.hypervisor_type'],
      ['hypervisor_version', 'text', 'h.hypervisor_version'],
      ['libvirt_version', 'text', 'h.libvirt_version'],
      ['cpu_model', 'text', 'h.cpu_model'],
      ['cpus', 'integer', 'h.cpus'],
      ['cpu_mhz', 'integer', 'h.cpu_mhz'],
      ['memory_kib', 'integer', 'h.memory_kib'],
      ['accelerator', 'text', 'h.accelerator'],
      ['kernel', 'text', 'h.kernel'],
    ],
    // One row per host of each environment a run's trials ran in.
    from: `FROM (SELECT DISTINCT t.run_id, t.environment_id, MIN(r.created_at) AS created, MIN(r.rowid) AS rid
        FROM trials t JOIN runs r USING (run_id) WHERE t.environment_id IS NOT NULL AND t.status IN ('done', 'failed')
        GROUP BY t.run_id, t.environment_id) u
      JOIN environments e ON e.environment_id = u.environment_id
      JOIN environment_hosts h ON h.environment_id = e.environment_id
      ORDER BY u.created, u.rid, e.captured_at, h.pair, h.role DESC`,
  },
};
