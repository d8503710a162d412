import type { MigrationResult, TrialRecord } from '@virtmig/core';

/**
 * A measured trial of `workload` that migrated in `totalTimeMs` with `downtimeMs` (128 MiB,
 * one vCPU, no cap, two host cores, no CPU samples): the smallest record migration estimates
 * are derived from, for tests of estimates and policies.
 */
export function migratedTrial(workload: string, totalTimeMs: number, downtimeMs: number): TrialRecord {
  return {
    experimentId: 'x',
    workload,
    ramMiB: 128,
    vcpus: 1,
    capPercent: 0,
    hostCores: 2,
    trial: 0,
    cpuSamples: [],
    workloadScore: 1,
    migration: { totalTimeMs, downtimeMs } as MigrationResult,
  };
}
