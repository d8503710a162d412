import { InvalidArgumentError } from '@virtmig/core';
import { byKeyThenName, checkInput, findSource, recommend } from './common.js';
import type { ClusterSnapshot, PolicyOptions, Recommendation, VmSnapshot } from './types.js';

/** Options of {@link studyPolicy}. */
export interface StudyPolicyOptions extends PolicyOptions {
  /** Total times within this many ms of the least count as a tie, decided by downtime (default 0: exact ties only). */
  readonly totalTimeToleranceMs?: number;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The study's policy: when the domains on a host use more than the threshold (default 65 %)
 * of its CPU, migrate the VM with the least expected total migration time; among VMs whose
 * total times tie (within `totalTimeToleranceMs`), the one with the lower expected downtime.
 * Every VM it may choose (not `pinned`) on the overloaded host needs `expectedTotalTimeMs` and `expectedDowntimeMs`
 * (e.g. from {@link estimatesFromTrials}); a missing one is an `E_INVALID_ARGUMENT`.
 */
export function studyPolicy(cluster: ClusterSnapshot, options: StudyPolicyOptions = {}): Recommendation {
  const policy = 'study';
  const threshold = checkInput(cluster, options);
  const tolerance = options.totalTimeToleranceMs ?? 0;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new InvalidArgumentError('totalTimeToleranceMs', `must be a finite number >= 0, got ${tolerance}`);
  }
  const source = findSource(policy, cluster, threshold, options);
  if ('kind' in source) return source;
  const vms = source.choosable.map((vm) => {
    if (vm.expectedTotalTimeMs === undefined || vm.expectedDowntimeMs === undefined) {
      throw new InvalidArgumentError(
        `vm ${vm.name}`,
        'the study policy needs expectedTotalTimeMs and expectedDowntimeMs for every VM it may choose on the overloaded host',
      );
    }
    return { vm, name: vm.name, total: vm.expectedTotalTimeMs, down: vm.expectedDowntimeMs };
  });
  const least = Math.min(...vms.map((v) => v.total));
  const tied = vms.filter((v) => v.total <= least + tolerance).sort(byKeyThenName((v) => v.down));
  const pick = tied[0] as { vm: VmSnapshot; total: number; down: number };
  const others = vms.filter((v) => v.vm !== pick.vm).sort(byKeyThenName((v) => v.total));
  const next = others[0];
  let why = `${pick.vm.name} has the least expected total migration time (${secs(pick.total)})`;
  if (tied.length > 1) {
    why =
      `${tied.map((v) => v.name).join(' and ')} tie on total migration time (within ${secs(tolerance)} of ${secs(least)}); ` +
      `${pick.vm.name} has the lower downtime (${secs(pick.down)})`;
  } else if (next) {
    why += `, ahead of ${next.name} (${secs(next.total)})`;
  }
  return recommend(policy, cluster, source, pick.vm, threshold, why);
}
