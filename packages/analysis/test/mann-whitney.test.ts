import { expect } from 'chai';
import { mannWhitneyU } from '../src/index.js';

// Reference values from SciPy 1.17 `scipy.stats.mannwhitneyu` (two-sided).
describe('mannWhitneyU', () => {
  const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.9, 0.74, 1.21];

  it("gives the exact p-value without ties (R's wilcox.test example: U = 35, p = 0.2544)", () => {
    const r = mannWhitneyU(x, y);
    expect(r).to.deep.include({ u: 35, method: 'exact', n1: 10, n2: 5 });
    expect(r.p).to.be.closeTo(0.2544122544122544, 1e-12);
  });

  it('gives 2/252 for two completely separated samples of five, and U = 0', () => {
    const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r.u).to.equal(0);
    expect(r.p).to.be.closeTo(0.007936507936507936, 1e-12);
    expect(mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])).to.deep.include({ u: 25, p: r.p });
  });

  it('uses the normal approximation with tie and continuity corrections when there are ties', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 3, 3, 4, 5], [3, 4, 4, 5, 5, 6, 7, 7, 8]);
    expect(r).to.deep.include({ u: 7.5, method: 'normal' });
    expect(r.p).to.be.closeTo(0.006373133838085873, 1e-7);
  });

  it('gives p = 1 for identical samples and refuses an empty or non-finite sample with E_INVALID_ARGUMENT', () => {
    expect(mannWhitneyU([3, 3, 3], [3, 3]).p).to.equal(1);
    expect(() => mannWhitneyU([], [1]))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(() => mannWhitneyU([1], [Number.NaN]))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });
});
