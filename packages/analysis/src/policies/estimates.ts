import type { TrialRecord } from '../records.js';
import { mean } from '../stats.js';

/** Expected migration cost of a workload, from measurements. */
export interface MigrationEstimate {
  /** Mean total migration time in ms. */
  readonly totalTimeMs: number;
  /** Undefined when no trial of the workload reported a downtime. */
  readonly downtimeMs?: number;
  /** Migrated trials the means are taken over. */
  readonly trials: number;
}

/**
 * Mean total migration time and downtime per workload over the trials that migrated, to fill
 * {@link VmSnapshot.expectedTotalTimeMs} and `expectedDowntimeMs` for the study's policy.
 */
export function estimatesFromTrials(records: readonly TrialRecord[]): Map<string, MigrationEstimate> {
  const out = new Map<string, MigrationEstimate>();
  const workloads = [...new Set(records.filter((r) => r.migration).map((r) => r.workload))];
  for (const w of workloads) {
    const ms = records.filter((r) => r.workload === w).flatMap((r) => (r.migration ? [r.migration] : []));
    const downs = ms.flatMap((m) => (m.downtimeMs === undefined ? [] : [m.downtimeMs]));
    out.set(w, {
      totalTimeMs: mean(ms.map((m) => m.totalTimeMs)),
      ...(downs.length ? { downtimeMs: mean(downs) } : {}),
      trials: ms.length,
    });
  }
  return out;
}
