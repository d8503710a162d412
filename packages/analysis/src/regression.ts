import { InvalidArgumentError } from '@virtmig/core';

function centred(xs: readonly number[]): number[] {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.map((x) => x - m);
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Columns this much shorter than they started after orthogonalisation are linear combinations of earlier ones. */
const RANK_TOLERANCE = 1e-9;

/**
 * The coefficient of determination R² of the least-squares fit y ≈ b0 + Σ bj·xj (the square of
 * the multiple correlation coefficient of y with the predictors). Solved by modified Gram-Schmidt
 * on centred columns, which is stable and copes with collinear predictors by dropping the
 * dependent ones. Returns null when y is constant (its correlation is undefined).
 * Throws `E_INVALID_ARGUMENT` when lengths differ.
 */
export function multipleCorrelationSquared(
  y: readonly number[],
  predictors: readonly (readonly number[])[],
): number | null {
  for (const [j, x] of predictors.entries()) {
    if (x.length !== y.length) {
      throw new InvalidArgumentError(`predictors[${j}]`, `has ${x.length} values, y has ${y.length}`);
    }
  }
  if (y.length < 2) throw new InvalidArgumentError('y', `needs at least 2 values, got ${y.length}`);
  const yc = centred(y);
  const sst = dot(yc, yc);
  if (sst === 0) return null;
  const basis: number[][] = [];
  for (const x of predictors) {
    let v = centred(x);
    const start = Math.sqrt(dot(v, v));
    if (start === 0) continue;
    // Two passes of Gram-Schmidt keep the basis orthogonal to working precision.
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(q, v);
        v = v.map((vi, i) => vi - c * (q[i] as number));
      }
    }
    const norm = Math.sqrt(dot(v, v));
    if (norm <= RANK_TOLERANCE * start) continue;
    basis.push(v.map((vi) => vi / norm));
  }
  const explained = basis.reduce((s, q) => s + dot(q, yc) ** 2, 0);
  return Math.min(1, Math.max(0, explained / sst));
}

/** A least-squares fit y ≈ intercept + Σ coefficients[j]·xj. */
export interface LinearFit {
  /** b0. */
  readonly intercept: number;
  /** bj per predictor, in the order given (0 for a predictor dropped as constant or collinear). */
  readonly coefficients: readonly number[];
}

/**
 * Fits y ≈ b0 + Σ bj·xj by least squares, with the same centred modified Gram-Schmidt as
 * {@link multipleCorrelationSquared}: predictors that are constant or linear combinations of
 * earlier ones get coefficient 0 instead of making the system singular.
 * Throws `E_INVALID_ARGUMENT` when lengths differ or there are fewer than 2 values.
 */
export function leastSquares(y: readonly number[], predictors: readonly (readonly number[])[]): LinearFit {
  for (const [j, x] of predictors.entries()) {
    if (x.length !== y.length) {
      throw new InvalidArgumentError(`predictors[${j}]`, `has ${x.length} values, y has ${y.length}`);
    }
  }
  if (y.length < 2) throw new InvalidArgumentError('y', `needs at least 2 values, got ${y.length}`);
  const yMean = y.reduce((s, v) => s + v, 0) / y.length;
  const means = predictors.map((x) => x.reduce((s, v) => s + v, 0) / x.length);
  const yc = centred(y);
  // Q holds orthonormal columns; rows of R (upper triangular) express each kept column in Q.
  const q: number[][] = [];
  const r: number[][] = [];
  const kept: number[] = [];
  for (const [j, x] of predictors.entries()) {
    let v = centred(x);
    const start = Math.sqrt(dot(v, v));
    if (start === 0) continue;
    const coeffs = new Array<number>(q.length).fill(0);
    for (let pass = 0; pass < 2; pass++) {
      for (const [k, qk] of q.entries()) {
        const c = dot(qk, v);
        coeffs[k] = (coeffs[k] as number) + c;
        v = v.map((vi, i) => vi - c * (qk[i] as number));
      }
    }
    const norm = Math.sqrt(dot(v, v));
    if (norm <= RANK_TOLERANCE * start) continue;
    q.push(v.map((vi) => vi / norm));
    r.push([...coeffs, norm]);
    kept.push(j);
  }
  // Solve R b = Qᵀ y by back substitution; column k of R is r[k].
  const qty = q.map((qk) => dot(qk, yc));
  const b = new Array<number>(q.length).fill(0);
  for (let k = q.length - 1; k >= 0; k--) {
    let s = qty[k] as number;
    for (let m = k + 1; m < q.length; m++) s -= ((r[m] as number[])[k] as number) * (b[m] as number);
    b[k] = s / ((r[k] as number[])[k] as number);
  }
  const coefficients = new Array<number>(predictors.length).fill(0);
  for (const [k, j] of kept.entries()) coefficients[j] = b[k] as number;
  const intercept = yMean - coefficients.reduce((s, c, j) => s + c * (means[j] as number), 0);
  return { intercept, coefficients };
}
