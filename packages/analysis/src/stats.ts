import { InvalidArgumentError } from '@virtmig/core';
import { tQuantile } from './distributions.js';

/** A two-sided confidence interval for a mean. */
export interface ConfidenceInterval {
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
  /** Lower bound. */
  readonly low: number;
  /** Upper bound. */
  readonly high: number;
  /** Half the interval's width: the "±" figure. */
  readonly halfWidth: number;
}

/** Mean, sample standard deviation and confidence interval of a set of observations. */
export interface Summary {
  /** Number of observations. */
  readonly n: number;
  /** Arithmetic mean. */
  readonly mean: number;
  /** Sample standard deviation (n - 1 denominator); null for a single observation. */
  readonly sd: number | null;
  /** Student-t confidence interval of the mean; null for a single observation. */
  readonly ci: ConfidenceInterval | null;
}

function checkValues(xs: readonly number[], field: string, min: number): void {
  if (!Array.isArray(xs) || xs.length < min) {
    throw new InvalidArgumentError(
      field,
      `needs at least ${min} value(s), got ${Array.isArray(xs) ? xs.length : typeof xs}`,
    );
  }
  xs.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new InvalidArgumentError(`${field}[${i}]`, `must be a finite number, got ${JSON.stringify(x)}`);
    }
  });
}

/** Arithmetic mean. Throws `E_INVALID_ARGUMENT` for an empty list or a non-finite value. */
export function mean(xs: readonly number[]): number {
  checkValues(xs, 'values', 1);
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample standard deviation (Bessel's n - 1). Needs at least two values. */
export function sampleSd(xs: readonly number[]): number {
  checkValues(xs, 'values', 2);
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

function checkLevel(level: number): void {
  if (typeof level !== 'number' || !(level > 0 && level < 1)) {
    throw new InvalidArgumentError('level', `must be strictly between 0 and 1, got ${level}`);
  }
}

/**
 * Two-sided Student-t confidence interval of the mean: mean ± t(1 - (1 - level)/2, n - 1) · sd / sqrt(n).
 * Needs at least two values.
 */
export function confidenceInterval(xs: readonly number[], level = 0.95): ConfidenceInterval {
  checkLevel(level);
  const sd = sampleSd(xs);
  const m = mean(xs);
  const halfWidth = (tQuantile(1 - (1 - level) / 2, xs.length - 1) * sd) / Math.sqrt(xs.length);
  return { level, low: m - halfWidth, high: m + halfWidth, halfWidth };
}

/** {@link Summary} of `xs`; sd and CI are null when there is only one value. */
export function summarize(xs: readonly number[], level = 0.95): Summary {
  checkLevel(level);
  checkValues(xs, 'values', 1);
  if (xs.length === 1) return { n: 1, mean: xs[0] as number, sd: null, ci: null };
  return { n: xs.length, mean: mean(xs), sd: sampleSd(xs), ci: confidenceInterval(xs, level) };
}

/** The value at quantile q (0..1) of `xs`, by linear interpolation between order statistics; NaN for no values. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/** The median of `xs`; NaN for no values. */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}
