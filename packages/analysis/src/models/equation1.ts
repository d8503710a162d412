import type { MigrationStages, Span } from '@virtmig/core';
import type { MigrationModel, PredictionInput } from '../prediction.js';
import { leastSquares } from '../regression.js';
import { median } from '../stats.js';
import { calibrationSpreads, fittedPrecopyModel, type PrecopyCalibration, precopyRounds } from './fitted-precopy.js';
import { type ModelTrial, verdictAgrees } from './inputs.js';

/** Name of the Equation-1 model. */
export const EQUATION1_MODEL = 'equation1';

const spanMs = (s: Span | undefined): number | undefined => (s === undefined ? undefined : s.endMs - s.startMs);

/**
 * The fixed stages of Equation 1 that a trial measured (reservation + initialisation +
 * commitment + activation, ms), or undefined when the driver reported none of them.
 */
export function fixedStagesMs(stages: MigrationStages): number | undefined {
  const parts = [stages.reservation, stages.initialisation, stages.commitment, stages.activation]
    .map(spanMs)
    .filter((x): x is number => x !== undefined);
  return parts.length ? parts.reduce((s, x) => s + x, 0) : undefined;
}

/** Fixed stage costs by host pair and driver, falling back to the driver's, then to every trial's median. */
export interface FixedCosts {
  /** Median per `driver|hostPair`. */
  readonly byPair: ReadonlyMap<string, number>;
  /** Median per driver. */
  readonly byDriver: ReadonlyMap<string, number>;
  /** Median over every trial. */
  readonly overall: number;
}

function groupMedian(entries: readonly (readonly [string, number])[]): Map<string, number> {
  const groups = new Map<string, number[]>();
  for (const [k, v] of entries) groups.set(k, [...(groups.get(k) ?? []), v]);
  return new Map([...groups].map(([k, vs]) => [k, median(vs)]));
}

/** Medians of the measured fixed stages per host pair and driver; undefined when no trial measured any. */
export function fixedCostsOf(trials: readonly ModelTrial[]): FixedCosts | undefined {
  const measured = trials.flatMap((t) => {
    const ms = t.record.migration ? fixedStagesMs(t.record.migration.stages) : undefined;
    return ms === undefined ? [] : [{ t, ms }];
  });
  if (measured.length === 0) return undefined;
  return {
    byPair: groupMedian(measured.map(({ t, ms }) => [`${t.input.driver}|${t.input.hostPair}`, ms] as const)),
    byDriver: groupMedian(measured.map(({ t, ms }) => [String(t.input.driver), ms] as const)),
    overall: median(measured.map((m) => m.ms)),
  };
}

/** The fixed cost {@link FixedCosts} gives an input. */
export function fixedCostFor(c: FixedCosts, input: PredictionInput): number {
  return c.byPair.get(`${input.driver}|${input.hostPair}`) ?? c.byDriver.get(String(input.driver)) ?? c.overall;
}

/**
 * Bytes the first pre-copy round sends as a function of RAM, fitted on the trials' measured
 * first rounds (duration x bandwidth): a least-squares line a + b RAM over two RAM sizes or
 * more (the guest's non-zero memory grows more slowly than its RAM), a ratio with one; undefined
 * when no trial measured a round.
 */
export function firstRoundFit(trials: readonly ModelTrial[]): ((ramMiB: number) => number) | undefined {
  const points = trials.flatMap((t) => {
    const r0 = t.record.migration?.stages.precopyRounds[0];
    return r0 && r0.endMs > r0.startMs
      ? [{ ram: t.input.memoryMiB, bytes: ((r0.endMs - r0.startMs) / 1000) * t.input.bandwidthBps }]
      : [];
  });
  if (points.length === 0) return undefined;
  if (new Set(points.map((p) => p.ram)).size < 2) {
    const ratio = median(points.map((p) => p.bytes / p.ram));
    return (ram) => ram * ratio;
  }
  const fit = leastSquares(
    points.map((p) => p.bytes),
    [points.map((p) => p.ram)],
  );
  return (ram) => fit.intercept + (fit.coefficients[0] as number) * ram;
}

/** Downtime as Equation 1 fits it: `switchOverMs` + `lastRoundScale` x the last round at the link rate. */
export interface SwitchOverFit {
  /** Share of the simulated last round the stop-and-copy sends. */
  readonly lastRoundScale: number;
  /** Switch-over cost, ms. */
  readonly switchOverMs: number;
}

/** Largest {@link PrecopyCalibration.lastRoundScale} Equation 1 fits. */
const MAX_LAST_ROUND_SCALE = 1.5;

/**
 * Downtime = switch-over + scale x (last round at the link rate), by least squares on the
 * measured downtimes: the hypervisor stops anywhere below its threshold, so the simulated last
 * round (the first below it) overstates what it sends; the intercept is the switch-over cost
 * (device state, activation of the destination's vCPUs). Scale within [0, 1.5]; the switch-over
 * then the median of what the scaled last round does not explain, at least 0.
 */
export function switchOverFit(
  downs: readonly { readonly lastMs: number; readonly downtimeMs: number }[],
): SwitchOverFit {
  if (downs.length === 0) return { lastRoundScale: 1, switchOverMs: 0 };
  const spread = new Set(downs.map((d) => d.lastMs)).size >= 2;
  const slope = spread
    ? (leastSquares(
        downs.map((d) => d.downtimeMs),
        [downs.map((d) => d.lastMs)],
      ).coefficients[0] as number)
    : 1;
  const lastRoundScale = Math.min(MAX_LAST_ROUND_SCALE, Math.max(0, slope));
  return {
    lastRoundScale,
    switchOverMs: Math.max(0, median(downs.map((d) => d.downtimeMs - lastRoundScale * d.lastMs))),
  };
}

/** A wrong convergence verdict costs as much as a factor-2 error in the fit's objective. */
const VERDICT_PENALTY = Math.log(2) ** 2;
/** First-round bytes per byte of RAM searched when no trial measured its rounds. */
const PHI_RANGE = [0.05, 1.5] as const;
const PHI_COARSE = 0.1;
/** Effective dirty rate per measured byte per second searched. */
const KAPPA_RANGE = [0, 2] as const;
const KAPPA_COARSE = 0.2;
/** Refinement: steps of a quarter of the coarse step within one coarse step of its best point. */
const REFINE_STEPS = 4;

function grid([lo, hi]: readonly [number, number], step: number): number[] {
  const n = Math.round((hi - lo) / step);
  return Array.from({ length: n + 1 }, (_, i) => lo + i * step);
}

function around(x: number, step: number, [lo, hi]: readonly [number, number]): number[] {
  const fine = step / REFINE_STEPS;
  return Array.from({ length: 2 * REFINE_STEPS + 1 }, (_, i) => x + (i - REFINE_STEPS) * fine).filter(
    (v) => v >= lo - 1e-12 && v <= hi + 1e-12,
  );
}
const MiB = 1024 * 1024;

/** Parameters of a fitted Equation-1 model, for reports and tests. */
export interface Equation1Fit {
  /** The model. */
  readonly model: MigrationModel;
  /** The calibration it predicts from. */
  readonly calibration: PrecopyCalibration;
  /** Effective dirty rate per measured byte per second. */
  readonly dirtyFactor: number;
}

/**
 * Fits Equation 1 (total = reservation + initialisation + pre-copy rounds + stop-and-copy +
 * commitment + activation) on measured trials: the fixed stages are the medians of the trials'
 * measured stages per host pair and driver (or, when no driver reported stages, the median of
 * what the transfer does not explain); the rounds follow the hypervisor's convergence rule (max
 * downtime, iteration limit, auto-converge) with the first round sending what the measured
 * first rounds say for the RAM ({@link firstRoundFit}; zero pages cost next to nothing) and the
 * guest dirtying `dirtyFactor` x its measured rate; the factor (and, without measured rounds, a
 * first-round fraction of RAM) minimise the squared log error of total time over a coarse then a fine grid, a wrong
 * convergence verdict costing as much as a factor-2 error. Downtime is the last round at the link
 * rate (scaled, see {@link switchOverFit}) plus the measured switch-over cost. Needs at least one converged trial.
 */
export function fitEquation1(trials: readonly ModelTrial[]): Equation1Fit {
  const converged = trials.filter((t) => t.outcome.kind === 'converged');
  const costs = fixedCostsOf(converged);
  const measuredFirst = firstRoundFit(converged);
  type Candidate = {
    score: number;
    cal: Omit<PrecopyCalibration, 'name' | 'range' | 'totalSpread' | 'downtimeSpread'>;
    kappa: number;
    phi: number;
  };
  const evaluate = (phi: number, kappa: number): Candidate => {
    const firstRoundBytes = measuredFirst ?? ((ram: number) => ram * MiB * phi);
    const shape = { firstRoundBytes, dirtiedBytes: (d: number, s: number) => kappa * d * s };
    const rounds = trials.map((t) => precopyRounds(shape, t.input));
    const downs: { lastMs: number; downtimeMs: number }[] = [];
    const residuals: number[] = [];
    for (const [i, t] of trials.entries()) {
      const r = rounds[i];
      if (t.outcome.kind !== 'converged' || r?.kind !== 'converges') continue;
      const lastMs = (r.stopAndCopyBytes / t.input.bandwidthBps) * 1000;
      if (t.outcome.downtimeMs !== undefined) downs.push({ lastMs, downtimeMs: t.outcome.downtimeMs });
      residuals.push(t.outcome.totalTimeMs - r.precopyMs - (t.outcome.downtimeMs ?? lastMs));
    }
    const { lastRoundScale, switchOverMs } = switchOverFit(downs);
    const residualFixed = residuals.length ? Math.max(0, median(residuals)) : 0;
    const fixedMs = (input: PredictionInput) => (costs ? fixedCostFor(costs, input) : residualFixed);
    let score = 0;
    for (const [i, t] of trials.entries()) {
      const r = rounds[i];
      if (r === undefined) continue;
      const predicted =
        r.kind === 'converges'
          ? fixedMs(t.input) +
            r.precopyMs +
            lastRoundScale * (r.stopAndCopyBytes / t.input.bandwidthBps) * 1000 +
            switchOverMs
          : undefined;
      if (!verdictAgrees(t.outcome, predicted)) {
        score += VERDICT_PENALTY;
      } else if (predicted !== undefined && t.outcome.kind === 'converged') {
        score += Math.log(Math.max(predicted, 1) / Math.max(t.outcome.totalTimeMs, 1)) ** 2;
      }
    }
    return { score, kappa, phi, cal: { ...shape, fixedMs, switchOverMs, lastRoundScale } };
  };
  // Coarse grid, then a finer one around its best point: a fifth of the evaluations of one fine grid.
  let best: Candidate | undefined;
  const consider = (phis: readonly number[], kappas: readonly number[]) => {
    for (const phi of phis) {
      for (const kappa of kappas) {
        const c = evaluate(phi, kappa);
        if (best === undefined || c.score < best.score - 1e-12) best = c;
      }
    }
  };
  consider(measuredFirst ? [1] : grid(PHI_RANGE, PHI_COARSE), grid(KAPPA_RANGE, KAPPA_COARSE));
  const coarse = best as Candidate;
  consider(
    measuredFirst ? [1] : around(coarse.phi, PHI_COARSE, PHI_RANGE),
    around(coarse.kappa, KAPPA_COARSE, KAPPA_RANGE),
  );
  if (best === undefined) throw new Error('unreachable: the grid is not empty');
  const calibration: PrecopyCalibration = {
    name: EQUATION1_MODEL,
    ...best.cal,
    ...calibrationSpreads(best.cal, trials),
  };
  return { model: fittedPrecopyModel(calibration), calibration, dirtyFactor: best.kappa };
}
