import { expect } from 'chai';
import { multipleCorrelationSquared } from '../src/index.js';

describe('multiple correlation (least squares)', () => {
  const x1 = [1, 2, 3, 4, 5, 6, 7, 8];
  const x2 = [3, 1, 4, 1, 5, 9, 2, 6];

  it('is 1 for an exact linear combination of the predictors', () => {
    const y = x1.map((v, i) => 3 + 2 * v - 0.5 * (x2[i] as number));
    expect(multipleCorrelationSquared(y, [x1, x2])).to.be.closeTo(1, 1e-12);
  });

  it('equals the squared Pearson correlation with one predictor', () => {
    const y = [2, 4, 5, 4, 5, 7, 8, 9];
    const m = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const [mx, my] = [m(x1), m(y)];
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    x1.forEach((v, i) => {
      sxy += (v - mx) * ((y[i] as number) - my);
      sxx += (v - mx) ** 2;
      syy += ((y[i] as number) - my) ** 2;
    });
    expect(multipleCorrelationSquared(y, [x1])).to.be.closeTo(sxy ** 2 / (sxx * syy), 1e-12);
  });

  it('copes with collinear predictors by ignoring the redundant one', () => {
    const y = [2, 4, 5, 4, 5, 7, 8, 9];
    const twice = x1.map((v) => 2 * v + 1);
    expect(multipleCorrelationSquared(y, [x1, twice])).to.be.closeTo(
      multipleCorrelationSquared(y, [x1]) as number,
      1e-12,
    );
  });

  it('returns null for a constant response and refuses mismatched lengths', () => {
    expect(multipleCorrelationSquared([5, 5, 5], [[1, 2, 3]])).to.equal(null);
    expect(() => multipleCorrelationSquared([1, 2, 3], [[1, 2]]))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });
});
