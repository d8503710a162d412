import { expect } from 'chai';
import {
  confidenceInterval,
  mean,
  sampleSd,
  summarize,
  summarizeCells,
  type TrialRecord,
  trialCpuMean,
} from '../src/index.js';

function trial(workload: string, cap: number, t: number, values: number[]): TrialRecord {
  return {
    experimentId: 'e',
    workload,
    ramMiB: 1024,
    vcpus: 1,
    capPercent: cap,
    hostCores: 2,
    trial: t,
    cpuSamples: values.map((v, i) => ({
      tMs: i * 1000,
      domainPercentOfCpu: v,
      domainPercentOfHost: v / 2,
      hostPercent: v / 2 + 1,
    })),
    workloadScore: 1,
  };
}

describe('statistics', () => {
  it('computes mean and sample standard deviation with n - 1', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).to.equal(5);
    expect(sampleSd(xs)).to.be.closeTo(Math.sqrt(32 / 7), 1e-12);
  });

  it('builds the Student-t 95 % interval of the mean', () => {
    // mean 10, sd 1 (values 9, 10, 11): half-width = t(0.975, 2) / sqrt(3).
    const ci = confidenceInterval([9, 10, 11]);
    expect(ci.halfWidth).to.be.closeTo(4.302652729749464 / Math.sqrt(3), 1e-9);
    expect(ci.low).to.be.closeTo(10 - ci.halfWidth, 1e-12);
    expect(ci.high).to.be.closeTo(10 + ci.halfWidth, 1e-12);
    expect(confidenceInterval([9, 10, 11], 0.99).halfWidth).to.be.greaterThan(ci.halfWidth);
  });

  it('summarises one value with null sd and CI rather than NaN', () => {
    expect(summarize([3])).to.deep.equal({ n: 1, mean: 3, sd: null, ci: null });
  });

  it('gives a zero-width interval for identical values', () => {
    const s = summarize([5, 5, 5]);
    expect(s.sd).to.equal(0);
    expect(s.ci?.halfWidth).to.equal(0);
  });

  it('refuses empty input, non-finite values and a bad level with E_INVALID_ARGUMENT', () => {
    expect(() => mean([]))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(() => sampleSd([1]))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(() => mean([1, Number.NaN]))
      .to.throw()
      .with.property('field', 'values[1]');
    expect(() => confidenceInterval([1, 2], 1))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('groups trials per matrix cell, one value (the sample mean) per trial', () => {
    const records = [
      trial('a', 50, 0, [48, 50]),
      trial('a', 50, 1, [50, 52]),
      trial('a', 100, 0, [97]),
      trial('b', 50, 0, [40]),
    ];
    const cells = summarizeCells(records, 'domainPercentOfCpu');
    expect(cells.map((c) => [c.key.workload, c.key.capPercent, c.summary.n, c.summary.mean])).to.deep.equal([
      ['a', 50, 2, 50],
      ['a', 100, 1, 97],
      ['b', 50, 1, 40],
    ]);
    expect(cells[0]?.values).to.deep.equal([49, 51]);
    expect(trialCpuMean(records[0] as TrialRecord, 'domainPercentOfHost')).to.equal(24.5);
  });

  it('refuses a trial without CPU samples', () => {
    expect(() => trialCpuMean(trial('a', 50, 0, []), 'hostPercent'))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });
});
