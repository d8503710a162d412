import { InvalidArgumentError } from '@virtmig/core';
import type { VegaLiteSpec } from './figures.js';

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
