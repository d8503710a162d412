import { InvalidArgumentError, type MigrationTimeline, type TrialRecord } from '@virtmig/core';

export type { CpuSample, MigrationTimeline, TimelineSample, TrialRecord } from '@virtmig/core';

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
