import { type ClusterSnapshot, estimatesFromTrials, type TrialRecord, type VmSnapshot } from '@virtmig/analysis';

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

/**
 * The study's scenario replayed from measurements: one host (as many cores as the trials'
 * largest `hostCores`) runs one VM per workload, each using what its trials at the highest cap
 * measured (mean domain CPU in % of one CPU), with the largest RAM tried and the measured mean
 * migration time and downtime; a second, idle host of the same size can take a VM. Pure; throws nothing.
 */
export function clusterFromRecords(records: readonly TrialRecord[]): ClusterSnapshot {
  const cores = Math.max(1, ...records.map((r) => r.hostCores));
  const estimates = estimatesFromTrials(records);
  const workloads = [...new Set(records.map((r) => r.workload))];
  const vms: VmSnapshot[] = workloads.map((w) => {
    const mine = records.filter((r) => r.workload === w);
    const topCap = Math.max(...mine.map((r) => r.capPercent));
    const atTop = mine.filter((r) => r.capPercent === topCap);
    const est = estimates.get(w);
    return {
      name: `vm-${w}`,
      ramMiB: Math.max(...mine.map((r) => r.ramMiB)),
      cpuPercent: mean(atTop.map((r) => mean(r.cpuSamples.map((s) => s.domainPercentOfCpu)))),
      cpuHistory: (atTop[0]?.cpuSamples ?? []).map((s) => s.domainPercentOfCpu),
      ...(est ? { expectedTotalTimeMs: est.totalTimeMs } : {}),
      ...(est?.downtimeMs !== undefined ? { expectedDowntimeMs: est.downtimeMs } : {}),
    };
  });
  // Max-correlation regresses on aligned histories: cut them to a common length.
  const len = Math.min(...vms.map((v) => v.cpuHistory?.length ?? 0));
  const aligned = vms.map((v) => ({ ...v, cpuHistory: (v.cpuHistory ?? []).slice(0, len) }));
  return {
    hosts: [
      { name: 'host-a', cores, vms: aligned },
      { name: 'host-b', cores, vms: [] },
    ],
  };
}
