import { assertInt, assertNumber, type Clock, InvalidArgumentError, StateError, systemClock } from '@virtmig/core';
import { FakeHost, type FakeHostOptions } from './host.js';

/** Timing and link parameters shared by every host of a {@link FakeNetwork}. */
export interface FakeNetworkOptions {
  /** Time source for CPU accounting and migrations (default: {@link systemClock}). */
  readonly clock?: Clock;
  /** Migration link bandwidth in bytes per second (default 125 000 000: the study's 1 Gb/s). */
  readonly bandwidthBps?: number;
  /** One-way latency in ms; commitment costs a round trip (default 1). */
  readonly latencyMs?: number;
  /** Initialisation plus reservation before the first round, ms (default 20). */
  readonly setupMs?: number;
  /** Starting the guest on the destination, ms (default 10). */
  readonly activationMs?: number;
  /** How often a running migration reports progress, ms (default 50, as QEMU's guestperf samples). */
  readonly progressIntervalMs?: number;
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Whether `name` is a usable fake host name. */
export function isFakeHostName(name: unknown): name is string {
  return typeof name === 'string' && HOST_NAME.test(name);
}

/** Throws `E_INVALID_ARGUMENT` unless `name` is a usable fake host name. */
export function assertHostName(name: unknown, field = 'host'): asserts name is string {
  if (!isFakeHostName(name)) {
    throw new InvalidArgumentError(field, `must match ${HOST_NAME}, got ${JSON.stringify(name)}`);
  }
}

/**
 * A cluster of fake hosts joined by one migration link. Hosts live here, not in connections:
 * like libvirt daemons, a host keeps its domains when a connection to it closes, and every
 * connection to the same host name sees the same domains.
 */
export class FakeNetwork {
  /** Time source for CPU accounting and migrations. */
  readonly clock: Clock;
  /** Migration link bandwidth in bytes per second. */
  readonly bandwidthBps: number;
  /** One-way latency in ms. */
  readonly latencyMs: number;
  /** Initialisation plus reservation before the first round, ms. */
  readonly setupMs: number;
  /** Starting the guest on the destination, ms. */
  readonly activationMs: number;
  /** How often a running migration reports progress, ms. */
  readonly progressIntervalMs: number;
  private readonly hosts = new Map<string, FakeHost>();
  private readonly unreachable = new Set<string>();

  constructor(options: FakeNetworkOptions = {}) {
    const bandwidthBps = options.bandwidthBps ?? 125_000_000;
    const latencyMs = options.latencyMs ?? 1;
    const setupMs = options.setupMs ?? 20;
    const activationMs = options.activationMs ?? 10;
    const progressIntervalMs = options.progressIntervalMs ?? 50;
    assertNumber(bandwidthBps, 'bandwidthBps', 1, Number.MAX_SAFE_INTEGER);
    assertNumber(latencyMs, 'latencyMs', 0, 60_000);
    assertNumber(setupMs, 'setupMs', 0, 3_600_000);
    assertNumber(activationMs, 'activationMs', 0, 3_600_000);
    assertInt(progressIntervalMs, 'progressIntervalMs', 1, 60_000);
    this.clock = options.clock ?? systemClock;
    this.bandwidthBps = bandwidthBps;
    this.latencyMs = latencyMs;
    this.setupMs = setupMs;
    this.activationMs = activationMs;
    this.progressIntervalMs = progressIntervalMs;
  }

  /**
   * Creates host `name` with `options` (CPUs, memory, which features it offers).
   * Throws `E_STATE` when it already exists: a host's hardware does not change under its guests.
   */
  addHost(name: string, options: FakeHostOptions = {}): void {
    assertHostName(name);
    if (this.hosts.has(name)) throw new StateError(`fake host "${name}" already exists`, { host: name });
    this.hosts.set(name, new FakeHost(name, this, options));
  }

  /** Names of the hosts created so far, sorted. */
  hostNames(): string[] {
    return [...this.hosts.keys()].sort();
  }

  /**
   * Makes `host` unreachable (or reachable again) for migrations: a migration to or from it
   * fails at its next step and leaves the guest running on the source.
   */
  setReachable(host: string, reachable: boolean): void {
    assertHostName(host);
    if (reachable) this.unreachable.delete(host);
    else this.unreachable.add(host);
  }

  /** Whether migrations can reach `host`. */
  isReachable(host: string): boolean {
    return !this.unreachable.has(host);
  }

  /**
   * The host called `name`, created with default options on first use.
   * @internal used by connections; tests configure hosts through {@link addHost}.
   */
  host(name: string): FakeHost {
    assertHostName(name);
    let host = this.hosts.get(name);
    if (!host) {
      host = new FakeHost(name, this, {});
      this.hosts.set(name, host);
    }
    return host;
  }
}

/** The network that {@link connectFake} and `new FakeHypervisor()` use when given none. */
export const defaultFakeNetwork = new FakeNetwork();
