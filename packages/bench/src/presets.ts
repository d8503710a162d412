import { InvalidArgumentError } from '@virtmig/core';
import { validateSpec } from './spec.js';
import type { ExperimentSpec } from './spec-types.js';

const CAPS_25_TO_200 = [25, 50, 75, 100, 125, 150, 175, 200];
/** The dirtier's rates in the model sweep, MiB/s: lambda 0.25 to 2 over its 16 MiB/s limit. */
const MODEL_SWEEP_DIRTY_MIBPS = [4, 8, 12, 16, 24, 32];

/**
 * Built-in experiment specs (as a person would write them; {@link preset} validates and fills
 * the defaults).
 */
export const PRESETS: Readonly<Record<string, unknown>> = Object.freeze({
  /**
   * The study's full matrix: 3 CPU-intensive workloads x RAM 512/1024/2048 MiB x 1-2 vCPUs x
   * cap 25-200 % step 25 x 10 trials (1,440 trials), plus its migration experiment (each
   * workload's uncapped-equivalent cell, cap 100 % with 1 vCPU, migrated in every trial).
   */
  paper: {
    name: 'paper',
    driver: 'qemu',
    hosts: 'lab',
    workloads: ['dhrystone', 'linpack', 'livermore'],
    matrix: { ramMiB: [512, 1024, 2048], vcpus: [1, 2], capPercent: CAPS_25_TO_200, hostCores: [2], trials: 10 },
    migration: { enabled: true, cells: { vcpus: [1], capPercent: [100] } },
    sampling: { intervalMs: 1000 },
    durations: { warmupMs: 5000, measureMs: 30_000 },
    policy: { thresholdPercent: 65, selection: 'study' },
  },
  /**
   * A reduced matrix with real guests and a real migration in every trial, sized to finish in
   * about ten minutes on a two-core machine under TCG: 3 workloads x RAM 128/256 MiB x 1 vCPU x
   * caps 50/100 % x 2 trials (24 trials).
   */
  'paper-quick': {
    name: 'paper-quick',
    driver: 'qemu',
    hosts: 'lab',
    workloads: ['dhrystone', 'linpack', 'livermore'],
    matrix: { ramMiB: [128, 256], vcpus: [1], capPercent: [50, 100], hostCores: [2], trials: 2 },
    migration: { enabled: true },
    sampling: { intervalMs: 500 },
    durations: { warmupMs: 1000, measureMs: 4000 },
    policy: { thresholdPercent: 65, selection: 'study' },
  },
  /**
   * The migration-model sweep: the memory dirtier at 4-32 MiB/s over a working set of 48 MiB,
   * and dhrystone as the near-idle end, migrated over a 16 MiB/s bandwidth limit, so lambda =
   * dirty rate / bandwidth runs from about 0 to 2, into the region where pre-copy does not
   * converge; x RAM 128/256 MiB x 3 trials (42 trials). A migration still running after 30 s is
   * aborted and recorded as non-converged with the guest on the source.
   */
  'model-sweep': {
    name: 'model-sweep',
    driver: 'qemu',
    hosts: 'lab',
    workloads: [
      'dhrystone',
      ...MODEL_SWEEP_DIRTY_MIBPS.map((rate) => ({
        name: 'dirtier',
        label: `dirtier-${rate}`,
        // One run for the whole trial: every new run first writes its whole working set at full speed.
        seconds: 3600,
        options: { wssMb: 48, rateMbps: rate },
      })),
    ],
    matrix: { ramMiB: [128, 256], vcpus: [1], capPercent: [0], hostCores: [2], trials: 3 },
    migration: { enabled: true, bandwidthMiBps: 16, timeoutMs: 30_000 },
    sampling: { intervalMs: 500 },
    durations: { warmupMs: 1000, measureMs: 3000 },
    policy: { thresholdPercent: 65, selection: 'study' },
  },
  /**
   * A simulated run for pipeline dry runs and CI, with no lab: the `fake` driver's in-memory
   * hosts and its pre-copy model, 2 workloads x caps 50/100 % x 1 trial (4 migrating trials,
   * seconds in all). Its database and report are labelled simulated.
   */
  'dry-run': {
    name: 'dry-run',
    driver: 'fake',
    hosts: [{ source: 'fake:///a', destination: 'fake:///b' }],
    guest: { image: 'none' },
    workloads: ['dhrystone', 'linpack'],
    matrix: { ramMiB: [64], vcpus: [1], capPercent: [50, 100], hostCores: [2], trials: 1 },
    migration: { enabled: true },
    sampling: { intervalMs: 100 },
    durations: { warmupMs: 0, measureMs: 300 },
  },
});

/** Names of the built-in presets. */
export function presetNames(): string[] {
  return Object.keys(PRESETS).sort();
}

/**
 * A built-in spec by name, validated.
 * @throws `E_INVALID_ARGUMENT` (field `preset`) for a name that is not a preset, including names
 * every object inherits (`constructor`, `toString`, `__proto__`): only own properties are presets.
 */
export function preset(name: string): ExperimentSpec {
  const raw = typeof name === 'string' && Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (raw === undefined) {
    throw new InvalidArgumentError(
      'preset',
      `unknown preset ${JSON.stringify(name)} (known: ${presetNames().join(', ')})`,
    );
  }
  return validateSpec(raw);
}
