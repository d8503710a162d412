import {
  assertPolicyName,
  type ClusterSnapshot,
  type PolicyName,
  policyNamed,
  type RecommendAllOptions,
  type Recommendation,
} from '@virtmig/analysis';
import { InvalidArgumentError } from '@virtmig/core';

/** `--threshold`: a number in (0, 100], or `fallback` when absent. Throws `E_INVALID_ARGUMENT` (field `--threshold`). */
export function parseThreshold(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
  if (!(n > 0 && n <= 100))
    throw new InvalidArgumentError('--threshold', `must be a number in (0, 100], got ${JSON.stringify(v)}`);
  return n;
}

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
