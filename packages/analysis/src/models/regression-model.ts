import { InvalidArgumentError } from '@virtmig/core';
import type { MigrationModel, PredictionInput } from '../prediction.js';
import { type LinearFit, leastSquares } from '../regression.js';
import { spreadOf } from './fitted-precopy.js';
import { checkPredictionInput, fitRange, type ModelTrial, rangeWarnings } from './inputs.js';

/** Name of the regression model. */
export const REGRESSION_MODEL = 'regression';

/** lambda beyond this is as bad as it gets for the regression: pre-copy no longer converges. */
const LAMBDA_CAP = 2;

/** The regression's predictors of one input: ln RAM, ln bandwidth, lambda, vCPUs, CPU use. */
export function regressionFeatures(i: PredictionInput): number[] {
  return [
    Math.log(i.memoryMiB),
    Math.log(i.bandwidthBps),
    Math.min(LAMBDA_CAP, i.dirtyRateBps / i.bandwidthBps),
    i.vcpus ?? 1,
    i.cpuPercent ?? 0,
  ];
}

function apply(fit: LinearFit, x: readonly number[]): number {
  return fit.intercept + fit.coefficients.reduce((s, c, j) => s + c * (x[j] as number), 0);
}

/**
 * A log-linear least-squares regression of total time and of downtime on (ln RAM, ln bandwidth,
 * lambda = dirty rate / bandwidth, vCPUs, CPU use), fitted on the converged trials: the
 * black-box alternative to the pre-copy models. It cannot tell a migration that will not
 * converge; a lambda beyond the converged trials' range gets an `outside-calibration` warning.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` with fewer than 2 converged trials.
 */
export function fitRegression(trials: readonly ModelTrial[]): MigrationModel {
  const conv = trials.flatMap((t) => (t.outcome.kind === 'converged' ? [{ t, o: t.outcome }] : []));
  if (conv.length < 2)
    throw new InvalidArgumentError('records', `the regression needs 2 converged trials, got ${conv.length}`);
  const columns = (rows: readonly number[][]): number[][] =>
    (rows[0] ?? []).map((_, j) => rows.map((r) => r[j] as number));
  const xs = conv.map(({ t }) => regressionFeatures(t.input));
  const total = leastSquares(
    conv.map(({ o }) => Math.log(Math.max(1, o.totalTimeMs))),
    columns(xs),
  );
  const withDown = conv.filter(({ o }) => o.downtimeMs !== undefined);
  const down =
    withDown.length >= 2
      ? leastSquares(
          withDown.map(({ o }) => Math.log(Math.max(1, o.downtimeMs as number))),
          columns(withDown.map(({ t }) => regressionFeatures(t.input))),
        )
      : undefined;
  const predictPoint = (i: PredictionInput) => {
    const x = regressionFeatures(i);
    return { total: Math.exp(apply(total, x)), down: down ? Math.exp(apply(down, x)) : 0 };
  };
  const totalSpread = spreadOf(
    conv.map(({ t, o }) => ({ predicted: predictPoint(t.input).total, measured: o.totalTimeMs })),
  );
  const downtimeSpread = spreadOf(
    withDown.map(({ t, o }) => ({ predicted: predictPoint(t.input).down, measured: o.downtimeMs as number })),
  );
  const range = fitRange(conv.map(({ t }) => t.input));
  const lambdas = conv.map(({ t }) => t.input.dirtyRateBps / t.input.bandwidthBps);
  const lambdaMax = Math.max(...lambdas);
  return {
    name: REGRESSION_MODEL,
    predict(input) {
      checkPredictionInput(input);
      const warnings = rangeWarnings(range, input);
      const lambda = input.dirtyRateBps / input.bandwidthBps;
      if (lambda > lambdaMax * 1.05 && !warnings.some((w) => w.field === 'dirtyRateBps')) {
        warnings.push({
          code: 'outside-calibration',
          field: 'dirtyRateBps',
          message: `lambda ${lambda.toFixed(2)} exceeds the ${lambdaMax.toFixed(2)} of the converged trials the regression was fitted on`,
        });
      }
      const p = predictPoint(input);
      return {
        kind: 'converges',
        model: REGRESSION_MODEL,
        totalTimeMs: p.total,
        downtimeMs: p.down,
        totalTimeIntervalMs: { low: p.total * totalSpread.low, high: p.total * totalSpread.high },
        downtimeIntervalMs: { low: p.down * downtimeSpread.low, high: p.down * downtimeSpread.high },
        warnings,
      };
    },
  };
}
