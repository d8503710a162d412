import {
  assertPolicyName,
  type ClusterSnapshot,
  type PolicyName,
  policyNamed,
  type RecommendAllOptions,
  type Recommendation,
} from '@virtmig/analysis';

/** Throws `E_INVALID_ARGUMENT` (field `--policy`) unless `name` is a known policy. */
export function assertPolicy(name: string): asserts name is PolicyName {
  assertPolicyName(name, '--policy');
}

/** Runs one policy on a cluster. */
export function applyPolicy(
  name: PolicyName,
  cluster: ClusterSnapshot,
  thresholdPercent: number,
  seed = 1,
): Recommendation {
  return policyNamed(name, seed)(cluster, { thresholdPercent });
}

/** Options for {@link renderReport}'s recommendation, from the CLI's flags. */
export function policyOptions(thresholdPercent: number): RecommendAllOptions {
  return { thresholdPercent };
}
