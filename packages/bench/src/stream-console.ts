import { performance } from 'node:perf_hooks';
import { type Hypervisor, isConsoleCapable, UnsupportedError } from '@virtmig/core';
import { ConsoleLog, type ConsoleWatcher } from './serial.js';

/** How often a host without the domain (yet, or any more) is asked again for its console. */
const RETRY_MS = 100;

/**
 * Follows a guest's console through the hypervisors' own connections (core's `ConsoleCapable`,
 * a libvirt stream for libvirt drivers): works on hosts that share no filesystem with this
 * machine, over any URI. Each host is followed in turn for as long as it has the guest, so the
 * console follows a migration: the source's ends when the guest leaves, the destination's opens
 * once it runs there. Lines are stamped with this machine's clock when they arrived.
 */
export class StreamConsoleWatcher extends ConsoleLog implements ConsoleWatcher {
  private controller: AbortController | undefined;
  private followers: Promise<void>[] = [];

  constructor(
    private readonly hosts: readonly Hypervisor[],
    private readonly domain: string,
    pollMs = 10,
  ) {
    super(pollMs);
    for (const h of hosts) {
      if (!isConsoleCapable(h)) throw new UnsupportedError('reading a console over the connection', h.driver);
    }
  }

  async start(): Promise<void> {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.followers = this.hosts.map((h) => this.follow(h, signal));
  }

  private async follow(host: Hypervisor, signal: AbortSignal): Promise<void> {
    if (!isConsoleCapable(host)) return;
    while (!signal.aborted) {
      try {
        const lines = await host.openConsole(this.domain, { signal });
        for await (const line of lines) {
          // The stream stamps wall-clock time; the log's clock is this process's monotonic one.
          this.push(line.text, performance.now() - Math.max(0, Date.now() - line.atMs));
          if (signal.aborted) break;
        }
      } catch {
        // Not on this host (yet, or any more), or its console closed: ask again shortly.
      }
      if (!signal.aborted) await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await Promise.all(this.followers);
    this.followers = [];
  }
}
