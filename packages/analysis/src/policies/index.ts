import { maximumCorrelationPolicy } from './maximum-correlation.js';
import { minimumMigrationTimePolicy } from './minimum-migration-time.js';
import { randomPolicy } from './random.js';
import { studyPolicy } from './study.js';
import type { ClusterSnapshot, PolicyOptions, Recommendation } from './types.js';
import { workloadBalancePolicy } from './workload-balance.js';

export {
  assertPolicyName,
  type DecisionPoint,
  POLICY_NAMES,
  type PolicyName,
  policyNamed,
  type ReplayedChoice,
  recommendOrExplain,
  replayDecision,
} from './by-name.js';
export { DEFAULT_THRESHOLD_PERCENT, hostLoad } from './common.js';
export { estimatesFromTrials, type MigrationEstimate } from './estimates.js';
export { maximumCorrelationPolicy } from './maximum-correlation.js';
export { minimumMigrationTimePolicy } from './minimum-migration-time.js';
export { seededRandom } from './prng.js';
export { type RandomPolicyOptions, randomPolicy } from './random.js';
export { type StudyPolicyOptions, studyPolicy } from './study.js';
export * from './types.js';
export { workloadBalancePolicy } from './workload-balance.js';

/** Options of {@link recommendAll}. */
export interface RecommendAllOptions extends PolicyOptions {
  /** Seed of the random policy (default 1). */
  readonly seed?: number;
  /** Passed to the study's policy. */
  readonly totalTimeToleranceMs?: number;
}

/** Every policy's recommendation for the same cluster, the study's first. */
export function recommendAll(cluster: ClusterSnapshot, options: RecommendAllOptions = {}): Recommendation[] {
  const base: PolicyOptions =
    options.thresholdPercent === undefined ? {} : { thresholdPercent: options.thresholdPercent };
  return [
    studyPolicy(cluster, {
      ...base,
      ...(options.totalTimeToleranceMs === undefined ? {} : { totalTimeToleranceMs: options.totalTimeToleranceMs }),
    }),
    minimumMigrationTimePolicy(cluster, base),
    maximumCorrelationPolicy(cluster, base),
    randomPolicy(cluster, { ...base, seed: options.seed ?? 1 }),
    workloadBalancePolicy(cluster, base),
  ];
}
