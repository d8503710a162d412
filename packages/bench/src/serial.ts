import { type ChildProcess, spawn } from 'node:child_process';
import { type FileHandle, open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { type GuestConsoleLine, type ObservedHeartbeat, parseGuestConsoleLine, TimeoutError } from '@virtmig/core';

/** Any other console line with the host time it was read. */
export interface ConsoleLine {
  /** The line without its trailing newline (and `\r`). */
  readonly text: string;
  /** What the guest's protocol says the line is. */
  readonly parsed: Exclude<GuestConsoleLine, { kind: 'heartbeat' }>;
  /** `performance.now()` when the host read it. */
  readonly hostMs: number;
}

/**
 * A guest console as lines stamped with this machine's monotonic clock when they arrived
 * (scripts/guest/init's protocol: `HB <seq> <ms>` heartbeats and other lines). The guest's own
 * clock stands still while it is paused (QEMU) or skips the paused time (Xen PV), so only
 * arrival gaps show the unavailability around a migration. Sources push lines; readers wait on
 * them and measure gaps.
 */
export class ConsoleLog {
  /** Heartbeats in arrival order, each sequence number once. */
  readonly beats: ObservedHeartbeat[] = [];
  /** Non-heartbeat lines in arrival order. */
  readonly lines: ConsoleLine[] = [];
  private readonly seen = new Set<number>();

  constructor(
    /** Milliseconds between polls of the source and between checks of a waiting reader. */
    readonly pollMs = 10,
  ) {}

  /**
   * Records one line read at `hostMs`. A heartbeat whose sequence number was already recorded
   * is dropped: sources that follow a console on two hosts may both deliver it.
   */
  push(raw: string, hostMs: number): void {
    const text = raw.replace(/\r$/, '');
    const parsed = parseGuestConsoleLine(text);
    if (parsed.kind !== 'heartbeat') {
      this.lines.push({ text, parsed, hostMs });
      return;
    }
    if (this.seen.has(parsed.seq)) return;
    this.seen.add(parsed.seq);
    this.beats.push({ seq: parsed.seq, guestMs: parsed.guestMs, hostMs });
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
      const a = this.beats[i - 1] as ObservedHeartbeat;
      const b = this.beats[i] as ObservedHeartbeat;
      if (b.hostMs < fromMs || a.hostMs > toMs) continue;
      gap = Math.max(gap ?? 0, b.hostMs - a.hostMs);
    }
    return gap;
  }
}

/** A {@link ConsoleLog} with a source that is started and stopped. */
export interface ConsoleWatcher extends ConsoleLog {
  /** Starts following the console; lines arrive in {@link ConsoleLog.beats} and {@link ConsoleLog.lines}. */
  start(): Promise<void>;
  /** Stops following it after reading what is already there; resolves once the source is closed. */
  stop(): Promise<void>;
}

/**
 * Follows a guest's serial log file (QEMU's `<serial type='file'>`), polling every `pollMs`.
 */
export class SerialWatcher extends ConsoleLog implements ConsoleWatcher {
  private fh: FileHandle | undefined;
  private offset = 0;
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly buf = Buffer.alloc(1 << 16);

  constructor(
    /** Path of the serial log file. */
    readonly path: string,
    pollMs = 10,
  ) {
    super(pollMs);
  }

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
        for (const raw of parts) this.push(raw, hostMs);
      }
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
    await this.fh?.close();
    this.fh = undefined;
  }
}

/**
 * Follows a console through commands that print it as it grows, e.g. `ssh dom0 tail -F
 * /var/log/xen/console/guest-NAME.log` on each host a guest can be on: every line of every
 * command's stdout is stamped when it arrives; heartbeats seen twice count once.
 */
export class CommandConsoleWatcher extends ConsoleLog implements ConsoleWatcher {
  private children: ChildProcess[] = [];

  /** `commands`: argv arrays (program first), run without a shell. */
  constructor(
    private readonly commands: readonly (readonly string[])[],
    pollMs = 10,
  ) {
    super(pollMs);
  }

  async start(): Promise<void> {
    this.children = this.commands.map(([program, ...args]) => {
      const child = spawn(program as string, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      let partial = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        const hostMs = performance.now();
        const parts = (partial + chunk.toString('latin1')).split('\n');
        partial = parts.pop() ?? '';
        for (const raw of parts) this.push(raw, hostMs);
      });
      // A follower that cannot start (no ssh) must not crash the run; the guest's readiness wait reports it.
      child.on('error', () => {});
      return child;
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('close', () => resolve());
            c.kill();
          }),
      ),
    );
    this.children = [];
  }
}
