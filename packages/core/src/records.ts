import type { MigrationResult, MigrationRound } from './migration.js';

/*
 * The experiment data that the runner (@virtmig/bench) stores and analysis (@virtmig/analysis)
 * reads: defined here once, as neither package may import the other.
 */

/** One CPU-usage sample taken while a trial ran. */
export interface CpuSample {
  /** Milliseconds since the trial's measure window began. */
  readonly tMs: number;
  /** The domain's CPU use in percent of the whole host (100 = every `hostCores` core busy). */
  readonly domainPercentOfHost: number;
  /** The domain's CPU use in percent of one CPU (100 = one core busy; the unit of the cap). */
  readonly domainPercentOfCpu: number;
  /** The host's total CPU use in percent of the whole host. */
  readonly hostPercent: number;
}

/**
 * One trial of an experiment, as the experiment runner stores it: one cell of the matrix
 * (workload x RAM x vCPUs x cap x host cores) run once.
 */
export interface TrialRecord {
  /** Experiment id (the spec's `name`). */
  readonly experimentId: string;
  /** Workload name, e.g. `dhrystone`. */
  readonly workload: string;
  /** Guest RAM in MiB. */
  readonly ramMiB: number;
  /** Guest vCPUs. */
  readonly vcpus: number;
  /** CPU cap in percent of one CPU (0 = uncapped). */
  readonly capPercent: number;
  /** Host cores available to the host during the trial. */
  readonly hostCores: number;
  /** Trial index within its cell, from 0. */
  readonly trial: number;
  /** CPU samples taken while the trial measured. */
  readonly cpuSamples: readonly CpuSample[];
  /**
   * The workload's headline score (DMIPS, MFLOPS, ...): the mean of the runs that finished in the
   * measure window, 0 when none did.
   */
  readonly workloadScore: number;
  /** Unit of {@link TrialRecord.workloadScore}. */
  readonly workloadScoreUnit?: string;
  /** The workload's options as the spec set them (e.g. the dirtier's `rateMbps`), when it set any. */
  readonly workloadOptions?: Readonly<Record<string, number>>;
  /** The live migration made during the trial, when one was made. */
  readonly migration?: MigrationResult;
  /** The trial's migration when it did not finish within the spec's timeout (instead of {@link TrialRecord.migration}). */
  readonly nonConverged?: NonConvergedMigration;
}

/**
 * A live migration that pre-copy did not bring to its stop condition within the spec's timeout:
 * it was aborted and the guest kept running on the source. A result, not a failure: a model
 * that predicts non-convergence for it is right.
 */
export interface NonConvergedMigration {
  /** The timeout in ms after which the migration was aborted. */
  readonly timeoutMs: number;
  /** URI of the source host, where the guest still runs. */
  readonly sourceUri: string;
  /** URI of the destination host. */
  readonly destinationUri: string;
  /** Bytes per second the migration sent before the abort (from its progress samples), when there were any. */
  readonly memoryBandwidthBps?: number;
  /** Pre-copy iterations reached before the abort, when known. */
  readonly iterations?: number;
}

/** One sample of a running migration, like QEMU's guestperf takes from `query-migrate` every 50 ms. */
export interface TimelineSample {
  /** Milliseconds since the migration started. */
  readonly tMs: number;
  /** Bytes transferred so far. */
  readonly transferredBytes: number;
  /** Bytes still to transfer. */
  readonly remainingBytes: number;
  /**
   * Guest dirty rate in bytes per second: the rate of the pre-copy round the sample falls in
   * (from {@link MigrationResult.rounds}) when the driver derived one, else the driver's own figure.
   */
  readonly dirtyRateBps: number;
  /** Pre-copy iteration (round) in progress. */
  readonly iteration: number;
  /** The source host's CPU use in percent of the whole host. */
  readonly hostCpuPercent: number;
}

/** The sampled course of one migration. */
export interface MigrationTimeline {
  /** Experiment id (the spec's `name`). */
  readonly experimentId: string;
  /** Workload name. */
  readonly workload: string;
  /** Trial index within its cell, from 0. */
  readonly trial: number;
  /** Samples in time order. */
  readonly samples: readonly TimelineSample[];
  /** The pre-copy rounds with their transfer and dirty rate, when the driver reported them. */
  readonly rounds?: readonly MigrationRound[];
}
