import { InvalidArgumentError, type MigrationResult } from '@virtmig/core';

/** One CPU-usage sample taken while a trial ran. */
export interface CpuSample {
  /** Milliseconds since the trial started. */
  readonly tMs: number;
  /** The domain's CPU use in percent of the whole host (100 = every host core busy). */
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
  readonly experimentId: string;
  /** Workload name, e.g. `dhrystone`. */
  readonly workload: string;
  readonly ramMiB: number;
  readonly vcpus: number;
  /** CPU cap in percent of one CPU (0 = uncapped). */
  readonly capPercent: number;
  /** Host cores available to the host during the trial. */
  readonly hostCores: number;
  /** Trial index within its cell, from 0. */
  readonly trial: number;
  readonly cpuSamples: readonly CpuSample[];
  /** The workload's headline score (DMIPS, MFLOPS, ...). */
  readonly workloadScore: number;
  /** Unit of {@link TrialRecord.workloadScore}. */
  readonly workloadScoreUnit?: string;
  /** The live migration made during the trial, when one was made. */
  readonly migration?: MigrationResult;
}

/** One sample of a running migration, like QEMU's guestperf takes from `query-migrate` every 50 ms. */
export interface TimelineSample {
  /** Milliseconds since the migration started. */
  readonly tMs: number;
  /** Bytes transferred so far. */
  readonly transferredBytes: number;
  /** Bytes still to transfer. */
  readonly remainingBytes: number;
  /** Guest dirty rate in bytes per second. */
  readonly dirtyRateBps: number;
  /** Pre-copy iteration (round) in progress. */
  readonly iteration: number;
  /** The source host's CPU use in percent of the whole host. */
  readonly hostCpuPercent: number;
}

/** The sampled course of one migration. */
export interface MigrationTimeline {
  readonly experimentId: string;
  readonly workload: string;
  readonly trial: number;
  /** Samples in time order. */
  readonly samples: readonly TimelineSample[];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function finite(v: unknown, field: string, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new InvalidArgumentError(field, `must be a finite number >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function positiveInt(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(field, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function nonEmptyString(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) {
    throw new InvalidArgumentError(field, `must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Checks that `x` (e.g. a row read back from storage) is a well-formed {@link TrialRecord}.
 * Throws `E_INVALID_ARGUMENT` naming the first bad field; returns `x` typed otherwise.
 */
export function validateTrialRecord(x: unknown, field = 'record'): TrialRecord {
  if (!isRecord(x)) throw new InvalidArgumentError(field, 'must be an object');
  nonEmptyString(x.experimentId, `${field}.experimentId`);
  nonEmptyString(x.workload, `${field}.workload`);
  finite(x.ramMiB, `${field}.ramMiB`, 1);
  positiveInt(x.vcpus, `${field}.vcpus`, 1);
  finite(x.capPercent, `${field}.capPercent`, 0);
  positiveInt(x.hostCores, `${field}.hostCores`, 1);
  positiveInt(x.trial, `${field}.trial`, 0);
  finite(x.workloadScore, `${field}.workloadScore`);
  if (!Array.isArray(x.cpuSamples)) throw new InvalidArgumentError(`${field}.cpuSamples`, 'must be an array');
  x.cpuSamples.forEach((s: unknown, i: number) => {
    const f = `${field}.cpuSamples[${i}]`;
    if (!isRecord(s)) throw new InvalidArgumentError(f, 'must be an object');
    finite(s.tMs, `${f}.tMs`, 0);
    finite(s.domainPercentOfHost, `${f}.domainPercentOfHost`, 0);
    finite(s.domainPercentOfCpu, `${f}.domainPercentOfCpu`, 0);
    finite(s.hostPercent, `${f}.hostPercent`, 0);
  });
  if (x.migration !== undefined) {
    const m = x.migration;
    if (!isRecord(m)) throw new InvalidArgumentError(`${field}.migration`, 'must be an object');
    finite(m.totalTimeMs, `${field}.migration.totalTimeMs`, 0);
    if (m.downtimeMs !== undefined) finite(m.downtimeMs, `${field}.migration.downtimeMs`, 0);
  }
  return x as unknown as TrialRecord;
}

/**
 * Checks that `x` is a well-formed {@link MigrationTimeline} with samples in time order.
 * Throws `E_INVALID_ARGUMENT` naming the first bad field.
 */
export function validateTimeline(x: unknown, field = 'timeline'): MigrationTimeline {
  if (!isRecord(x)) throw new InvalidArgumentError(field, 'must be an object');
  nonEmptyString(x.experimentId, `${field}.experimentId`);
  nonEmptyString(x.workload, `${field}.workload`);
  positiveInt(x.trial, `${field}.trial`, 0);
  if (!Array.isArray(x.samples)) throw new InvalidArgumentError(`${field}.samples`, 'must be an array');
  let last = -Infinity;
  x.samples.forEach((s: unknown, i: number) => {
    const f = `${field}.samples[${i}]`;
    if (!isRecord(s)) throw new InvalidArgumentError(f, 'must be an object');
    const t = finite(s.tMs, `${f}.tMs`, 0);
    if (t < last) throw new InvalidArgumentError(`${f}.tMs`, `samples must be in time order (${t} after ${last})`);
    last = t;
    finite(s.transferredBytes, `${f}.transferredBytes`, 0);
    finite(s.remainingBytes, `${f}.remainingBytes`, 0);
    finite(s.dirtyRateBps, `${f}.dirtyRateBps`, 0);
    positiveInt(s.iteration, `${f}.iteration`, 0);
    finite(s.hostCpuPercent, `${f}.hostCpuPercent`, 0);
  });
  return x as unknown as MigrationTimeline;
}
