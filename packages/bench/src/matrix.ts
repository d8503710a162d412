import type { WorkloadName } from '@virtmig/core';
import type { ExperimentSpec, MigrationSpec } from './spec-types.js';

/** One planned trial: a matrix cell and the trial's index within it. */
export interface TrialPlan {
  /** Stable id, the same for the same spec on every run: `dhrystone/ram128/vcpu1/cap50/cores2/t0`. */
  readonly id: string;
  /** Position in the run's order, from 0. */
  readonly seq: number;
  readonly workload: WorkloadName;
  readonly ramMiB: number;
  readonly vcpus: number;
  readonly capPercent: number;
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
 * Expands a spec into its trials, in a fixed order: workload (as listed), then RAM, vCPUs,
 * cap and host cores (as listed), then trial index. Trials are dealt to host pairs round-robin
 * by that order, so the same spec always gives the same ids, order and pairs.
 */
export function expandMatrix(
  spec: ExperimentSpec,
  pairCount = typeof spec.hosts === 'string' ? 1 : spec.hosts.length,
): TrialPlan[] {
  const out: TrialPlan[] = [];
  const m = spec.matrix;
  for (const w of spec.workloads) {
    for (const ramMiB of m.ramMiB) {
      for (const vcpus of m.vcpus) {
        for (const capPercent of m.capPercent) {
          for (const hostCores of m.hostCores) {
            for (let trial = 0; trial < m.trials; trial++) {
              const seq = out.length;
              const cell = { workload: w.name, ramMiB, vcpus, capPercent, hostCores, trial };
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
