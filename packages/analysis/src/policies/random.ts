import { byKeyThenName, checkInput, findSource, recommend } from './common.js';
import { seededRandom } from './prng.js';
import type { ClusterSnapshot, PolicyOptions, Recommendation, VmSnapshot } from './types.js';

/** Options of {@link randomPolicy}. */
export interface RandomPolicyOptions extends PolicyOptions {
  /** Seed of the generator; the same seed and cluster give the same choice. */
  readonly seed: number;
}

/**
 * Random selection (CloudSim's PowerVmSelectionPolicyRandomSelection), made reproducible: on
 * the most loaded host above the threshold, pick a VM uniformly at random with a generator
 * seeded by `seed`. VMs are put in name order first so the choice does not depend on input order.
 */
export function randomPolicy(cluster: ClusterSnapshot, options: RandomPolicyOptions): Recommendation {
  const policy = 'random';
  const threshold = checkInput(cluster, options);
  const next = seededRandom(options.seed);
  const source = findSource(policy, cluster, threshold, options);
  if ('kind' in source) return source;
  const vms = [...source.choosable].sort(byKeyThenName(() => 0));
  const pick = vms[Math.floor(next() * vms.length)] as VmSnapshot;
  return recommend(
    policy,
    cluster,
    source,
    pick,
    threshold,
    `${pick.name} was drawn at random (seed ${options.seed}) from ${vms.length} VMs`,
  );
}
