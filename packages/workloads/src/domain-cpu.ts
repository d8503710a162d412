import {
  assertDomainName,
  assertInt,
  type Hypervisor,
  InvalidArgumentError,
  isVirtmigError,
  NotFoundError,
} from '@virtmig/core';
import { sleepUnlessAborted } from './sleep.js';

/** The Hypervisor methods {@link DomainCpuSampler} uses; any connected Hypervisor has them. */
export type DomainCpuSource = Pick<Hypervisor, 'hostInfo' | 'allDomainStats' | 'lookupDomain'>;

/** A domain's cumulative CPU time at one instant. */
export interface DomainCpuReading {
  /** Domain name. */
  readonly name: string;
  /** Cumulative CPU time, ns. */
  readonly cpuTimeNs: number;
}

/** One domain's usage over one interval. */
export interface DomainCpuUsage {
  /** Domain name. */
  readonly name: string;
  /** Cumulative CPU time at the end of the interval, ns. */
  readonly cpuTimeNs: number;
  /** CPU time used during the interval, ns. */
  readonly deltaCpuNs: number;
  /** Percent of one host CPU (200 = two CPUs busy). */
  readonly percentOfOneCpu: number;
  /** Percent of the whole host (100 = every host CPU busy). */
  readonly percentOfHost: number;
}

/** One sample of every watched domain. */
export interface DomainCpuSample {
  /** When the interval ended, milliseconds since the Unix epoch. */
  readonly at: number;
  /** Length of the interval as measured, in ms. */
  readonly intervalMs: number;
  /** Logical CPUs of the host, as `hostInfo().cpus` reported. */
  readonly hostCpus: number;
  /**
   * Domains seen in both reads. A domain that appeared, disappeared (e.g. migrated away) or whose
   * CPU time went backwards (restarted) is left out of this sample and counted afresh from the next.
   */
  readonly domains: readonly DomainCpuUsage[];
}

/**
 * CPU usage of each domain between two readings taken `elapsedNs` apart on a host with `hostCpus` CPUs.
 * Throws `E_INVALID_ARGUMENT` for a non-positive interval or CPU count.
 */
export function domainUsageBetween(
  prev: readonly DomainCpuReading[],
  next: readonly DomainCpuReading[],
  elapsedNs: number,
  hostCpus: number,
): DomainCpuUsage[] {
  if (!(elapsedNs > 0) || !Number.isFinite(elapsedNs))
    throw new InvalidArgumentError('elapsedNs', `must be > 0, got ${elapsedNs}`);
  assertInt(hostCpus, 'hostCpus', 1, 1 << 20);
  const before = new Map(prev.map((r) => [r.name, r.cpuTimeNs]));
  const out: DomainCpuUsage[] = [];
  for (const r of next) {
    const then = before.get(r.name);
    if (then === undefined || r.cpuTimeNs < then) continue;
    const deltaCpuNs = r.cpuTimeNs - then;
    const percentOfOneCpu = (deltaCpuNs / elapsedNs) * 100;
    out.push({
      name: r.name,
      cpuTimeNs: r.cpuTimeNs,
      deltaCpuNs,
      percentOfOneCpu,
      percentOfHost: percentOfOneCpu / hostCpus,
    });
  }
  return out;
}

/** Options of {@link DomainCpuSampler}. */
export interface DomainCpuSamplerOptions {
  /** Sampling interval in ms (default 1000). */
  readonly intervalMs?: number;
  /** Watch only these domains (default: every domain the host reports). */
  readonly domains?: readonly string[];
  /**
   * `stats` (default) reads every domain in one `allDomainStats()` call; `lookup` calls
   * `lookupDomain()` per watched domain, for drivers without bulk stats (needs `domains`).
   */
  readonly source?: 'stats' | 'lookup';
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
  /** Overrides `hostInfo().cpus`, e.g. to express usage against the cores the guests are pinned to. */
  readonly hostCpus?: number;
  /** Monotonic clock in ns (default `process.hrtime.bigint`); tests substitute their own. */
  readonly clockNs?: () => bigint;
  /** Sleeps between samples (default: a timer that the signal cuts short); tests substitute their own. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
}

/**
 * Samples per-domain CPU usage from a hypervisor's cumulative CPU-time counters. Each sample
 * covers the interval since the previous read; the interval is measured, not assumed, and each
 * read is timed at the midpoint of the hypervisor call.
 *
 * @example
 * for await (const s of new DomainCpuSampler(hv, { intervalMs: 1000, signal })) {
 *   for (const d of s.domains) console.log(d.name, d.percentOfHost.toFixed(1));
 * }
 */
export class DomainCpuSampler implements AsyncIterable<DomainCpuSample> {
  /** Milliseconds between samples. */
  readonly intervalMs: number;
  private readonly options: DomainCpuSamplerOptions;

  constructor(
    private readonly hypervisor: DomainCpuSource,
    options: DomainCpuSamplerOptions = {},
  ) {
    const intervalMs = options.intervalMs ?? 1000;
    assertInt(intervalMs, 'intervalMs', 1, 86_400_000);
    if (options.hostCpus !== undefined) assertInt(options.hostCpus, 'hostCpus', 1, 1 << 20);
    for (const [i, d] of (options.domains ?? []).entries()) assertDomainName(d, `domains[${i}]`);
    if (options.source === 'lookup' && !options.domains?.length) {
      throw new InvalidArgumentError('domains', 'the lookup source needs the domain names to watch');
    }
    if (options.source !== undefined && options.source !== 'stats' && options.source !== 'lookup') {
      throw new InvalidArgumentError('source', `must be stats or lookup, got ${JSON.stringify(options.source)}`);
    }
    this.intervalMs = intervalMs;
    this.options = options;
  }

  /** Reads every watched domain's cumulative CPU time, and the monotonic time of the read. */
  async read(): Promise<{
    /** One reading per watched domain. */
    readings: DomainCpuReading[];
    /** Monotonic time of the read, ns (midway between its start and end). */
    atNs: bigint;
  }> {
    const clock = this.options.clockNs ?? process.hrtime.bigint;
    const watched = this.options.domains ? new Set(this.options.domains) : undefined;
    const before = clock();
    let readings: DomainCpuReading[];
    if (this.options.source === 'lookup') {
      const found = await Promise.all(
        [...(watched ?? [])].map(async (name) => {
          try {
            const info = await this.hypervisor.lookupDomain(name);
            return { name, cpuTimeNs: info.cpuTimeNs };
          } catch (e) {
            // A domain that migrated away or was undefined simply drops out of the sample.
            if (e instanceof NotFoundError || isVirtmigError(e, 'E_NOT_FOUND')) return undefined;
            throw e;
          }
        }),
      );
      readings = found.filter((r): r is DomainCpuReading => r !== undefined);
    } else {
      const stats = await this.hypervisor.allDomainStats();
      readings = stats
        .filter((s) => s.cpuTimeNs !== undefined && (!watched || watched.has(s.name)))
        .map((s) => ({ name: s.name, cpuTimeNs: s.cpuTimeNs as number }));
    }
    const after = clock();
    return { readings, atNs: before + (after - before) / 2n };
  }

  /** Yields one sample per interval until the signal aborts. */
  async *[Symbol.asyncIterator](): AsyncIterator<DomainCpuSample> {
    const hostCpus = this.options.hostCpus ?? (await this.hypervisor.hostInfo()).cpus;
    assertInt(hostCpus, 'hostInfo().cpus', 1, 1 << 20);
    const sleep = this.options.sleep ?? sleepUnlessAborted;
    let prev = await this.read();
    while (await sleep(this.intervalMs, this.options.signal)) {
      const next = await this.read();
      const elapsedNs = Number(next.atNs - prev.atNs);
      if (elapsedNs > 0) {
        yield {
          at: Date.now(),
          intervalMs: elapsedNs / 1e6,
          hostCpus,
          domains: domainUsageBetween(prev.readings, next.readings, elapsedNs, hostCpus),
        };
      }
      prev = next;
    }
  }
}
