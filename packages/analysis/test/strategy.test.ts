import { expect } from 'chai';
import { chooseStrategy, uncalibratedPrecopyModel } from '../src/index.js';

const MiB = 1024 * 1024;
const model = uncalibratedPrecopyModel();
const input = (dirtyMiBps: number) => ({ memoryMiB: 256, dirtyRateBps: dirtyMiBps * MiB, bandwidthBps: 100 * MiB });

describe('chooseStrategy (downtime target)', () => {
  it('keeps default pre-copy when its predicted downtime meets the target', () => {
    const c = chooseStrategy(model, input(0), 500);
    expect(c.strategy).to.equal('precopy');
    expect(c.maxDowntimeMs).to.equal(undefined);
  });

  it('sets max downtime to the target when default pre-copy would stop above it', () => {
    const c = chooseStrategy(model, input(50), 50);
    expect(c.strategy).to.equal('precopy-max-downtime');
    expect(c.maxDowntimeMs).to.equal(50);
    expect(c.prediction.kind === 'converges' && c.prediction.downtimeMs).to.be.at.most(50);
    expect(c.reason).to.match(/max downtime 50 ms/);
  });

  it('throttles with auto-converge a guest dirtying a little faster than the link, post-copy one far faster', () => {
    expect(chooseStrategy(model, input(150), 50)).to.include({ strategy: 'precopy-auto-converge', autoConverge: true });
    const fast = chooseStrategy(model, input(400), 50);
    expect(fast).to.include({ strategy: 'postcopy', postCopy: true });
    expect(fast.reason).to.match(/not to converge/);
    expect(chooseStrategy(model, input(400), 50, { postCopyAllowed: false }).strategy).to.equal(
      'precopy-auto-converge',
    );
  });

  it('refuses a target that is not a positive number with E_INVALID_ARGUMENT', () => {
    expect(() => chooseStrategy(model, input(0), 0))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });
});
