import type { MigrationResult } from '@virtmig/core';
import { expect } from 'chai';
import {
  CANDIDATE_MODELS,
  calibrateModel,
  calibrateModels,
  cellGroup,
  crossValidate,
  fitAvg,
  fitEquation1,
  fitHist,
  fitRegression,
  leastSquares,
  modelErrorsTable,
  modelTrials,
  predictionErrors,
  simulatePrecopyRounds,
  summarizeErrors,
  type TrialRecord,
  trialDirtyRateBps,
} from '../src/index.js';

const MiB = 1024 * 1024;

/** A seeded generator, so the noise is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Truth {
  readonly fixedMs: number;
  readonly memoryFactor: number;
  readonly switchOverMs: number;
  readonly maxDowntimeMs: number;
}

const TRUTH: Truth = { fixedMs: 1800, memoryFactor: 0.4, switchOverMs: 60, maxDowntimeMs: 300 };

/**
 * A trial as Equation 1 says it goes (fixed stages, rounds by QEMU's rule, last round + switch
 * over), with multiplicative noise of +-`noise` on the fixed stages and the transfer.
 */
function equation1Trial(
  i: number,
  ramMiB: number,
  dirtyMiBps: number,
  bandwidthMiBps: number,
  noise: number,
  next: () => number,
  t: Truth = TRUTH,
): TrialRecord {
  const R = bandwidthMiBps * MiB;
  const D = dirtyMiBps * MiB;
  const memoryBytes = ramMiB * MiB * t.memoryFactor;
  const jitter = () => 1 + noise * (2 * next() - 1);
  const sim = simulatePrecopyRounds({
    memoryBytes,
    bandwidthBps: R,
    dirtied: (s) => Math.min(memoryBytes, D * s),
    maxDowntimeMs: t.maxDowntimeMs,
    maxIterations: Number.POSITIVE_INFINITY,
    autoConverge: false,
  });
  const base = {
    experimentId: 'synthetic',
    workload: 'dirtier',
    ramMiB,
    vcpus: 1,
    capPercent: dirtyMiBps,
    hostCores: 2,
    trial: i,
    cpuSamples: [{ tMs: 0, domainPercentOfHost: 50, domainPercentOfCpu: 100, hostPercent: 50 }],
    workloadScore: dirtyMiBps,
    workloadScoreUnit: 'MiB/s',
  };
  if (sim.kind === 'non-convergent') {
    return {
      ...base,
      nonConverged: { timeoutMs: 60_000, sourceUri: 'qemu:///a', destinationUri: 'qemu:///b', memoryBandwidthBps: R },
    };
  }
  const fixed = t.fixedMs * jitter();
  const scale = jitter();
  const rounds: { startMs: number; endMs: number }[] = [];
  let at = fixed * 0.25;
  let left = memoryBytes;
  for (let k = 0; k < sim.rounds; k++) {
    const ms = (left / R) * 1000 * scale;
    rounds.push({ startMs: at, endMs: at + ms });
    at += ms;
    left = Math.min(memoryBytes, (D * ms) / scale / 1000);
  }
  const precopy = at - fixed * 0.25;
  const downtime = (sim.stopAndCopyBytes / R) * 1000 * jitter() + t.switchOverMs;
  const migration: MigrationResult = {
    domain: `g${i}`,
    sourceUri: 'qemu:///a',
    destinationUri: 'qemu:///b',
    startedAt: '2026-01-01T00:00:00Z',
    endedAt: '2026-01-01T00:00:10Z',
    totalTimeMs: fixed + precopy + downtime,
    downtimeMs: downtime,
    memoryBandwidthBps: R,
    dirtyRateBps: 0,
    postCopy: false,
    stages: {
      reservation: { startMs: 0, endMs: fixed * 0.2 },
      initialisation: { startMs: fixed * 0.2, endMs: fixed * 0.25 },
      precopyRounds: rounds,
      activation: { startMs: fixed * 0.25 + precopy + downtime, endMs: fixed + precopy + downtime },
    },
    raw: {},
  };
  return { ...base, migration };
}

/** RAM 128-512 MiB x dirty rate 0-24 MiB/s over a 16 MiB/s link (lambda 0-1.5), 3 trials each. */
function sweep(noise: number, seed = 1): TrialRecord[] {
  const next = rng(seed);
  const out: TrialRecord[] = [];
  for (const ram of [128, 256, 512]) {
    for (const dirty of [0, 4, 8, 12, 24]) {
      for (let k = 0; k < 3; k++) out.push(equation1Trial(out.length, ram, dirty, 16, noise, next));
    }
  }
  return out;
}

describe('migration models', () => {
  describe('simulatePrecopyRounds', () => {
    it('sends an idle guest in one round and stops', () => {
      const r = simulatePrecopyRounds({
        memoryBytes: 100 * MiB,
        bandwidthBps: 100 * MiB,
        dirtied: () => 0,
        maxDowntimeMs: 300,
        maxIterations: Infinity,
        autoConverge: false,
      });
      expect(r).to.include({ kind: 'converges', rounds: 1, stopAndCopyBytes: 0 });
      if (r.kind === 'converges') expect(r.precopyMs).to.be.closeTo(1000, 1e-9);
    });

    it('says non-convergent when the guest re-dirties more than a round sends', () => {
      const r = simulatePrecopyRounds({
        memoryBytes: 100 * MiB,
        bandwidthBps: 10 * MiB,
        dirtied: (s) => 20 * MiB * s,
        maxDowntimeMs: 300,
        maxIterations: Infinity,
        autoConverge: false,
      });
      expect(r.kind).to.equal('non-convergent');
    });

    it('converges the same guest with auto-converge throttling it', () => {
      const r = simulatePrecopyRounds({
        memoryBytes: 100 * MiB,
        bandwidthBps: 10 * MiB,
        dirtied: (s, throttle) => 20 * MiB * (1 - throttle) * s,
        maxDowntimeMs: 300,
        maxIterations: Infinity,
        autoConverge: true,
      });
      expect(r.kind).to.equal('converges');
      if (r.kind === 'converges') expect(r.throttle).to.be.greaterThan(0.5);
    });

    it('stops at the iteration limit (Xen) and copies what is left instead of saying non-convergent', () => {
      const r = simulatePrecopyRounds({
        memoryBytes: 100 * MiB,
        bandwidthBps: 10 * MiB,
        dirtied: (s) => Math.min(100 * MiB, 20 * MiB * s),
        maxDowntimeMs: 300,
        maxIterations: 30,
        autoConverge: false,
      });
      expect(r).to.include({
        kind: 'converges',
        stopReason: 'max-iterations',
        rounds: 30,
        stopAndCopyBytes: 100 * MiB,
      });
      const slow = simulatePrecopyRounds({
        memoryBytes: 100 * MiB,
        bandwidthBps: 10 * MiB,
        dirtied: (s) => 9.9 * MiB * s,
        maxDowntimeMs: 300,
        maxIterations: 30,
        autoConverge: false,
      });
      expect(slow).to.include({ kind: 'converges', stopReason: 'max-iterations', rounds: 30 });
    });
  });

  describe('fitEquation1', () => {
    it('recovers the memory factor and fixed stages of noise-free Equation-1 trials', () => {
      const fit = fitEquation1(modelTrials(sweep(0)));
      expect(fit.calibration.firstRoundBytes(256)).to.be.closeTo(256 * MiB * TRUTH.memoryFactor, 1);
      expect(fit.dirtyFactor).to.be.closeTo(1, 1e-9);
      expect(fit.calibration.switchOverMs).to.be.closeTo(TRUTH.switchOverMs, 1e-6);
      const p = fit.model.predict({ memoryMiB: 256, dirtyRateBps: 8 * MiB, bandwidthBps: 16 * MiB, driver: 'qemu' });
      expect(p.kind).to.equal('converges');
      if (p.kind === 'converges') expect(p.warnings).to.deep.equal([]);
    });

    it('predicts held-out Equation-1 trials with 5 % noise within 5 % median error (leave one cell out)', () => {
      const trials = modelTrials(sweep(0.05));
      const candidate = CANDIDATE_MODELS.find((c) => c.name === 'equation1');
      if (!candidate) throw new Error('no equation1 candidate');
      const errors = summarizeErrors(crossValidate(trials, candidate, cellGroup));
      expect(errors.wrongVerdicts).to.equal(0);
      expect(errors.medianTotal).to.be.lessThan(0.05);
      expect(errors.medianDowntime).to.be.lessThan(0.05);
    });

    it('predicts non-convergence where the synthetic trials did not converge', () => {
      const model = fitEquation1(modelTrials(sweep(0.05))).model;
      const p = model.predict({ memoryMiB: 256, dirtyRateBps: 24 * MiB, bandwidthBps: 16 * MiB, driver: 'qemu' });
      expect(p.kind).to.equal('non-convergent');
    });
  });

  describe('outside the calibrated range', () => {
    const trials = modelTrials(sweep(0.05));
    for (const [name, fit] of [
      ['equation1', (t: typeof trials) => fitEquation1(t).model],
      ['akoush-avg', fitAvg],
      ['akoush-hist', fitHist],
      ['regression', fitRegression],
    ] as const) {
      it(`${name} warns outside-calibration for RAM beyond the fitted range, and not inside it`, () => {
        const model = fit(trials);
        const inside = model.predict({ memoryMiB: 256, dirtyRateBps: 4 * MiB, bandwidthBps: 16 * MiB, driver: 'qemu' });
        expect(inside.warnings).to.deep.equal([]);
        const outside = model.predict({
          memoryMiB: 8192,
          dirtyRateBps: 4 * MiB,
          bandwidthBps: 16 * MiB,
          driver: 'qemu',
        });
        expect(outside.warnings.map((w) => [w.code, w.field])).to.deep.include(['outside-calibration', 'memoryMiB']);
      });
    }
  });

  describe('calibrateModel', () => {
    it('chooses Equation 1 for Equation-1 trials and reports every candidate', () => {
      const c = calibrateModels(sweep(0.05));
      expect(c.chosen).to.equal('equation1');
      expect(c.fallback).to.equal(undefined);
      expect(c.evaluations.map((e) => e.model)).to.have.members([
        'equation1',
        'akoush-avg',
        'akoush-hist',
        'regression',
      ]);
      expect(calibrateModel(sweep(0.05)).name).to.equal('equation1');
    });

    it('falls back to the uncalibrated pre-copy model, which warns, with too few trials', () => {
      const c = calibrateModels(sweep(0).slice(0, 2));
      expect(c.model.name).to.equal('precopy-uncalibrated');
      expect(c.fallback).to.match(/needs 4/);
      const p = c.model.predict({ memoryMiB: 128, dirtyRateBps: 0, bandwidthBps: 16 * MiB });
      expect(p.warnings.map((w) => w.code)).to.deep.equal(['uncalibrated']);
    });

    it('refuses a negative dirty rate with E_INVALID_ARGUMENT', () => {
      const model = calibrateModel(sweep(0.05));
      expect(() => model.predict({ memoryMiB: 128, dirtyRateBps: -1, bandwidthBps: 16 * MiB })).to.throw(
        /dirtyRateBps/,
      );
    });
  });

  describe('predictionErrors', () => {
    const aborted = modelTrials(sweep(0)).find((t) => t.outcome.kind === 'non-converged');
    const converging = (totalTimeMs: number) =>
      ({
        kind: 'converges',
        model: 'm',
        totalTimeMs,
        downtimeMs: 100,
        totalTimeIntervalMs: { low: totalTimeMs, high: totalTimeMs },
        downtimeIntervalMs: { low: 100, high: 100 },
        warnings: [],
      }) as const;

    it('counts a migration aborted at its timeout as predicted right by non-convergence or a longer total, wrong by a shorter one', () => {
      if (!aborted) throw new Error('the sweep has no non-converged trial');
      expect(
        predictionErrors(aborted, { kind: 'non-convergent', model: 'm', reason: 'r', warnings: [] }),
      ).to.deep.equal({ totalError: 0, downtimeError: null });
      expect(predictionErrors(aborted, converging(90_000)).totalError).to.equal(0);
      expect(predictionErrors(aborted, converging(10_000)).totalError).to.equal(1);
    });

    it('gives |predicted - measured| / measured for a finished migration, and 1 for a non-convergent verdict', () => {
      const done = modelTrials(sweep(0)).find((t) => t.outcome.kind === 'converged');
      if (done?.outcome.kind !== 'converged') throw new Error('the sweep has no converged trial');
      expect(predictionErrors(done, converging(done.outcome.totalTimeMs * 1.1)).totalError).to.be.closeTo(0.1, 1e-9);
      expect(
        predictionErrors(done, { kind: 'non-convergent', model: 'm', reason: 'r', warnings: [] }).totalError,
      ).to.equal(1);
    });
  });

  describe('trial inputs', () => {
    const base = sweep(0)[3] as TrialRecord;

    it('take the dirty rate from the migration, else the dirtier score, else its set rate', () => {
      const migration = base.migration as MigrationResult;
      expect(trialDirtyRateBps({ ...base, migration: { ...migration, dirtyRateBps: 5 * MiB } })).to.equal(5 * MiB);
      expect(trialDirtyRateBps({ ...base, workloadScore: 3 })).to.equal(3 * MiB);
      expect(trialDirtyRateBps({ ...base, workloadScore: 0, workloadOptions: { rateMbps: 7 } })).to.equal(7 * MiB);
      expect(trialDirtyRateBps({ ...base, workloadScore: 0, workloadScoreUnit: 'DMIPS' })).to.equal(0);
    });

    it('leave out a trial that did not migrate', () => {
      const { migration: _, ...unmigrated } = base;
      expect(modelTrials([unmigrated])).to.deep.equal([]);
    });
  });

  describe('modelErrorsTable', () => {
    it('marks the model used, and says why with the fallback', () => {
      const t = modelErrorsTable(calibrateModels(sweep(0.05)));
      expect(t.rows.filter((r) => r[1] === 'yes').map((r) => r[0])).to.deep.equal(['equation1']);
      const fallback = modelErrorsTable(calibrateModels(sweep(0).slice(0, 1)));
      expect(fallback.rows).to.deep.equal([]);
      expect(fallback.note).to.match(/No calibrated model/);
    });
  });

  describe('leastSquares', () => {
    it('recovers exact coefficients and gives a constant predictor 0', () => {
      const x1 = [1, 2, 3, 4, 5];
      const x2 = [2, 1, 4, 3, 6];
      const c = [7, 7, 7, 7, 7];
      const y = x1.map((v, i) => 3 + 2 * v - 0.5 * (x2[i] as number));
      const fit = leastSquares(y, [x1, c, x2]);
      expect(fit.intercept).to.be.closeTo(3, 1e-9);
      expect(fit.coefficients[0]).to.be.closeTo(2, 1e-9);
      expect(fit.coefficients[1]).to.equal(0);
      expect(fit.coefficients[2]).to.be.closeTo(-0.5, 1e-9);
    });
  });
});
