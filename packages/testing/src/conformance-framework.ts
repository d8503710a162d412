import { InvalidArgumentError } from '@virtmig/core';

/**
 * The few test-framework functions the conformance kit registers its checks with, so the same
 * kit runs under mocha (the default) and under `node:test` ({@link nodeTestFramework}).
 */
export interface ConformanceFramework {
  /** Registers a suite. */
  describe(title: string, body: () => void): void;
  /** Registers a test with its timeout. */
  it(title: string, timeoutMs: number, fn: () => Promise<void>): void;
  /** Registers a test reported as pending/skipped, never as passed. */
  pending(title: string, reason: string): void;
  /** Registers a hook run before the suite's tests. */
  before(timeoutMs: number, fn: () => Promise<void>): void;
  /** Registers a hook run after the suite's tests. */
  after(timeoutMs: number, fn: () => Promise<void>): void;
}

/** mocha's `before`/`after`: registers `fn`, run with mocha's context so it can set its own timeout. */
export type Hook = (fn: (this: { timeout(ms: number): void }) => Promise<void>) => void;

/** mocha's BDD globals, as `describe`/`it`/`before`/`after` in a file mocha loads. */
export interface MochaLike {
  /** mocha's `describe`. */
  describe(title: string, body: () => void): void;
  /** mocha's `it`. */
  it(title: string, fn?: (this: { timeout(ms: number): void }) => Promise<void>): void;
  /** mocha's `before`. */
  before: Hook;
  /** mocha's `after`. */
  after: Hook;
}

/**
 * Adapts mocha's functions (default: mocha's globals). Pending checks are mocha pending tests
 * (an `it` without a body), shown by every reporter with their title, which carries the reason.
 *
 * @throws InvalidArgumentError `E_INVALID_ARGUMENT` when mocha's globals are missing and none are given.
 */
export function mochaFramework(mocha?: MochaLike): ConformanceFramework {
  const g = mocha ?? (globalThis as unknown as Partial<MochaLike>);
  if (typeof g.describe !== 'function' || typeof g.it !== 'function' || typeof g.before !== 'function') {
    throw new InvalidArgumentError(
      'framework',
      'runConformance registers mocha tests by default: call it at the top level of a file mocha loads, or pass framework: nodeTestFramework(nodeTest)',
    );
  }
  const m = g as MochaLike;
  return {
    describe: (title, body) => m.describe(title, body),
    it: (title, timeoutMs, fn) =>
      m.it(title, async function () {
        this.timeout(timeoutMs);
        await fn();
      }),
    pending: (title) => m.it(title),
    before: (timeoutMs, fn) =>
      m.before(async function () {
        this.timeout(timeoutMs);
        await fn();
      }),
    after: (timeoutMs, fn) =>
      m.after(async function () {
        this.timeout(timeoutMs);
        await fn();
      }),
  };
}

/** The parts of `node:test` the adapter uses (pass the module: `import * as nodeTest from 'node:test'`). */
export interface NodeTestLike {
  /** `node:test`'s `describe`. */
  describe(name: string, fn: () => void): unknown;
  /** `node:test`'s `it`. */
  it(name: string, options: { timeout?: number; skip?: string | boolean }, fn?: () => Promise<void>): unknown;
  /** `node:test`'s `before`. */
  before(fn: () => Promise<void>, options?: { timeout?: number }): unknown;
  /** `node:test`'s `after`. */
  after(fn: () => Promise<void>, options?: { timeout?: number }): unknown;
}

/** Adapts `node:test`, for `node --test` runs: pending checks become skipped tests with their reason. */
export function nodeTestFramework(t: NodeTestLike): ConformanceFramework {
  return {
    describe: (title, body) => {
      t.describe(title, body);
    },
    it: (title, timeoutMs, fn) => {
      t.it(title, { timeout: timeoutMs }, fn);
    },
    pending: (title, reason) => {
      t.it(title, { skip: reason });
    },
    before: (timeoutMs, fn) => {
      t.before(fn, { timeout: timeoutMs });
    },
    after: (timeoutMs, fn) => {
      t.after(fn, { timeout: timeoutMs });
    },
  };
}
