import { InvalidArgumentError } from '@virtmig/core';
import type { VegaLiteSpec } from './figures.js';
import { mannWhitneyU } from './mann-whitney.js';
import { type Summary, summarize } from './stats.js';

/** One balancing run as the report shows it: the hosts' loads over time and the decisions taken. */
export interface BalanceTimeline {
  /** The run's id. */
  readonly runId: string;
  /** The policy the run used. */
  readonly policy: string;
  /** The overload threshold, percent of a host's capacity. */
  readonly thresholdPercent: number;
  /** Each host's load at each sample. */
  readonly samples: readonly BalanceTimelineSample[];
  /** The decisions, with their measured outcome when they migrated. */
  readonly decisions: readonly BalanceTimelineDecision[];
}

/** One host's load at one sample of a {@link BalanceTimeline}. */
export interface BalanceTimelineSample {
  /** When, ms on the loop's clock. */
  readonly atMs: number;
  /** The host. */
  readonly host: string;
  /** CPU use of its domains, % of its capacity. */
  readonly loadPercent: number;
}

/** A decision on a {@link BalanceTimeline}. */
export interface BalanceTimelineDecision {
  /** 1, 2, ... within the run. */
  readonly seq: number;
  /** When it was taken, ms on the loop's clock. */
  readonly atMs: number;
  /** `migrate` or `no-migration`. */
  readonly kind: 'migrate' | 'no-migration';
  /** Whether it was a dry run's. */
  readonly dryRun: boolean;
  /** The overloaded host. */
  readonly source: string;
  /** The VM moved (`migrate`). */
  readonly vm?: string;
  /** Where to (`migrate`). */
  readonly destination?: string;
  /** Why. */
  readonly reason: string;
  /** `migrated` or `failed` once the migration ended. */
  readonly outcome?: 'migrated' | 'failed';
  /** Measured total migration time, ms. */
  readonly totalTimeMs?: number;
  /** Measured downtime, ms. */
  readonly downtimeMs?: number;
}

/**
 * The host CPU timeline of a balancing run: one line per host (load in % of its capacity against
 * seconds since the first sample), the threshold as a dashed line, and a vertical marker per
 * decision (solid: a migration, labelled with the VM; dotted: no migration).
 * @throws `E_INVALID_ARGUMENT` for a run without samples.
 */
export function balanceTimelineSpec(run: BalanceTimeline): VegaLiteSpec {
  if (run.samples.length === 0) throw new InvalidArgumentError('samples', `run ${run.runId} has no samples to plot`);
  const t0 = Math.min(...run.samples.map((s) => s.atMs));
  const x = { field: 't', type: 'quantitative', title: 'Time (s)' };
  const lines = run.samples.map((s) => ({ t: (s.atMs - t0) / 1000, host: s.host, load: s.loadPercent }));
  const marks = run.decisions.map((d) => ({
    t: (d.atMs - t0) / 1000,
    label: d.kind === 'migrate' ? `${d.vm} → ${d.destination}` : 'no move',
    kind: d.kind,
  }));
  return {
    title: `Balancing run ${run.runId.slice(0, 8)} (${run.policy}): host CPU and decisions`,
    width: 640,
    height: 220,
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x,
          y: { field: 'load', type: 'quantitative', title: 'Domains CPU (% of host)' },
          color: { field: 'host', type: 'nominal', title: 'host' },
        },
      },
      {
        data: { values: [{ y: run.thresholdPercent }] },
        mark: { type: 'rule', color: '#e45756', strokeDash: [6, 4] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: marks.filter((m) => m.kind === 'migrate') },
        mark: { type: 'rule', color: '#222' },
        encoding: { x },
      },
      {
        data: { values: marks.filter((m) => m.kind === 'migrate') },
        mark: { type: 'text', align: 'left', dx: 3, dy: -95, fontSize: 10 },
        encoding: { x, text: { field: 'label' } },
      },
      {
        data: { values: marks.filter((m) => m.kind !== 'migrate') },
        mark: { type: 'rule', color: '#999', strokeDash: [2, 3] },
        encoding: { x },
      },
    ],
  };
}

/** What one balancing run achieved. */
export interface BalanceRunMetrics {
  /** The run. */
  readonly runId: string;
  /** Its policy. */
  readonly policy: string;
  /** Migrations that succeeded. */
  readonly migrations: number;
  /**
   * Seconds from the first sample to the sample from which no host is above the threshold until
   * the run's end; undefined when some host is still above it at the last sample.
   */
  readonly timeToBalanceS?: number;
  /** Sum of the successful migrations' total times, s. */
  readonly totalMigrationS: number;
  /** Sum of their downtimes, ms (those that reported one). */
  readonly downtimeMs: number;
}

/** {@link BalanceRunMetrics} of one run. Pure. @throws `E_INVALID_ARGUMENT` for a run without samples. */
export function balanceRunMetrics(run: BalanceTimeline): BalanceRunMetrics {
  if (run.samples.length === 0) throw new InvalidArgumentError('samples', `run ${run.runId} has no samples`);
  const times = [...new Set(run.samples.map((s) => s.atMs))].sort((a, b) => a - b);
  const t0 = times[0] as number;
  const over = (t: number): boolean => run.samples.some((s) => s.atMs === t && s.loadPercent > run.thresholdPercent);
  let from: number | undefined;
  for (let i = times.length - 1; i >= 0 && !over(times[i] as number); i--) from = times[i];
  const moved = run.decisions.filter((d) => d.outcome === 'migrated');
  return {
    runId: run.runId,
    policy: run.policy,
    migrations: moved.length,
    ...(from === undefined ? {} : { timeToBalanceS: (from - t0) / 1000 }),
    totalMigrationS: moved.reduce((s, d) => s + (d.totalTimeMs ?? 0), 0) / 1000,
    downtimeMs: moved.reduce((s, d) => s + (d.downtimeMs ?? 0), 0),
  };
}

/** One metric of one policy over its runs, against the study's policy. */
export interface PolicyMetricComparison {
  /** The policy. */
  readonly policy: string;
  /** The metric: `timeToBalanceS`, `migrations`, `totalMigrationS` or `downtimeMs`. */
  readonly metric: 'timeToBalanceS' | 'migrations' | 'totalMigrationS' | 'downtimeMs';
  /** Mean, sd and confidence interval over the runs that have the metric. */
  readonly summary: Summary;
  /** Mann-Whitney U two-sided p-value against the `study` policy's runs; undefined for the study itself or without study runs. */
  readonly pVsStudy?: number;
}

/**
 * The measured comparison of policies: for each policy and metric, the summary over its runs
 * and the Mann-Whitney U test against the study's policy (no assumption about the metric's
 * distribution, which suits a handful of runs with skewed times). Runs that never balanced
 * count out of `timeToBalanceS`. Pure.
 */
export function comparePolicies(runs: readonly BalanceRunMetrics[], level = 0.95): PolicyMetricComparison[] {
  const metrics = ['timeToBalanceS', 'migrations', 'totalMigrationS', 'downtimeMs'] as const;
  const policies = [...new Set(runs.map((r) => r.policy))].sort((a, b) =>
    a === 'study' ? -1 : b === 'study' ? 1 : a < b ? -1 : 1,
  );
  const values = (policy: string, metric: (typeof metrics)[number]): number[] =>
    runs.filter((r) => r.policy === policy).flatMap((r) => (r[metric] === undefined ? [] : [r[metric] as number]));
  const out: PolicyMetricComparison[] = [];
  for (const policy of policies) {
    for (const metric of metrics) {
      const xs = values(policy, metric);
      if (xs.length === 0) continue;
      const study = values('study', metric);
      out.push({
        policy,
        metric,
        summary: summarize(xs, level),
        ...(policy !== 'study' && study.length > 0 ? { pVsStudy: mannWhitneyU(study, xs).p } : {}),
      });
    }
  }
  return out;
}
