import { InvalidArgumentError } from '@virtmig/core';
import type { ExperimentSpec, MatrixSpec, MigrationSpec } from './spec-types.js';

/** One planned trial: a matrix cell and the trial's index within it. */
export interface TrialPlan {
  /** Stable id, the same for the same spec on every run: `dhrystone/ram128/vcpu1/cap50/cores2/t0`. */
  readonly id: string;
  /** Position in the run's order, from 0. */
  readonly seq: number;
  /** Label of the workload the trial runs (its name unless the spec gives a label). */
  readonly workload: string;
  /** Guest RAM in MiB. */
  readonly ramMiB: number;
  /** Guest vCPUs. */
  readonly vcpus: number;
  /** CPU cap in percent of one CPU (0 = uncapped). */
  readonly capPercent: number;
  /** Host cores offered during the trial. */
  readonly hostCores: number;
  /** Trial index within its cell, from 0. */
  readonly trial: number;
  /** Whether this trial live-migrates its guest. */
  readonly migrate: boolean;
  /** Index of the host pair that runs it. */
  readonly pair: number;
}

/** The id of a trial of a cell. */
export function trialId(
  t: Pick<TrialPlan, 'workload' | 'ramMiB' | 'vcpus' | 'capPercent' | 'hostCores' | 'trial'>,
): string {
  return `${t.workload}/ram${t.ramMiB}/vcpu${t.vcpus}/cap${t.capPercent}/cores${t.hostCores}/t${t.trial}`;
}

function migrates(m: MigrationSpec, ramMiB: number, vcpus: number, capPercent: number): boolean {
  if (!m.enabled) return false;
  const c = m.cells;
  return (
    (c?.ramMiB === undefined || c.ramMiB.includes(ramMiB)) &&
    (c?.vcpus === undefined || c.vcpus.includes(vcpus)) &&
    (c?.capPercent === undefined || c.capPercent.includes(capPercent))
  );
}

/**
 * Most trials one spec may expand to: 100,000, about 70 times the study's full matrix (1,440).
 * Each trial boots a guest and measures it for seconds, so more is a typo, not an experiment,
 * and the run's trials are created in one transaction and held in memory (see README).
 */
export const MAX_TRIALS = 100_000;

/** Number of trials `spec` expands to, computed from the list lengths (nothing is expanded). */
export function trialCount(spec: { readonly workloads: readonly unknown[]; readonly matrix: MatrixSpec }): number {
  const m = spec.matrix;
  return spec.workloads.length * m.ramMiB.length * m.vcpus.length * m.capPercent.length * m.hostCores.length * m.trials;
}

/**
 * Throws unless `spec` expands to at most {@link MAX_TRIALS} trials.
 * @throws `E_INVALID_ARGUMENT` (field `matrix`) naming the count.
 */
export function assertTrialCount(spec: { readonly workloads: readonly unknown[]; readonly matrix: MatrixSpec }): void {
  const n = trialCount(spec);
  if (n > MAX_TRIALS) {
    throw new InvalidArgumentError(
      'matrix',
      `expands to ${n} trials (workloads x ramMiB x vcpus x capPercent x hostCores x trials), more than the ${MAX_TRIALS} a spec may have`,
    );
  }
}

/**
 * Expands a spec into its trials, in a fixed order: workload (as listed), then RAM, vCPUs,
 * cap and host cores (as listed), then trial index. Trials are dealt to host pairs round-robin
 * by that order, so the same spec always gives the same ids, order and pairs.
 * @throws `E_INVALID_ARGUMENT` when the spec has more than {@link MAX_TRIALS} trials.
 */
export function expandMatrix(
  spec: ExperimentSpec,
  pairCount = typeof spec.hosts === 'string' ? 1 : spec.hosts.length,
): TrialPlan[] {
  assertTrialCount(spec);
  const out: TrialPlan[] = [];
  const m = spec.matrix;
  for (const w of spec.workloads) {
    for (const ramMiB of m.ramMiB) {
      for (const vcpus of m.vcpus) {
        for (const capPercent of m.capPercent) {
          for (const hostCores of m.hostCores) {
            for (let trial = 0; trial < m.trials; trial++) {
              const seq = out.length;
              const cell = { workload: w.label, ramMiB, vcpus, capPercent, hostCores, trial };
              out.push({
                ...cell,
                id: trialId(cell),
                seq,
                migrate: migrates(spec.migration, ramMiB, vcpus, capPercent),
                pair: seq % Math.max(1, pairCount),
              });
            }
          }
        }
      }
    }
  }
  return out;
}
