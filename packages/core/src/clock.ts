import { AbortedError } from './errors.js';

/**
 * A time source. Loops that sample or wait (the balancing loop, the fake cluster's CPU time and
 * migration timing) read it, so a test that controls the clock controls every number they see.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (or any fixed origin for a manual clock). */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock; rejects with `E_ABORTED` when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortedError(signal: AbortSignal): AbortedError {
  return new AbortedError('sleep', { cause: signal.reason });
}

/**
 * Wall-clock time. `Date.now` and `setTimeout` are looked up on every call, so sinon's
 * `useFakeTimers()` installed before or after creating a fake controls it as well.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortedError(signal));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortedError(signal as AbortSignal));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
