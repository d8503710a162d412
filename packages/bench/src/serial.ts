import { type FileHandle, open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { TimeoutError } from '@virtmig/core';

/** A heartbeat line `HB <seq> <uptime-ms>` with the host time it was read. */
export interface Heartbeat {
  readonly seq: number;
  readonly guestMs: number;
  /** `performance.now()` when the host read it. */
  readonly hostMs: number;
}

/** Any other console line with the host time it was read. */
export interface ConsoleLine {
  readonly text: string;
  readonly hostMs: number;
}

/**
 * Follows a guest's serial log (scripts/guest/init's protocol) and stamps every line with the
 * host's monotonic clock. The guest's own clock stands still while QEMU is paused, so only
 * host-side arrival gaps show the unavailability around a migration.
 */
export class SerialWatcher {
  readonly beats: Heartbeat[] = [];
  readonly lines: ConsoleLine[] = [];
  private fh: FileHandle | undefined;
  private offset = 0;
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly buf = Buffer.alloc(1 << 16);

  constructor(
    readonly path: string,
    readonly pollMs = 10,
  ) {}

  async start(): Promise<void> {
    this.fh = await open(this.path, 'r');
    this.timer = setInterval(() => {
      this.poll().catch(() => {});
    }, this.pollMs);
  }

  /** Reads whatever was appended since the last poll. */
  async poll(): Promise<void> {
    if (this.busy || !this.fh) return;
    this.busy = true;
    try {
      for (;;) {
        const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const hostMs = performance.now();
        const parts = (this.partial + this.buf.subarray(0, bytesRead).toString('latin1')).split('\n');
        this.partial = parts.pop() ?? '';
        for (const raw of parts) {
          const text = raw.replace(/\r$/, '');
          const m = /^HB (\d+) (\d+)$/.exec(text);
          if (m) this.beats.push({ seq: Number(m[1]), guestMs: Number(m[2]), hostMs });
          else this.lines.push({ text, hostMs });
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Resolves once `pred()` holds; throws `E_TIMEOUT` after `timeoutMs`, `E_ABORTED`-style rejection on abort. */
  async waitFor(what: string, pred: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const t0 = performance.now();
    while (!pred()) {
      signal?.throwIfAborted();
      if (performance.now() - t0 > timeoutMs) throw new TimeoutError(what, timeoutMs);
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** Largest host-side gap between consecutive heartbeats whose arrival touches [fromMs, toMs]. */
  largestGap(fromMs: number, toMs: number): number | undefined {
    let gap: number | undefined;
    for (let i = 1; i < this.beats.length; i++) {
      const a = this.beats[i - 1] as Heartbeat;
      const b = this.beats[i] as Heartbeat;
      if (b.hostMs < fromMs || a.hostMs > toMs) continue;
      gap = Math.max(gap ?? 0, b.hostMs - a.hostMs);
    }
    return gap;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
    await this.fh?.close();
    this.fh = undefined;
  }
}
