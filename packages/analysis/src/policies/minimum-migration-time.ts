import { byKeyThenName, checkInput, findSource, recommend } from './common.js';
import type { ClusterSnapshot, PolicyOptions, Recommendation, VmSnapshot } from './types.js';

/**
 * Minimum migration time (CloudSim's PowerVmSelectionPolicyMinimumMigrationTime, Beloglazov
 * and Buyya 2012): on the most loaded host above the threshold, migrate the VM with the least
 * RAM, since over the same link less memory takes less time to copy. Ties go to the name first
 * in order.
 */
export function minimumMigrationTimePolicy(cluster: ClusterSnapshot, options: PolicyOptions = {}): Recommendation {
  const policy = 'minimum-migration-time';
  const threshold = checkInput(cluster, options);
  const source = findSource(policy, cluster, threshold, options);
  if ('kind' in source) return source;
  const pick = [...source.choosable].sort(byKeyThenName((vm) => vm.ramMiB))[0] as VmSnapshot;
  return recommend(
    policy,
    cluster,
    source,
    pick,
    threshold,
    `${pick.name} has the least RAM (${pick.ramMiB} MiB), so it should migrate fastest`,
  );
}
