import type { ClusterSnapshot, HostSnapshot, TrialRecord, VmSnapshot } from '@virtmig/analysis';
import { estimatesFromTrials } from '@virtmig/analysis';
import { abortableSleep, DomainCpuSampler, domainUsageBetween, labHostPairs } from '@virtmig/bench';
import { type ConnectOptions, type DriverRegistry, type Hypervisor, InvalidArgumentError } from '@virtmig/core';

/** The workload a lab guest runs, from `virtmig.workload=` on its kernel command line. */
export function workloadOfXml(xml: string): string | undefined {
  return /virtmig\.workload=([A-Za-z0-9_-]+)/.exec(xml)?.[1];
}

/** Hosts for `--live`: `lab`, or comma-separated libvirt URIs. */
export async function liveHosts(spec: string): Promise<{ name: string; uri: string; options: ConnectOptions }[]> {
  if (spec === 'lab') {
    const [pair] = await labHostPairs();
    if (!pair) throw new InvalidArgumentError('--hosts', 'the lab has no hosts');
    const options = pair.connectOptions ?? {};
    return [
      { name: 'a', uri: pair.source, options },
      { name: 'b', uri: pair.destination, options },
    ];
  }
  const uris = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (uris.length < 2) throw new InvalidArgumentError('--hosts', 'needs at least two host URIs (A,B) or "lab"');
  return uris.map((uri) => ({ name: uri, uri, options: {} }));
}

async function snapshotHost(
  h: Hypervisor,
  name: string,
  sampleMs: number,
  estimates: ReturnType<typeof estimatesFromTrials>,
): Promise<HostSnapshot> {
  const cores = (await h.hostInfo()).cpus;
  const running = (await h.listDomains()).filter((d) => d.state === 'running');
  const sampler = new DomainCpuSampler(h, { hostCpus: cores });
  const a = await sampler.read();
  await abortableSleep(sampleMs);
  const b = await sampler.read();
  const usage = domainUsageBetween(a.readings, b.readings, Number(b.atNs - a.atNs), cores);
  const vms: VmSnapshot[] = [];
  for (const d of running) {
    const u = usage.find((x) => x.name === d.name);
    if (!u) continue;
    const est = estimates.get(workloadOfXml(await h.domainXml(d.name)) ?? '');
    vms.push({
      name: d.name,
      ramMiB: Math.round(d.maxMemoryKiB / 1024),
      cpuPercent: u.percentOfOneCpu,
      ...(est ? { expectedTotalTimeMs: est.totalTimeMs } : {}),
      ...(est?.downtimeMs !== undefined ? { expectedDowntimeMs: est.downtimeMs } : {}),
    });
  }
  return { name, cores, vms };
}

/**
 * The running cluster: each host's running domains with their CPU use over `sampleMs`, and
 * expected migration costs from the measured trials of the workload each guest runs.
 */
export async function liveCluster(
  registry: DriverRegistry,
  hosts: readonly { name: string; uri: string; options: ConnectOptions }[],
  records: readonly TrialRecord[],
  sampleMs = 1000,
): Promise<ClusterSnapshot> {
  const estimates = estimatesFromTrials(records);
  const conns: Hypervisor[] = [];
  try {
    for (const h of hosts) conns.push(await registry.connect(h.uri, h.options));
    return {
      hosts: await Promise.all(conns.map((c, i) => snapshotHost(c, hosts[i]?.name ?? c.uri, sampleMs, estimates))),
    };
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}
