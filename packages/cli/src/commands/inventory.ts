import type { DomainInfo, DomainStats, HostInfo, Hypervisor } from '@virtmig/core';
import type { Output } from '../output.js';
import { table } from '../output.js';

/** One host with its domains and their statistics. */
export interface Inventory {
  /** The host's libvirt URI. */
  readonly uri: string;
  /** What the hypervisor reports about the host. */
  readonly host: HostInfo;
  /** Its domains. */
  readonly domains: readonly DomainInfo[];
  /** Statistics of its domains. */
  readonly stats: readonly DomainStats[];
}

/** Collects host info, domains and all-domain stats from each hypervisor. */
export async function collectInventory(hosts: readonly Hypervisor[]): Promise<Inventory[]> {
  return Promise.all(
    hosts.map(async (h) => ({
      uri: h.uri,
      host: await h.hostInfo(),
      domains: await h.listDomains(),
      stats: await h.allDomainStats(),
    })),
  );
}

const mib = (kib: number): string => `${Math.round(kib / 1024)}`;

/** Prints an inventory as text or JSON. */
export function printInventory(out: Output, inv: readonly Inventory[]): void {
  out.data(inv, () =>
    inv
      .map((i) => {
        const h = i.host;
        const head = `${i.uri}  ${h.hypervisorType} ${h.hypervisorVersion}, libvirt ${h.libvirtVersion}, ${h.cpus} CPUs (${h.model} ${h.mhz} MHz), ${mib(h.memoryKiB)} MiB`;
        const rows = i.domains.map((d) => {
          const s = i.stats.find((x) => x.name === d.name);
          return [
            d.name,
            d.state,
            d.vcpus,
            mib(d.memoryKiB),
            (d.cpuTimeNs / 1e9).toFixed(2),
            s ? Object.keys(s.fields).length : 0,
          ];
        });
        return `${head}\n${table(['DOMAIN', 'STATE', 'VCPUS', 'MEM(MiB)', 'CPU(s)', 'STATS'], rows)}`;
      })
      .join('\n\n'),
  );
}
