import { InvalidArgumentError } from '@virtmig/core';

/*
 * Quantiles of Student's t and the standard normal distribution, computed from the
 * regularised incomplete beta and gamma functions (Numerical Recipes' continued fractions,
 * Lanczos' log-gamma) and inverted by bisection. Bisection is slow by numerical standards but
 * the functions are monotone, so it cannot miss, and a few hundred evaluations cost well under
 * a millisecond.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** Natural logarithm of the gamma function for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new InvalidArgumentError('x', `must be a finite number > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < LANCZOS.length; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const FPMIN = 1e-300;
const EPS = 1e-16;
const MAXIT = 100_000;

function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAXIT; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new InvalidArgumentError('a, b', `must be > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new InvalidArgumentError('x', `must be in [0, 1], got ${x}`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast only below the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) above it.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Regularised upper incomplete gamma Q(a, x) for a > 0, x >= 0. */
function upperIncompleteGamma(a: number, x: number): number {
  if (x === 0) return 1;
  const lnFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let del = sum;
    let ap = a;
    for (let n = 0; n < MAXIT; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    return 1 - sum * Math.exp(lnFront);
  }
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAXIT; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(lnFront) * h;
}

/** Upper tail of the standard normal distribution, P(Z > z), for z >= 0. */
export function normalUpperTail(z: number): number {
  return 0.5 * upperIncompleteGamma(0.5, (z * z) / 2);
}

/** Upper tail of Student's t with `df` degrees of freedom, P(T > t), for t >= 0. */
function studentUpperTail(t: number, df: number): number {
  return 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** Finds t >= 0 with tail(t) = q for a decreasing tail function, by bracketing and bisection. */
function invertUpperTail(tail: (t: number) => number, q: number): number {
  let lo = 0;
  let hi = 1;
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi)) return Number.POSITIVE_INFINITY;
  }
  for (let i = 0; i < 300 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The p-quantile of a distribution symmetric about 0, from the inverse of its upper tail.
 * The tail probability is p itself below the median (1 - p would round small p away) and
 * 1 - p above it (exact there).
 */
function symmetric(p: number, inverseUpperTail: (q: number) => number): number {
  if (p === 0.5) return 0;
  return p < 0.5 ? -inverseUpperTail(p) : inverseUpperTail(1 - p);
}

function checkProbability(p: number): void {
  if (typeof p !== 'number' || !(p > 0 && p < 1)) {
    throw new InvalidArgumentError('p', `must be a probability strictly between 0 and 1, got ${p}`);
  }
}

/** The p-quantile of the standard normal distribution (the inverse of its CDF), 0 < p < 1. */
export function normalQuantile(p: number): number {
  checkProbability(p);
  return symmetric(p, (q) => invertUpperTail(normalUpperTail, q));
}

/** Above this many degrees of freedom the Cornish-Fisher expansion is more accurate than the beta route. */
const CORNISH_FISHER_DF = 1e5;

/**
 * The p-quantile of Student's t distribution with `df` degrees of freedom (df > 0, real;
 * `Infinity` gives the normal quantile). For example `tQuantile(0.975, 4)` = 2.776445...,
 * the multiplier of a two-sided 95 % confidence interval from five observations.
 */
export function tQuantile(p: number, df: number): number {
  checkProbability(p);
  if (typeof df !== 'number' || !(df > 0)) throw new InvalidArgumentError('df', `must be > 0, got ${df}`);
  if (df === Number.POSITIVE_INFINITY) return normalQuantile(p);
  if (df > CORNISH_FISHER_DF) {
    // Abramowitz & Stegun 26.7.5.
    const z = normalQuantile(p);
    const z2 = z * z;
    const g1 = (z * (z2 + 1)) / 4;
    const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
    const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
    const g4 = (z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)) / 92160;
    return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
  }
  return symmetric(p, (q) => invertUpperTail((t) => studentUpperTail(t, df), q));
}
