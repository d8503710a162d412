import { InvalidArgumentError } from '@virtmig/core';
import { maximumCorrelationPolicy } from './maximum-correlation.js';
import { minimumMigrationTimePolicy } from './minimum-migration-time.js';
import { randomPolicy } from './random.js';
import { studyPolicy } from './study.js';
import type { SelectionPolicy } from './types.js';
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
