import { type FileHandle, open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { type ObservedHeartbeat, parseHeartbeatLine } from '@virtmig/core';

/** What the heartbeat says about one migration. */
export interface HeartbeatReport {
  /** Largest gap between consecutive heartbeats as the host saw them arrive: unavailability plus up to one period. */
  readonly hostGapMs: number;
  /** Largest gap by the guest's own clock (smaller than the real pause, which the guest does not see). */
  readonly guestGapMs: number;
  /** Last sequence number seen before the migration started. */
  readonly seqBefore: number;
  /** Last sequence number seen when the watch stopped. */
  readonly seqAfter: number;
  /** True when every sequence number in between arrived once, in order: the guest never restarted. */
  readonly continuous: boolean;
  /** Heartbeats seen during the watch. */
  readonly beats: number;
}

/**
 * Follows a guest's serial log (the guest image's `HB <seq> <ms>` protocol) and stamps each
 * heartbeat with the host clock as it appears. Downtime has to be timed on the host: the guest's
 * clock does not advance while QEMU is paused.
 */
export class HeartbeatWatcher {
  /** Heartbeats read since {@link start}, in file order. */
  readonly beats: ObservedHeartbeat[] = [];
  private fh: FileHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private offset = 0;
  private partial = '';
  private busy: Promise<void> | undefined;

  /** @param path the serial log file; @param pollMs how often to read it (the resolution of the gap). */
  constructor(
    readonly path: string,
    readonly pollMs = 5,
  ) {}

  /** Opens the log; with `fromEnd` only lines written from now on count. */
  async start(fromEnd = true): Promise<void> {
    this.fh = await open(this.path, 'r');
    if (fromEnd) this.offset = (await this.fh.stat()).size;
    this.timer = setInterval(() => {
      void this.poll();
    }, this.pollMs);
  }

  /** Reads whatever the log gained since the last read. */
  poll(): Promise<void> {
    this.busy ??= this.read().finally(() => {
      this.busy = undefined;
    });
    return this.busy;
  }

  private async read(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset).catch(() => ({ bytesRead: 0 }));
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      const now = performance.now();
      const parts = (this.partial + buf.subarray(0, bytesRead).toString('latin1')).split('\n');
      this.partial = parts.pop() ?? '';
      for (const raw of parts) {
        const beat = parseHeartbeatLine(raw);
        if (beat) this.beats.push({ ...beat, hostMs: now });
      }
    }
  }

  /** Last sequence number read, -1 before the first. */
  get lastSeq(): number {
    return this.beats.at(-1)?.seq ?? -1;
  }

  /** Resolves once `pred` holds; rejects after `timeoutMs`. */
  async waitFor(pred: (w: this) => boolean, timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!pred(this)) {
      if (performance.now() > until) throw new Error(`no matching heartbeat in ${this.path} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** Stops polling after a last read and closes the file. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
    await this.fh?.close();
    this.fh = undefined;
  }

  /** Gaps and continuity over the beats from index `from` on (the beat just before the migration). */
  report(from = 0): HeartbeatReport {
    const beats = this.beats.slice(Math.max(0, from));
    let hostGapMs = 0;
    let guestGapMs = 0;
    let continuous = beats.length > 0;
    for (let i = 1; i < beats.length; i++) {
      const a = beats[i - 1] as ObservedHeartbeat;
      const b = beats[i] as ObservedHeartbeat;
      hostGapMs = Math.max(hostGapMs, b.hostMs - a.hostMs);
      guestGapMs = Math.max(guestGapMs, b.guestMs - a.guestMs);
      if (b.seq !== a.seq + 1) continuous = false;
    }
    return {
      hostGapMs: Math.round(hostGapMs),
      guestGapMs,
      seqBefore: beats[0]?.seq ?? -1,
      seqAfter: beats.at(-1)?.seq ?? -1,
      continuous,
      beats: beats.length,
    };
  }
}
