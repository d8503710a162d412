import { InvalidArgumentError } from '@virtmig/core';
import type { ClusterSnapshot, HostSnapshot, PolicyOptions, Recommendation, VmSnapshot } from './types.js';

/** The study's overload threshold, percent of a host's capacity. */
export const DEFAULT_THRESHOLD_PERCENT = 65;

function finite(v: unknown, field: string, min: number, exclusive = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (exclusive && v === min)) {
    throw new InvalidArgumentError(
      field,
      `must be a finite number ${exclusive ? '>' : '>='} ${min}, got ${JSON.stringify(v)}`,
    );
  }
}

/** Validates a cluster snapshot and the threshold; returns the threshold. Throws `E_INVALID_ARGUMENT`. */
export function checkInput(cluster: ClusterSnapshot, options: PolicyOptions | undefined): number {
  const threshold = options?.thresholdPercent ?? DEFAULT_THRESHOLD_PERCENT;
  finite(threshold, 'thresholdPercent', 0, true);
  if (threshold > 100) throw new InvalidArgumentError('thresholdPercent', `must be <= 100, got ${threshold}`);
  if (!cluster || !Array.isArray(cluster.hosts)) throw new InvalidArgumentError('cluster.hosts', 'must be an array');
  const hosts = new Set<string>();
  const vms = new Set<string>();
  cluster.hosts.forEach((h, i) => {
    const f = `cluster.hosts[${i}]`;
    if (typeof h.name !== 'string' || h.name === '')
      throw new InvalidArgumentError(`${f}.name`, 'must be a non-empty string');
    if (hosts.has(h.name)) throw new InvalidArgumentError(`${f}.name`, `duplicate host ${JSON.stringify(h.name)}`);
    hosts.add(h.name);
    if (!Number.isInteger(h.cores) || h.cores < 1) {
      throw new InvalidArgumentError(`${f}.cores`, `must be an integer >= 1, got ${JSON.stringify(h.cores)}`);
    }
    if (h.memoryMiB !== undefined) finite(h.memoryMiB, `${f}.memoryMiB`, 0);
    const list: readonly VmSnapshot[] = h.vms;
    if (!Array.isArray(list)) throw new InvalidArgumentError(`${f}.vms`, 'must be an array');
    list.forEach((vm: VmSnapshot, j: number) => {
      const g = `${f}.vms[${j}]`;
      if (typeof vm.name !== 'string' || vm.name === '')
        throw new InvalidArgumentError(`${g}.name`, 'must be a non-empty string');
      if (vms.has(vm.name)) throw new InvalidArgumentError(`${g}.name`, `duplicate VM ${JSON.stringify(vm.name)}`);
      vms.add(vm.name);
      finite(vm.ramMiB, `${g}.ramMiB`, 0, true);
      finite(vm.cpuPercent, `${g}.cpuPercent`, 0);
      vm.cpuHistory?.forEach((x: number, k: number) => {
        finite(x, `${g}.cpuHistory[${k}]`, 0);
      });
      if (vm.expectedTotalTimeMs !== undefined) finite(vm.expectedTotalTimeMs, `${g}.expectedTotalTimeMs`, 0);
      if (vm.expectedDowntimeMs !== undefined) finite(vm.expectedDowntimeMs, `${g}.expectedDowntimeMs`, 0);
    });
  });
  const pinned: unknown = options?.pinned;
  if (pinned !== undefined && (!Array.isArray(pinned) || pinned.some((n) => typeof n !== 'string'))) {
    throw new InvalidArgumentError('pinned', 'must be an array of VM names');
  }
  return threshold;
}

/** The CPU use of a host's domains in percent of its capacity. */
export function hostLoad(host: HostSnapshot): number {
  return host.vms.reduce((s, vm) => s + vm.cpuPercent, 0) / host.cores;
}

/** Formats a percentage for reasons. */
export function pc(x: number): string {
  return `${x.toFixed(1)} %`;
}

/** Orders by a numeric key, then by name, so every policy is deterministic under ties. */
export function byKeyThenName<T extends { name: string }>(key: (t: T) => number): (a: T, b: T) => number {
  return (a, b) => key(a) - key(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The overloaded host a policy moves a VM from: its load, and the VMs on it that are not pinned. */
export interface Source {
  /** The host. */
  readonly host: HostSnapshot;
  /** Its load, percent of its capacity. */
  readonly load: number;
  /** Its VMs that the policy may choose (every VM but the pinned ones). */
  readonly choosable: readonly VmSnapshot[];
}

/**
 * Either the most loaded host above the threshold, or a no-migration answer saying that none is
 * (or that every VM on it is pinned).
 */
export function findSource(
  policy: string,
  cluster: ClusterSnapshot,
  threshold: number,
  options?: PolicyOptions,
): Source | Recommendation {
  const loads = cluster.hosts.map((host) => ({ host, name: host.name, load: hostLoad(host) }));
  const over = loads.filter((l) => l.load > threshold).sort(byKeyThenName((l) => -l.load));
  const top = over[0];
  if (!top) {
    const summary = loads.map((l) => `${l.name} ${pc(l.load)}`).join(', ') || 'no hosts';
    return { kind: 'no-migration', policy, reason: `no host is above the ${pc(threshold)} threshold (${summary})` };
  }
  if (top.host.vms.length === 0) {
    return { kind: 'no-migration', policy, reason: `${top.name} is above the threshold but runs no VM` };
  }
  const pinned = new Set(options?.pinned ?? []);
  const choosable = top.host.vms.filter((vm) => !pinned.has(vm.name));
  if (choosable.length === 0) {
    return {
      kind: 'no-migration',
      policy,
      reason: `${top.name} is above the threshold but every VM on it is pinned (${top.host.vms.map((v) => v.name).join(', ')})`,
    };
  }
  return { host: top.host, load: top.load, choosable };
}

/** MiB of a host's memory its VMs leave free, or Infinity when the host's memory is not known. */
function freeMemoryMiB(host: HostSnapshot): number {
  if (host.memoryMiB === undefined) return Number.POSITIVE_INFINITY;
  return host.memoryMiB - host.vms.reduce((s, vm) => s + vm.ramMiB, 0);
}

/**
 * The least-used other host that stays below the threshold with the VM added (OpenStack
 * Watcher's destination rule) and, when its memory is known, has room for the VM's RAM, or
 * null when none can take it.
 */
export function findDestination(
  cluster: ClusterSnapshot,
  source: HostSnapshot,
  vm: VmSnapshot,
  threshold: number,
): { host: HostSnapshot; before: number; after: number } | null {
  const fits = cluster.hosts
    .filter((h) => h.name !== source.name)
    .map((host) => ({
      host,
      name: host.name,
      before: hostLoad(host),
      after: hostLoad(host) + vm.cpuPercent / host.cores,
    }))
    .filter((c) => c.after < threshold && freeMemoryMiB(c.host) >= vm.ramMiB)
    .sort(byKeyThenName((c) => c.before));
  return fits[0] ?? null;
}

/** Completes a policy's choice of `vm` on `source` with a destination, or explains why there is none. */
export function recommend(
  policy: string,
  cluster: ClusterSnapshot,
  source: Source,
  vm: VmSnapshot,
  threshold: number,
  why: string,
): Recommendation {
  const head = `${source.host.name} is at ${pc(source.load)} CPU, above the ${pc(threshold)} threshold; ${why}`;
  const dest = findDestination(cluster, source.host, vm, threshold);
  if (!dest) {
    return {
      kind: 'no-migration',
      policy,
      reason: `${head}, but no other host stays below ${pc(threshold)} with it and has room for its ${vm.ramMiB} MiB`,
    };
  }
  return {
    kind: 'migrate',
    policy,
    vm: vm.name,
    source: source.host.name,
    destination: dest.host.name,
    reason: `${head}; move it to ${dest.host.name}, the least-used host that can take it (${pc(dest.before)} → ${pc(dest.after)})`,
  };
}
