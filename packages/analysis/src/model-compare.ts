import { InvalidArgumentError } from '@virtmig/core';
import { summarizeBy } from './cells.js';
import { type PrecopyParams, type PrecopyPrediction, predictPrecopy, relativeError } from './precopy.js';
import type { TrialRecord } from './records.js';
import { mean, type Summary } from './stats.js';
import type { Cell, Table } from './table.js';

/** Model settings for {@link compareWithModel}; bandwidth and dirty rate default to the trials' measured means. */
export type ComparisonOptions = Omit<PrecopyParams, 'memoryBytes' | 'bandwidthBps' | 'dirtyRateBps'> & {
  /** Migration bandwidth in bytes per second. Default: the trials' measured mean. */
  readonly bandwidthBps?: number;
  /** Guest dirty rate in bytes per second. Default: the trials' measured mean. */
  readonly dirtyRateBps?: number;
  /** Confidence level of the measured summaries (default 0.95). */
  readonly level?: number;
};

/** The model's prediction beside the measured figures for one (workload, RAM) group. */
export interface ModelComparison {
  /** Workload name. */
  readonly workload: string;
  /** Guest RAM in MiB. */
  readonly ramMiB: number;
  /** The parameters the prediction used. */
  readonly params: PrecopyParams;
  /** What the model predicts for these parameters. */
  readonly prediction: PrecopyPrediction;
  /** Measured total migration time, ms. */
  readonly measuredTotal: Summary;
  /** Measured downtime, ms; null when no trial reported one. */
  readonly measuredDowntime: Summary | null;
  /** |predicted - measured mean| / measured mean; null when the model does not converge or nothing was measured. */
  readonly totalRelativeError: number | null;
  /** The same relative error for downtime. */
  readonly downtimeRelativeError: number | null;
}

function measuredMean(
  records: readonly TrialRecord[],
  pick: (r: TrialRecord) => number | undefined,
): number | undefined {
  const xs = records.map(pick).filter((x): x is number => x !== undefined);
  return xs.length ? mean(xs) : undefined;
}

/**
 * Groups the migrated trials by (workload, RAM), feeds the pre-copy model with the guest's RAM
 * and the measured mean bandwidth and dirty rate (unless given), and sets the prediction
 * beside the measured means. Throws `E_INVALID_ARGUMENT` when a group has no bandwidth to use.
 */
export function compareWithModel(records: readonly TrialRecord[], options: ComparisonOptions = {}): ModelComparison[] {
  const { level, bandwidthBps, dirtyRateBps, ...model } = options;
  const migrated = records.filter((r) => r.migration !== undefined);
  const totals = summarizeBy(
    migrated,
    (r) => [r.workload, r.ramMiB] as const,
    (r) => r.migration?.totalTimeMs,
    level,
  );
  const downs = summarizeBy(
    migrated,
    (r) => [r.workload, r.ramMiB] as const,
    (r) => r.migration?.downtimeMs,
    level,
  );
  return totals.map(({ key: [workload, ramMiB], summary }) => {
    const own = migrated.filter((r) => r.workload === workload && r.ramMiB === ramMiB);
    const R = bandwidthBps ?? measuredMean(own, (r) => r.migration?.memoryBandwidthBps);
    if (R === undefined) {
      throw new InvalidArgumentError(
        'bandwidthBps',
        `no bandwidth measured for ${workload} with ${ramMiB} MiB; pass one`,
      );
    }
    const D = dirtyRateBps ?? measuredMean(own, (r) => r.migration?.dirtyRateBps) ?? 0;
    const params: PrecopyParams = { ...model, memoryBytes: ramMiB * 1024 * 1024, bandwidthBps: R, dirtyRateBps: D };
    const prediction = predictPrecopy(params);
    const down = downs.find((d) => d.key[0] === workload && d.key[1] === ramMiB)?.summary ?? null;
    const converged = prediction.kind === 'converges' ? prediction : null;
    return {
      workload,
      ramMiB,
      params,
      prediction,
      measuredTotal: summary,
      measuredDowntime: down,
      totalRelativeError: converged ? relativeError(converged.totalTimeMs, summary.mean) : null,
      downtimeRelativeError: converged && down ? relativeError(converged.downtimeMs, down.mean) : null,
    };
  });
}

function seconds(s: Summary | null): Summary | null {
  if (!s) return null;
  const f = (x: number) => x / 1000;
  return {
    n: s.n,
    mean: f(s.mean),
    sd: s.sd === null ? null : f(s.sd),
    ci: s.ci ? { level: s.ci.level, low: f(s.ci.low), high: f(s.ci.high), halfWidth: f(s.ci.halfWidth) } : null,
  };
}

function percent(x: number | null): Cell {
  return x === null ? null : `${(x * 100).toFixed(1)} %`;
}

/** The comparison as a table: predicted and measured total time and downtime (s) with relative errors. */
export function modelTable(rows: readonly ModelComparison[], id = 'table-model'): Table {
  return {
    id,
    title: 'Pre-copy model vs measured (s)',
    columns: [
      { header: 'Workload', kind: 'text' },
      { header: 'RAM (MiB)', kind: 'text' },
      { header: 'lambda', kind: 'text' },
      { header: 'Rounds', kind: 'text' },
      { header: 'Predicted total', kind: 'number' },
      { header: 'Measured total', kind: 'summary' },
      { header: 'Total error', kind: 'text' },
      { header: 'Predicted downtime', kind: 'number' },
      { header: 'Measured downtime', kind: 'summary' },
      { header: 'Downtime error', kind: 'text' },
    ],
    rows: rows.map((r) => {
      const p = r.prediction;
      const conv = p.kind === 'converges';
      return [
        r.workload,
        String(r.ramMiB),
        p.lambda.toFixed(3),
        conv ? `${p.rounds} (${p.stopReason})` : 'non-convergent',
        conv ? p.totalTimeMs / 1000 : null,
        seconds(r.measuredTotal),
        percent(r.totalRelativeError),
        conv ? p.downtimeMs / 1000 : null,
        seconds(r.measuredDowntime),
        percent(r.downtimeRelativeError),
      ];
    }),
    note: 'Model: total = M(1 − λ^(n+1)) / (R(1 − λ)), downtime = M·λ^n / R (+ resume time), λ = dirty rate / bandwidth; relative error = |predicted − measured| / measured.',
  };
}
