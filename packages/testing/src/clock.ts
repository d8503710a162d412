import { AbortedError, type Clock } from '@virtmig/core';

export { type Clock, systemClock } from '@virtmig/core';

function abortedError(signal: AbortSignal): AbortedError {
  return new AbortedError('sleep', { cause: signal.reason });
}

interface Sleeper {
  readonly due: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/** Lets the continuations of resolved sleeps run (and schedule their next sleep) before time moves on. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that only moves when told to. `advance` wakes sleepers in due order and lets each
 * woken continuation run before moving further, so a simulated migration progresses exactly as
 * it would in real time, only deterministically.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly sleepers: Sleeper[] = [];

  /** @param startMs the initial reading of {@link now}. */
  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (Number.isNaN(ms)) {
        reject(new RangeError('sleep: ms is NaN'));
        return;
      }
      if (signal?.aborted) {
        reject(abortedError(signal));
        return;
      }
      if (ms <= 0) {
        resolve();
        return;
      }
      const sleeper: Sleeper = {
        due: this.current + ms,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.sleepers.indexOf(sleeper);
        if (i >= 0) this.sleepers.splice(i, 1);
        reject(abortedError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Number of sleeps waiting for time to pass. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking every sleeper that falls due on the way. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance: ms must be a finite number >= 0, got ${ms}`);
    await this.advanceTo(this.current + ms);
  }

  private async advanceTo(target: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.sleepers.splice(this.sleepers.indexOf(next), 1);
      this.current = Math.max(this.current, next.due);
      next.resolve();
      await settle();
    }
    this.current = target;
  }

  /**
   * Advances until nothing sleeps any more (e.g. a migration finished), at most `limitMs`
   * ahead so a never-ending sleeper cannot hang a test. Returns the time advanced.
   */
  async runAll(limitMs = 24 * 3600 * 1000): Promise<number> {
    const start = this.current;
    await settle();
    for (;;) {
      const next = this.earliest();
      if (!next || next.due - start > limitMs) break;
      // Absolute, so that rounding in due - now cannot leave the sleeper just short of due.
      await this.advanceTo(next.due);
    }
    return this.current - start;
  }

  private earliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (!best || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    }
    return best;
  }
}
