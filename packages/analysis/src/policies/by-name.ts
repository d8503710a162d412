import { InvalidArgumentError, isVirtmigError } from '@virtmig/core';
import { maximumCorrelationPolicy } from './maximum-correlation.js';
import { minimumMigrationTimePolicy } from './minimum-migration-time.js';
import { randomPolicy } from './random.js';
import { studyPolicy } from './study.js';
import type { ClusterSnapshot, PolicyOptions, Recommendation, SelectionPolicy } from './types.js';
import { workloadBalancePolicy } from './workload-balance.js';

/** Policy names as the CLI, specs and the balancing loop spell them. */
export const POLICY_NAMES = ['study', 'mmt', 'mc', 'random', 'balance'] as const;

/** A policy name: `study`, `mmt` (minimum migration time), `mc` (maximum correlation), `random`, `balance` (workload balance). */
export type PolicyName = (typeof POLICY_NAMES)[number];

/**
 * Throws unless `name` is one of {@link POLICY_NAMES}.
 * @throws `E_INVALID_ARGUMENT` (named `field`) for any other value.
 */
export function assertPolicyName(name: unknown, field = 'policy'): asserts name is PolicyName {
  if (typeof name !== 'string' || !(POLICY_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(field, `must be one of ${POLICY_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  }
}

/** The selection policy called `name`; `random` draws with `seed` (default 1). */
export function policyNamed(name: PolicyName, seed = 1): SelectionPolicy {
  switch (name) {
    case 'study':
      return studyPolicy;
    case 'mmt':
      return minimumMigrationTimePolicy;
    case 'mc':
      return maximumCorrelationPolicy;
    case 'random':
      return (cluster, options) => randomPolicy(cluster, { ...options, seed });
    case 'balance':
      return workloadBalancePolicy;
  }
}

/**
 * What policy `name` recommends, or, when it cannot decide on this cluster (a VM without the
 * estimates it needs, a malformed snapshot: `E_INVALID_ARGUMENT`), a `no-migration` saying why.
 * @throws whatever else the policy throws (nothing, for the policies here).
 */
export function recommendOrExplain(
  name: PolicyName,
  cluster: ClusterSnapshot,
  options: PolicyOptions,
  seed = 1,
): Recommendation {
  try {
    return policyNamed(name, seed)(cluster, options);
  } catch (e) {
    if (!isVirtmigError(e, 'E_INVALID_ARGUMENT')) throw e;
    return { kind: 'no-migration', policy: name, reason: `the ${name} policy cannot decide: ${e.message}` };
  }
}

/** One decision point of a balancing run: the cluster the policy saw and the VMs it could not choose. */
export interface DecisionPoint {
  /** The overloaded host. */
  readonly source: string;
  /** The threshold the run used, percent. */
  readonly thresholdPercent: number;
  /** The source with its VMs' estimates and the hosts that could receive. */
  readonly cluster: ClusterSnapshot;
  /** VMs that were pinned (cooling down, migrating, ping-pong guard, non-convergent). */
  readonly pinned: readonly string[];
}

/** One policy's answer at a replayed decision point. */
export interface ReplayedChoice {
  /** The policy. */
  readonly policy: PolicyName;
  /** What it recommends there. */
  readonly recommendation: Recommendation;
}

/**
 * Replay: what every policy ({@link POLICY_NAMES}, in that order) would have chosen at a
 * decision point, on the same snapshot, estimates and pinned VMs. Pure; a policy that cannot
 * decide answers `no-migration` with why ({@link recommendOrExplain}).
 */
export function replayDecision(point: DecisionPoint, seed = 1): ReplayedChoice[] {
  return POLICY_NAMES.map((policy) => ({
    policy,
    recommendation: recommendOrExplain(
      policy,
      point.cluster,
      { thresholdPercent: point.thresholdPercent, pinned: point.pinned },
      seed,
    ),
  }));
}
