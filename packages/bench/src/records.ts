import type { MigrationResult } from '@virtmig/core';

/**
 * One CPU sample of a trial. Field for field the `CpuSample` of @virtmig/analysis, which reads
 * what the runner stores (bench does not depend on analysis; the CLI test checks the fit).
 */
export interface CpuSample {
  /** Milliseconds since the measure window began. */
  readonly tMs: number;
  /** The domain's CPU use in percent of the host's cores (`hostCores` of the trial). */
  readonly domainPercentOfHost: number;
  /** The domain's CPU use in percent of one CPU (the unit of the cap). */
  readonly domainPercentOfCpu: number;
  /** The host's total CPU use in percent. */
  readonly hostPercent: number;
}

/** One finished trial: analysis's `TrialRecord`. */
export interface TrialRecord {
  readonly experimentId: string;
  readonly workload: string;
  readonly ramMiB: number;
  readonly vcpus: number;
  readonly capPercent: number;
  readonly hostCores: number;
  readonly trial: number;
  readonly cpuSamples: readonly CpuSample[];
  /** Mean headline score of the workload runs that finished in the measure window; 0 when none did (see README). */
  readonly workloadScore: number;
  readonly workloadScoreUnit?: string;
  readonly migration?: MigrationResult;
}

/** One sample of a running migration: analysis's `TimelineSample`. */
export interface TimelineSample {
  readonly tMs: number;
  readonly transferredBytes: number;
  readonly remainingBytes: number;
  readonly dirtyRateBps: number;
  readonly iteration: number;
  readonly hostCpuPercent: number;
}

/** The sampled course of one migration: analysis's `MigrationTimeline`. */
export interface MigrationTimeline {
  readonly experimentId: string;
  readonly workload: string;
  readonly trial: number;
  readonly samples: readonly TimelineSample[];
}

/** What a trial produces besides the record: the migration timeline and the heartbeat view of the switch-over. */
export interface TrialOutcome {
  readonly record: TrialRecord;
  readonly timeline?: readonly TimelineSample[];
  /** Largest host-side gap between guest heartbeats around the migration, ms. */
  readonly heartbeatGapMs?: number;
}
