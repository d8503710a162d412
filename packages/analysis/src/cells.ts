import { InvalidArgumentError } from '@virtmig/core';
import type { CpuSample, TrialRecord } from './records.js';
import { mean, type Summary, summarize } from './stats.js';

/** One cell of the experiment matrix: everything that defines a trial except its index. */
export interface MatrixCell {
  /** Workload name. */
  readonly workload: string;
  /** Guest RAM in MiB. */
  readonly ramMiB: number;
  /** Guest vCPUs. */
  readonly vcpus: number;
  /** CPU cap in percent of one CPU (0 = uncapped). */
  readonly capPercent: number;
  /** Host cores offered during the trial. */
  readonly hostCores: number;
}

/** The CPU figures a {@link CpuSample} carries. */
export type CpuMetric = 'domainPercentOfHost' | 'domainPercentOfCpu' | 'hostPercent';

/** A group of trials and the summary of one value over them. */
export interface CellSummary<K> {
  /** What the group's trials share (e.g. a workload name or a {@link MatrixCell}). */
  readonly key: K;
  /** One value per trial, in input order. */
  readonly values: readonly number[];
  /** The summary of `values`. */
  readonly summary: Summary;
}

/** The matrix cell a trial belongs to. */
export function cellOf(r: TrialRecord): MatrixCell {
  return { workload: r.workload, ramMiB: r.ramMiB, vcpus: r.vcpus, capPercent: r.capPercent, hostCores: r.hostCores };
}

/**
 * The mean of one CPU metric over a trial's samples. Trials, not samples, are the independent
 * replicates, so statistics across trials start from this one number per trial.
 */
export function trialCpuMean(r: TrialRecord, metric: CpuMetric): number {
  if (r.cpuSamples.length === 0) {
    throw new InvalidArgumentError('cpuSamples', `trial ${r.trial} of ${r.workload} has no CPU samples`);
  }
  return mean(r.cpuSamples.map((s: CpuSample) => s[metric]));
}

/**
 * Groups records by `keyOf` (keys compared by their JSON form, so plain objects work) and
 * summarises `valueFor` per group. Records for which `valueFor` returns undefined are left out;
 * groups keep the order in which their first record appeared.
 */
export function summarizeBy<K>(
  records: readonly TrialRecord[],
  keyOf: (r: TrialRecord) => K,
  valueFor: (r: TrialRecord) => number | undefined,
  level = 0.95,
): CellSummary<K>[] {
  const groups = new Map<string, { key: K; values: number[] }>();
  for (const r of records) {
    const v = valueFor(r);
    if (v === undefined) continue;
    const key = keyOf(r);
    const id = JSON.stringify(key);
    let g = groups.get(id);
    if (!g) {
      g = { key, values: [] };
      groups.set(id, g);
    }
    g.values.push(v);
  }
  return [...groups.values()].map((g) => ({ key: g.key, values: g.values, summary: summarize(g.values, level) }));
}

/** Summary of a CPU metric per matrix cell (one value per trial: its mean over samples). */
export function summarizeCells(
  records: readonly TrialRecord[],
  metric: CpuMetric,
  level = 0.95,
): CellSummary<MatrixCell>[] {
  return summarizeBy(records, cellOf, (r) => trialCpuMean(r, metric), level);
}
