import type { ClusterSnapshot, RecommendAllOptions, Recommendation } from '@virtmig/analysis';
import {
  maximumCorrelationPolicy,
  minimumMigrationTimePolicy,
  randomPolicy,
  studyPolicy,
  workloadBalancePolicy,
} from '@virtmig/analysis';
import { InvalidArgumentError } from '@virtmig/core';

/** Policy names as the CLI and specs spell them. */
export const POLICY_NAMES = ['study', 'mmt', 'mc', 'random', 'balance'] as const;
/** A policy name. */
export type PolicyName = (typeof POLICY_NAMES)[number];

/** Throws `E_INVALID_ARGUMENT` (field `--policy`) unless `name` is a known policy. */
export function assertPolicy(name: string): asserts name is PolicyName {
  if (!(POLICY_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(
      '--policy',
      `must be one of ${POLICY_NAMES.join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
}

/** Runs one policy on a cluster. */
export function applyPolicy(
  name: PolicyName,
  cluster: ClusterSnapshot,
  thresholdPercent: number,
  seed = 1,
): Recommendation {
  const o = { thresholdPercent };
  switch (name) {
    case 'study':
      return studyPolicy(cluster, o);
    case 'mmt':
      return minimumMigrationTimePolicy(cluster, o);
    case 'mc':
      return maximumCorrelationPolicy(cluster, o);
    case 'random':
      return randomPolicy(cluster, { ...o, seed });
    case 'balance':
      return workloadBalancePolicy(cluster, o);
  }
}

/** Options for {@link renderReport}'s recommendation, from the CLI's flags. */
export function policyOptions(thresholdPercent: number): RecommendAllOptions {
  return { thresholdPercent };
}
