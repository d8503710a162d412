import { InvalidArgumentError } from '@virtmig/core';
import { normalUpperTail } from './distributions.js';

/** The result of {@link mannWhitneyU}. */
export interface MannWhitneyResult {
  /** U of the first sample: the pairs (x, y) with x > y, ties counting one half. */
  readonly u: number;
  /** Two-sided p-value: how likely a U at least this far from n1·n2/2 is when both samples come from one distribution. */
  readonly p: number;
  /** `exact` (the permutation distribution of U, without ties) or `normal` (approximation with tie and continuity corrections). */
  readonly method: 'exact' | 'normal';
  /** Size of the first sample. */
  readonly n1: number;
  /** Size of the second sample. */
  readonly n2: number;
}

/** Up to this many values in all, a sample without ties gets the exact distribution. */
const EXACT_MAX_N = 60;

function check(xs: readonly number[], field: string): void {
  if (!Array.isArray(xs) || xs.length < 1) throw new InvalidArgumentError(field, 'needs at least one value');
  xs.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new InvalidArgumentError(`${field}[${i}]`, `must be a finite number, got ${JSON.stringify(x)}`);
  });
}

/** counts[k] = number of arrangements of n1 x's and n2 y's with U = k (Mann and Whitney's recurrence). */
function uCounts(n1: number, n2: number): number[] {
  // f[i][j] is the distribution for i x's and j y's; row by row over i keeps one row per j.
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i++) {
    const row: number[][] = [[1]];
    for (let j = 1; j <= n2; j++) {
      // The largest value is an x (adds j to U) or a y.
      const withX = prev[j] as number[];
      const withY = row[j - 1] as number[];
      const out = new Array<number>(i * j + 1).fill(0);
      withX.forEach((c, k) => {
        out[k + j] = (out[k + j] ?? 0) + c;
      });
      withY.forEach((c, k) => {
        out[k] = (out[k] ?? 0) + c;
      });
      row.push(out);
    }
    prev = row;
  }
  return prev[n2] as number[];
}

/**
 * The Mann-Whitney U test (Wilcoxon rank-sum) of two independent samples, two-sided. It
 * assumes nothing about the shape of the distributions, which suits a handful of runs per
 * policy with skewed times. Without ties and with at most 60 values in all, the p-value is
 * exact; otherwise it uses the normal approximation with the tie correction of the variance and
 * a continuity correction of 0.5 (as R's `wilcox.test` and SciPy's `mannwhitneyu`).
 * @throws `E_INVALID_ARGUMENT` for an empty sample or a non-finite value.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  check(x, 'x');
  check(y, 'y');
  const n1 = x.length;
  const n2 = y.length;
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  const all = [...x, ...y].sort((a, b) => a - b);
  const tieSizes: number[] = [];
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j] === all[i]) j++;
    if (j - i > 1) tieSizes.push(j - i);
    i = j;
  }
  const n = n1 + n2;
  if (tieSizes.length === 0 && n <= EXACT_MAX_N) {
    const counts = uCounts(n1, n2);
    const total = counts.reduce((s, c) => s + c, 0);
    let le = 0;
    let ge = 0;
    counts.forEach((c, k) => {
      if (k <= u) le += c;
      if (k >= u) ge += c;
    });
    return { u, p: Math.min(1, (2 * Math.min(le, ge)) / total), method: 'exact', n1, n2 };
  }
  const mu = (n1 * n2) / 2;
  const tie = tieSizes.reduce((s, t) => s + t ** 3 - t, 0);
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tie / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1, method: 'normal', n1, n2 };
  const z = Math.max(0, Math.abs(u - mu) - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * normalUpperTail(z)), method: 'normal', n1, n2 };
}
