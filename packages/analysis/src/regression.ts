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
