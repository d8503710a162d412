import { multipleCorrelationSquared } from '../regression.js';
import { byKeyThenName, checkInput, findSource, recommend } from './common.js';
import type { ClusterSnapshot, PolicyOptions, Recommendation, VmSnapshot } from './types.js';

/**
 * Maximum correlation (CloudSim's PowerVmSelectionPolicyMaximumCorrelation, Beloglazov and
 * Buyya 2012): on the most loaded host above the threshold, migrate the VM whose CPU history is
 * best explained by the other VMs' histories — the highest R² of a least-squares regression of
 * its history on theirs — because VMs whose load rises together are what overload a host.
 * Histories are aligned on their most recent samples (the shortest one sets the window, as in
 * CloudSim). Needs at least two VMs and a window of (VMs + 1) samples, else says why it cannot
 * decide. VMs with a constant history have no defined correlation and are not candidates.
 */
export function maximumCorrelationPolicy(cluster: ClusterSnapshot, options: PolicyOptions = {}): Recommendation {
  const policy = 'maximum-correlation';
  const threshold = checkInput(cluster, options);
  const source = findSource(policy, cluster, threshold, options);
  if ('kind' in source) return source;
  const vms = source.host.vms;
  const name = source.host.name;
  if (vms.length < 2) {
    return {
      kind: 'no-migration',
      policy,
      reason: `${name} is overloaded but runs one VM: there is nothing to correlate it with`,
    };
  }
  const missing = vms.filter((vm) => !vm.cpuHistory || vm.cpuHistory.length === 0).map((vm) => vm.name);
  if (missing.length) {
    return { kind: 'no-migration', policy, reason: `no CPU history for ${missing.join(', ')} on ${name}` };
  }
  const window = Math.min(...vms.map((vm) => (vm.cpuHistory as readonly number[]).length));
  const needed = vms.length + 1;
  if (window < needed) {
    return {
      kind: 'no-migration',
      policy,
      reason: `the CPU histories on ${name} hold ${window} samples; regressing each of ${vms.length} VMs on the others needs at least ${needed}`,
    };
  }
  const series = vms.map((vm) => (vm.cpuHistory as readonly number[]).slice(-window));
  const scored = vms
    .map((vm, i) => ({
      vm,
      name: vm.name,
      r2: multipleCorrelationSquared(
        series[i] as number[],
        series.filter((_, j) => j !== i),
      ),
    }))
    .filter((s): s is { vm: VmSnapshot; name: string; r2: number } => s.r2 !== null && source.choosable.includes(s.vm))
    .sort(byKeyThenName((s) => -s.r2));
  const best = scored[0];
  if (!best) {
    return {
      kind: 'no-migration',
      policy,
      reason: `every VM on ${name} has a constant CPU history, so no correlation is defined`,
    };
  }
  const list = scored.map((s) => `${s.name} ${s.r2.toFixed(3)}`).join(', ');
  return recommend(
    policy,
    cluster,
    source,
    best.vm,
    threshold,
    `${best.name}'s CPU history correlates most with the other VMs' (R² over the last ${window} samples: ${list})`,
  );
}
