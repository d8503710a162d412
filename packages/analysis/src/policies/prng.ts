import { InvalidArgumentError } from '@virtmig/core';

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every platform, which is what makes the random policy reproducible. Returns numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed))
    throw new InvalidArgumentError('seed', `must be an integer, got ${JSON.stringify(seed)}`);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
