import { expect } from 'chai';
import { predictPrecopy, relativeError } from '../src/index.js';

const MiB = 1024 * 1024;

describe('pre-copy model', () => {
  it('predicts total time and downtime with the geometric formula', () => {
    // M = 1024 MiB, R = 100 MiB/s, D = 50 MiB/s: lambda 0.5; threshold 300 ms x 100 MiB/s = 30 MiB.
    // Remaining 1024, 512, ..., 32, 16: n = 6 (1024 x 0.5^6 = 16 <= 30).
    const p = predictPrecopy({
      memoryBytes: 1024 * MiB,
      bandwidthBps: 100 * MiB,
      dirtyRateBps: 50 * MiB,
      resumeTimeMs: 20,
    });
    if (p.kind !== 'converges') throw new Error('expected convergence');
    expect(p.lambda).to.equal(0.5);
    expect(p.rounds).to.equal(6);
    expect(p.stopReason).to.equal('threshold');
    expect(p.stopAndCopyBytes).to.equal(16 * MiB);
    const total = (1024 * (1 - 0.5 ** 7)) / (100 * (1 - 0.5));
    expect(p.totalTimeMs).to.be.closeTo(total * 1000 + 20, 1e-6);
    expect(p.downtimeMs).to.be.closeTo(160 + 20, 1e-9);
  });

  it('stops at the iteration limit when the threshold is not reached first', () => {
    const p = predictPrecopy({
      memoryBytes: 1024 * MiB,
      bandwidthBps: 100 * MiB,
      dirtyRateBps: 90 * MiB,
      maxIterations: 3,
    });
    if (p.kind !== 'converges') throw new Error('expected convergence');
    expect(p.rounds).to.equal(3);
    expect(p.stopReason).to.equal('max-iterations');
    expect(p.downtimeMs).to.be.closeTo(((1024 * 0.9 ** 3) / 100) * 1000, 1e-6);
  });

  it('says non-convergent, not NaN, when the guest dirties memory as fast as the link sends it', () => {
    for (const D of [100, 150]) {
      const p = predictPrecopy({ memoryBytes: 1024 * MiB, bandwidthBps: 100 * MiB, dirtyRateBps: D * MiB });
      expect(p.kind).to.equal('non-convergent');
      if (p.kind === 'non-convergent') {
        expect(p.lambda).to.equal(D / 100);
        expect(p.reason).to.match(/lambda >= 1/);
      }
    }
  });

  it('copies once and stops when the whole memory fits in the downtime budget, whatever lambda is', () => {
    const p = predictPrecopy({ memoryBytes: 16 * MiB, bandwidthBps: 100 * MiB, dirtyRateBps: 300 * MiB });
    expect(p).to.deep.include({ kind: 'converges', rounds: 0 });
    if (p.kind === 'converges') expect(p.totalTimeMs).to.be.closeTo(160, 1e-9);
  });

  it('needs one round and no stop-and-copy data for an idle guest', () => {
    const p = predictPrecopy({ memoryBytes: 512 * MiB, bandwidthBps: 128 * MiB, dirtyRateBps: 0 });
    expect(p).to.deep.include({ kind: 'converges', rounds: 1, stopAndCopyBytes: 0, downtimeMs: 0 });
    if (p.kind === 'converges') expect(p.totalTimeMs).to.equal(4000);
  });

  it('honours an explicit byte threshold over the downtime limit', () => {
    const p = predictPrecopy({
      memoryBytes: 1024 * MiB,
      bandwidthBps: 100 * MiB,
      dirtyRateBps: 50 * MiB,
      thresholdBytes: 300 * MiB,
    });
    expect(p).to.deep.include({ kind: 'converges', rounds: 2, thresholdBytes: 300 * MiB });
  });

  it('refuses zero bandwidth, negative dirty rates and fractional iteration limits', () => {
    const base = { memoryBytes: MiB, bandwidthBps: MiB, dirtyRateBps: 0 };
    expect(() => predictPrecopy({ ...base, bandwidthBps: 0 }))
      .to.throw()
      .with.property('field', 'bandwidthBps');
    expect(() => predictPrecopy({ ...base, dirtyRateBps: -1 }))
      .to.throw()
      .with.property('field', 'dirtyRateBps');
    expect(() => predictPrecopy({ ...base, maxIterations: 1.5 }))
      .to.throw()
      .with.property('field', 'maxIterations');
    expect(() => predictPrecopy({ ...base, memoryBytes: Number.POSITIVE_INFINITY }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('computes relative error and null against a zero measurement', () => {
    expect(relativeError(110, 100)).to.be.closeTo(0.1, 1e-12);
    expect(relativeError(90, 100)).to.be.closeTo(0.1, 1e-12);
    expect(relativeError(1, 0)).to.equal(null);
  });
});
