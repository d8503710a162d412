import { expect } from 'chai';
import { incompleteBeta, logGamma, normalQuantile, tQuantile } from '../src/index.js';

/** Two-sided 95 % multipliers t(0.975, df), from scipy.stats.t.ppf (SciPy 1.17). */
const T975: [number, number][] = [
  [1, 12.706204736174694],
  [2, 4.302652729749462],
  [3, 3.1824463052837078],
  [4, 2.7764451051977934],
  [5, 2.5705818356363146],
  [6, 2.4469118511449786],
  [7, 2.364624251592784],
  [8, 2.306004135204166],
  [9, 2.262157162798205],
  [10, 2.228138851986274],
  [15, 2.131449545559776],
  [20, 2.085963447265864],
  [25, 2.0595385527532972],
  [29, 2.045229642132703],
  [30, 2.0422724563012378],
  [60, 2.0002978220142604],
  [120, 1.9799304050824402],
];

describe('Student t and normal quantiles', () => {
  for (const [df, expected] of T975) {
    it(`gives t(0.975, ${df}) = ${expected.toFixed(6)} to 1e-9`, () => {
      expect(tQuantile(0.975, df)).to.be.closeTo(expected, 1e-9);
    });
  }

  it('matches other published quantiles (0.995 and 0.95 tails)', () => {
    expect(tQuantile(0.995, 1)).to.be.closeTo(63.656741162871526, 1e-7);
    expect(tQuantile(0.995, 10)).to.be.closeTo(3.16927267261695, 1e-9);
    expect(tQuantile(0.95, 5)).to.be.closeTo(2.0150483733330233, 1e-9);
    expect(tQuantile(1e-12, 3)).to.be.closeTo(-10331.108244292487, 1e-6);
  });

  it('matches the closed forms for df 1 (Cauchy) and df 2 far into the tails', () => {
    for (const p of [0.6, 0.9, 0.999, 0.999999]) {
      const cauchy = Math.tan(Math.PI * (p - 0.5));
      expect(tQuantile(p, 1) / cauchy).to.be.closeTo(1, 1e-9);
      const two = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
      expect(tQuantile(p, 2) / two).to.be.closeTo(1, 1e-9);
    }
  });

  it('is antisymmetric around the median and zero at it', () => {
    expect(tQuantile(0.5, 7)).to.equal(0);
    expect(tQuantile(0.025, 5)).to.be.closeTo(-2.5705818356363146, 1e-9);
  });

  it('tends to the normal quantile as df grows, continuously across the large-df switch', () => {
    expect(tQuantile(0.975, 1e4)).to.be.closeTo(1.960201239890626, 1e-9);
    expect(tQuantile(0.975, 99_999)).to.be.closeTo(tQuantile(0.975, 100_001), 1e-8);
    expect(tQuantile(0.975, 1e9)).to.be.closeTo(1.959963984540054, 1e-8);
    expect(tQuantile(0.975, Number.POSITIVE_INFINITY)).to.be.closeTo(1.959963984540054, 1e-12);
  });

  it('gives the standard normal quantiles', () => {
    expect(normalQuantile(0.975)).to.be.closeTo(1.959963984540054, 1e-12);
    expect(normalQuantile(0.995)).to.be.closeTo(2.5758293035489004, 1e-12);
    expect(normalQuantile(0.05)).to.be.closeTo(-1.6448536269514722, 1e-12);
    expect(normalQuantile(1e-10)).to.be.closeTo(-6.361340902404056, 1e-9);
    expect(normalQuantile(1e-300)).to.be.closeTo(-37.0470962993612, 1e-8);
  });

  it('refuses probabilities outside (0, 1) and non-positive df with E_INVALID_ARGUMENT', () => {
    for (const p of [0, 1, -0.1, 1.5, Number.NaN]) {
      expect(() => tQuantile(p, 3))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    }
    expect(() => tQuantile(0.9, 0))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(() => tQuantile(0.9, Number.NaN))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('computes the incomplete beta function and log-gamma at known points', () => {
    expect(incompleteBeta(0.3, 1, 1)).to.be.closeTo(0.3, 1e-14);
    expect(incompleteBeta(0.5, 4.5, 4.5)).to.be.closeTo(0.5, 1e-14);
    expect(incompleteBeta(0.2, 3, 1)).to.be.closeTo(0.008, 1e-14);
    expect(incompleteBeta(0, 2, 3)).to.equal(0);
    expect(incompleteBeta(1, 2, 3)).to.equal(1);
    expect(logGamma(5)).to.be.closeTo(Math.log(24), 1e-12);
    expect(logGamma(0.5)).to.be.closeTo(0.5 * Math.log(Math.PI), 1e-12);
  });
});
