import { expect } from 'chai';
import { uncalibratedPrecopyModel } from '../src/index.js';

describe('uncalibratedPrecopyModel', () => {
  it('predicts the pre-copy transfer time of an idle guest and says it is uncalibrated', () => {
    const p = uncalibratedPrecopyModel().predict({ memoryMiB: 100, dirtyRateBps: 0, bandwidthBps: 100 * 1024 * 1024 });
    expect(p.kind).to.equal('converges');
    if (p.kind !== 'converges') return;
    expect(p.totalTimeMs).to.be.closeTo(1000, 1e-6);
    expect(p.totalTimeIntervalMs).to.deep.equal({ low: p.totalTimeMs, high: p.totalTimeMs });
    expect(p.warnings.map((w) => w.code)).to.deep.equal(['uncalibrated']);
  });

  it('says non-convergent when the guest dirties memory faster than the link sends it', () => {
    const p = uncalibratedPrecopyModel().predict({ memoryMiB: 1024, dirtyRateBps: 2e8, bandwidthBps: 1e8 });
    expect(p.kind).to.equal('non-convergent');
    expect(p.model).to.equal('precopy-uncalibrated');
  });
});
