import { assertInt, assertNumber, InvalidArgumentError, type WorkloadBudget } from '@virtmig/core';

/** Longest run the binaries accept, in seconds. */
export const MAX_SECONDS = 1e7;
/** Largest iteration count the binaries accept. */
export const MAX_ITERATIONS = 1e15;

/** Throws `E_INVALID_ARGUMENT` unless `budget` is exactly one of a positive time or count. */
export function assertBudget(budget: unknown): asserts budget is WorkloadBudget {
  if (typeof budget !== 'object' || budget === null) {
    throw new InvalidArgumentError('budget', 'must be { seconds } or { iterations }');
  }
  const b = budget as Record<string, unknown>;
  const keys = Object.keys(b);
  if (keys.length !== 1 || (keys[0] !== 'seconds' && keys[0] !== 'iterations')) {
    throw new InvalidArgumentError(
      'budget',
      `must have exactly one of seconds or iterations, got ${JSON.stringify(keys)}`,
    );
  }
  if ('seconds' in b) {
    assertNumber(b.seconds, 'budget.seconds', 0, MAX_SECONDS);
    if (b.seconds <= 0) throw new InvalidArgumentError('budget.seconds', 'must be > 0');
  } else {
    assertInt(b.iterations, 'budget.iterations', 1, MAX_ITERATIONS);
  }
}

/** The budget as the binaries' flags. */
export function budgetFlags(budget: WorkloadBudget): string[] {
  return 'seconds' in budget ? ['--seconds', String(budget.seconds)] : ['--iterations', String(budget.iterations)];
}
