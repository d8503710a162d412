import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import {
  cpuVsCapSpec,
  cpuVsCapTables,
  hostCoresTable,
  type MigrationTimeline,
  migrationSpec,
  migrationTable,
  renderReport,
  renderSvg,
  type Table,
  type TrialRecord,
  toCsv,
  toMarkdown,
  validateTimeline,
  validateTrialRecord,
} from '@virtmig/analysis';
import { clusterFromRecords } from '@virtmig/balance';
import { ResultsDb } from '@virtmig/bench';
import { StateError, type StoredEnvironment } from '@virtmig/core';

/** What a results database holds, checked against analysis's shapes. */
export interface LoadedResults {
  readonly records: TrialRecord[];
  readonly timelines: MigrationTimeline[];
  /** Threshold and policy of the latest run's spec (65 / study when absent). */
  readonly thresholdPercent: number;
  readonly policy: string;
  readonly experiments: string[];
  /** The environments the trials ran in. */
  readonly environments: StoredEnvironment[];
  /** Every run read ran on simulated hosts (see `RunRow.simulated`). */
  readonly simulated: boolean;
}

/** Reads every finished trial of a database (or of one run). Throws `E_STATE` when there is none. */
export function loadResults(dbPath: string, runId?: string): LoadedResults {
  const db = ResultsDb.open(dbPath, { readonly: true });
  try {
    const records = db.records(runId).map((r, i) => validateTrialRecord(r, `records[${i}]`));
    if (records.length === 0)
      throw new StateError(`${dbPath} holds no finished trial${runId ? ` of run ${runId}` : ''}`);
    const timelines = db.timelines(runId).map((t, i) => validateTimeline(t, `timelines[${i}]`));
    const runs = db.runs();
    const latest = runId ? db.run(runId) : runs[runs.length - 1];
    const read = runId ? [db.run(runId)] : runs;
    return {
      environments: db.environments(runId),
      simulated: read.length > 0 && read.every((r) => r.simulated),
      records,
      timelines,
      thresholdPercent: latest?.spec.policy?.thresholdPercent ?? 65,
      policy: latest?.spec.policy?.selection ?? 'study',
      experiments: [...new Set(records.map((r) => r.experimentId))],
    };
  } finally {
    db.close();
  }
}

/** The study's tables for these records. */
export function studyTables(records: readonly TrialRecord[]): Table[] {
  return [
    ...cpuVsCapTables(records),
    hostCoresTable(records),
    ...(records.some((r) => r.migration) ? [migrationTable(records)] : []),
  ];
}

/** One timeline per workload (its first migrated trial), so the report stays readable. */
function timelinesToPlot(timelines: readonly MigrationTimeline[]): MigrationTimeline[] {
  const seen = new Set<string>();
  return timelines.filter((t) => !seen.has(t.workload) && seen.add(t.workload) && t.samples.length > 1);
}

/** What `virtmig report` wrote. */
export interface ReportFiles {
  readonly html: string;
  readonly csv: string[];
  readonly svg: string[];
}

/**
 * Writes the HTML report to `out`, and beside it a `NAME-files/` directory with each table as CSV
 * and each figure as SVG.
 */
export async function writeReport(results: LoadedResults, out: string, generatedAt?: string): Promise<ReportFiles> {
  const html = resolve(out);
  const dir = join(dirname(html), `${basename(html, extname(html))}-files`);
  await mkdir(dir, { recursive: true });
  const cluster = clusterFromRecords(results.records);
  const page = await renderReport({
    title: `virtmig report: ${results.experiments.join(', ')}`,
    records: results.records,
    timelines: timelinesToPlot(results.timelines),
    cluster,
    policyOptions: { thresholdPercent: results.thresholdPercent },
    model: {},
    environments: results.environments,
    simulated: results.simulated,
    ...(generatedAt ? { generatedAt } : {}),
  });
  await writeFile(html, page);
  const csv: string[] = [];
  for (const t of studyTables(results.records)) {
    const p = join(dir, `${t.id}.csv`);
    await writeFile(p, toCsv(t));
    csv.push(p);
  }
  const svg: string[] = [];
  const figures: [string, Record<string, unknown>][] = [['figure-cpu-vs-cap', cpuVsCapSpec(results.records)]];
  if (results.records.some((r) => r.migration)) figures.push(['figure-migration', migrationSpec(results.records)]);
  for (const [name, spec] of figures) {
    const p = join(dir, `${name}.svg`);
    await writeFile(p, await renderSvg(spec));
    svg.push(p);
  }
  return { html, csv, svg };
}

/** The tables as Markdown, one after the other. */
export function tablesMarkdown(records: readonly TrialRecord[]): string {
  return studyTables(records)
    .map((t) => toMarkdown(t))
    .join('\n');
}
