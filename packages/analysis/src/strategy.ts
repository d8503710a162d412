import { InvalidArgumentError } from '@virtmig/core';
import type { MigrationModel, Prediction, PredictionInput } from './prediction.js';

/** How a migration is run to meet a downtime target. */
export type MigrationStrategy = 'precopy' | 'precopy-max-downtime' | 'precopy-auto-converge' | 'postcopy';

/** What {@link chooseStrategy} picked, with the prediction it rests on. */
export interface StrategyChoice {
  /** The strategy. */
  readonly strategy: MigrationStrategy;
  /** The downtime target in ms. */
  readonly targetMs: number;
  /** Max downtime to set, for the pre-copy strategies that set one. */
  readonly maxDowntimeMs?: number;
  /** Whether to turn on auto-converge throttling. */
  readonly autoConverge?: boolean;
  /** Whether to switch to post-copy. */
  readonly postCopy?: boolean;
  /** The prediction for the chosen settings (for post-copy: pre-copy's, which it gives up on). */
  readonly prediction: Prediction;
  /** Why, for people. */
  readonly reason: string;
}

const fmt = (ms: number): string => `${Math.round(ms)} ms`;

/**
 * Picks the least intrusive way to migrate within `targetMs` of downtime, from the model's
 * predictions: plain pre-copy when its predicted downtime meets the target; pre-copy with the
 * hypervisor's max downtime set to the target when that prediction meets it; when pre-copy is
 * predicted not to converge, auto-converge throttling if the guest dirties less than twice the
 * link rate (throttling a guest further is what it does to converge), else post-copy, whose
 * downtime does not depend on the dirty rate but which loses the guest if the link fails midway
 * (`postCopyAllowed: false` then leaves auto-converge).
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a target that is not a positive finite number, or inputs the model refuses.
 */
export function chooseStrategy(
  model: MigrationModel,
  input: PredictionInput,
  targetMs: number,
  options: { readonly postCopyAllowed?: boolean } = {},
): StrategyChoice {
  if (typeof targetMs !== 'number' || !Number.isFinite(targetMs) || targetMs <= 0) {
    throw new InvalidArgumentError('targetMs', `must be a positive number of ms, got ${JSON.stringify(targetMs)}`);
  }
  const plain = model.predict(input);
  if (plain.kind === 'converges' && plain.downtimeMs <= targetMs) {
    return {
      strategy: 'precopy',
      targetMs,
      prediction: plain,
      reason: `default pre-copy is predicted to stop with ${fmt(plain.downtimeMs)} of downtime, within the ${fmt(targetMs)} target`,
    };
  }
  const capped = model.predict({ ...input, maxDowntimeMs: targetMs });
  if (capped.kind === 'converges' && capped.downtimeMs <= targetMs) {
    return {
      strategy: 'precopy-max-downtime',
      targetMs,
      maxDowntimeMs: targetMs,
      prediction: capped,
      reason:
        plain.kind === 'converges'
          ? `default pre-copy is predicted to cause ${fmt(plain.downtimeMs)} of downtime; with max downtime ${fmt(targetMs)} it is predicted to stop at ${fmt(capped.downtimeMs)} after ${fmt(capped.totalTimeMs)}`
          : `with max downtime ${fmt(targetMs)} pre-copy is predicted to converge with ${fmt(capped.downtimeMs)} of downtime`,
    };
  }
  const lambda = input.dirtyRateBps / input.bandwidthBps;
  const why =
    capped.kind === 'non-convergent'
      ? `pre-copy is predicted not to converge (${capped.reason})`
      : `pre-copy with max downtime ${fmt(targetMs)} is still predicted to cause ${fmt(capped.downtimeMs)}`;
  if (lambda < 2 || options.postCopyAllowed === false) {
    return {
      strategy: 'precopy-auto-converge',
      targetMs,
      maxDowntimeMs: targetMs,
      autoConverge: true,
      prediction: model.predict({ ...input, maxDowntimeMs: targetMs, autoConverge: true }),
      reason: `${why}; the guest dirties ${lambda.toFixed(2)} x the link rate, so auto-converge throttles it until the ${fmt(targetMs)} stop condition is met`,
    };
  }
  return {
    strategy: 'postcopy',
    targetMs,
    postCopy: true,
    prediction: capped,
    reason: `${why}; the guest dirties ${lambda.toFixed(2)} x the link rate, too fast to throttle into pre-copy, so post-copy moves it after one pass (downtime independent of the dirty rate; a link failure midway loses the guest)`,
  };
}
