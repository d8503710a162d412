import { type CpuMetric, summarizeBy, trialCpuMean } from './cells.js';
import type { TrialRecord } from './records.js';
import type { Summary } from './stats.js';
import type { Cell, Table } from './table.js';

/** The caps the study swept: 25 % to 200 % of one CPU in steps of 25. */
export const STUDY_CAPS: readonly number[] = [25, 50, 75, 100, 125, 150, 175, 200];

/** Options of the study's tables. */
export interface StudyTableOptions {
  /** Confidence level of the intervals (default 0.95). */
  readonly level?: number;
  /** Number of the first table (default 1). */
  readonly firstNumber?: number;
}

/** Options of {@link cpuVsCapTables}. */
export interface CpuVsCapOptions extends StudyTableOptions {
  /** Rows; default {@link STUDY_CAPS} plus any other cap present in the data. */
  readonly caps?: readonly number[];
  /** Which domain figure to tabulate (default `domainPercentOfCpu`, the unit of the cap). */
  readonly metric?: Extract<CpuMetric, 'domainPercentOfHost' | 'domainPercentOfCpu'>;
}

function distinct<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

function byNumber(a: number, b: number): number {
  return a - b;
}

function lookup<K>(groups: { key: K; summary: Summary }[], key: K): Summary | null {
  const id = JSON.stringify(key);
  return groups.find((g) => JSON.stringify(g.key) === id)?.summary ?? null;
}

/** Trials that ran under a cap; uncapped ones (cap 0) have no place on a cap axis. */
export function capped(records: readonly TrialRecord[]): TrialRecord[] {
  return records.filter((r) => r.capPercent > 0);
}

/**
 * The study's Tables 1-3: for each workload (in order of first appearance) one table of the
 * domain's CPU usage (mean ± CI over trials) with caps as rows and (RAM, vCPUs) pairs as columns.
 * Uncapped trials (cap 0) are left out.
 */
export function cpuVsCapTables(all: readonly TrialRecord[], options: CpuVsCapOptions = {}): Table[] {
  const records = capped(all);
  const metric = options.metric ?? 'domainPercentOfCpu';
  const caps = options.caps ?? distinct([...STUDY_CAPS, ...records.map((r) => r.capPercent)]).sort(byNumber);
  const unit = metric === 'domainPercentOfCpu' ? '% of one CPU' : '% of the host';
  const first = options.firstNumber ?? 1;
  return distinct(records.map((r) => r.workload)).map((workload, i) => {
    const own = records.filter((r) => r.workload === workload);
    const configs = distinct(own.map((r) => JSON.stringify([r.ramMiB, r.vcpus, r.hostCores])))
      .map((s) => JSON.parse(s) as [number, number, number])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    // Host cores only split columns when they vary; the study's Tables 1-3 ran on one host size.
    const showCores = distinct(own.map((r) => r.hostCores)).length > 1;
    const groups = summarizeBy(
      own,
      (r) => [r.capPercent, r.ramMiB, r.vcpus, r.hostCores],
      (r) => trialCpuMean(r, metric),
      options.level,
    );
    const rows: Cell[][] = caps.map((cap) => [
      String(cap),
      ...configs.map(([ram, vcpus, cores]) => lookup(groups, [cap, ram, vcpus, cores])),
    ]);
    return {
      id: `table-${first + i}-${workload}`,
      title: `Table ${first + i}: ${workload}: domain CPU usage (${unit}) vs CPU cap`,
      columns: [
        { header: 'Cap (%)', kind: 'text' as const },
        ...configs.map(([ram, vcpus, cores]) => ({
          header: `${ram} MiB, ${vcpus} vCPU${vcpus === 1 ? '' : 's'}${showCores ? `, ${cores} host core${cores === 1 ? '' : 's'}` : ''}`,
          kind: 'summary' as const,
        })),
      ],
      rows,
      note: `Mean ± half-width of the ${pct(options.level)} Student-t confidence interval over trials; each trial contributes the mean of its samples.`,
    };
  });
}

function pct(level: number | undefined): string {
  return `${Math.round((level ?? 0.95) * 100)} %`;
}

/**
 * The study's Table 4: the host's CPU usage (% of the host) while each workload ran, per number
 * of host cores. Uses the uncapped trials (cap 0) when there are any, since a cap bounds what
 * the host can show; all trials otherwise.
 */
export function hostCoresTable(all: readonly TrialRecord[], options: StudyTableOptions = {}): Table {
  const uncapped = all.filter((r) => r.capPercent === 0);
  const records = uncapped.length ? uncapped : all;
  const n = options.firstNumber ?? 4;
  const workloads = distinct(records.map((r) => r.workload));
  const cores = distinct(records.map((r) => r.hostCores)).sort(byNumber);
  const groups = summarizeBy(
    records,
    (r) => [r.hostCores, r.workload],
    (r) => trialCpuMean(r, 'hostPercent'),
    options.level,
  );
  return {
    id: `table-${n}-host-cores`,
    title: `Table ${n}: host CPU usage (% of the host) per workload and number of host cores`,
    columns: [
      { header: 'Host cores', kind: 'text' },
      ...workloads.map((w) => ({ header: w, kind: 'summary' as const })),
    ],
    rows: cores.map((c) => [String(c), ...workloads.map((w) => lookup(groups, [c, w]))]),
    note: `Mean ± half-width of the ${pct(options.level)} Student-t confidence interval over trials.`,
  };
}

/** The study's Table 5: total migration time and downtime per workload, in seconds, over trials that migrated. */
export function migrationTable(records: readonly TrialRecord[], options: StudyTableOptions = {}): Table {
  const n = options.firstNumber ?? 5;
  const migrated = records.filter((r) => r.migration !== undefined);
  const workloads = distinct(migrated.map((r) => r.workload));
  const total = summarizeBy(
    migrated,
    (r) => r.workload,
    (r) => (r.migration?.totalTimeMs ?? 0) / 1000,
    options.level,
  );
  const down = summarizeBy(
    migrated,
    (r) => r.workload,
    (r) => (r.migration?.downtimeMs === undefined ? undefined : r.migration.downtimeMs / 1000),
    options.level,
  );
  return {
    id: `table-${n}-migration`,
    title: `Table ${n}: total migration time and downtime per workload (s)`,
    columns: [
      { header: 'Workload', kind: 'text' },
      { header: 'Total migration time (s)', kind: 'summary' },
      { header: 'Downtime (s)', kind: 'summary' },
    ],
    rows: workloads.map((w) => [w, lookup(total, w), lookup(down, w)]),
    note: `Mean ± half-width of the ${pct(options.level)} Student-t confidence interval over trials.`,
  };
}
