import {
  isVirtmigError,
  type PreflightOptions,
  type PreflightOutcome,
  type PreflightReport,
  runPreflightChecks,
} from '@virtmig/core';
import { XMLParser } from 'fast-xml-parser';
import type { Connection, HypervisorCpuTarget } from './connection.js';
import { ENUMS } from './generated/enums.js';
import type { LibvirtHypervisor } from './hypervisor.js';

const CPU = ENUMS.virCPUCompareResult;
const FAIL_INCOMPATIBLE = ENUMS.virConnectCompareCPUFlags.VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE;

/** A guest disk as the preflight sees it: where its data lives. */
export type GuestDisk = GuestPathDisk | GuestVolumeDisk | GuestNetworkDisk;

/** A file or block disk (`<source file>` / `<source dev>`). */
export interface GuestPathDisk {
  /** The guest device, e.g. `vda`. */
  readonly target: string;
  /** Discriminant. */
  readonly kind: 'path';
  /** The path on the host. */
  readonly path: string;
}

/** A disk from a storage pool (`<disk type='volume'>`). */
export interface GuestVolumeDisk {
  /** The guest device, e.g. `vda`. */
  readonly target: string;
  /** Discriminant. */
  readonly kind: 'volume';
  /** Storage pool name. */
  readonly pool: string;
  /** Volume name in that pool. */
  readonly volume: string;
}

/** A network disk (`<disk type='network'>`, e.g. an iSCSI LUN). */
export interface GuestNetworkDisk {
  /** The guest device, e.g. `vda`. */
  readonly target: string;
  /** Discriminant. */
  readonly kind: 'network';
  /** `iscsi`, `nbd`, `rbd`, ... */
  readonly protocol: string;
  /** The source name, for iSCSI `IQN/LUN`. */
  readonly name: string;
  /** `host:port` of each `<host>`. */
  readonly hosts: readonly string[];
  /** UUID of the `<auth>` secret, when the disk has one. */
  readonly secretUuid?: string;
}

/** A guest network interface as the preflight sees it. */
export interface GuestInterface {
  /** `network` (a libvirt virtual network) or `bridge` (a host bridge); other types are not checked. */
  readonly type: string;
  /** The network's or bridge's name (`<source network>` / `<source bridge>`). */
  readonly source?: string;
}

/** What the preflight reads from a guest's live XML. */
export interface GuestFacts {
  /** The `<cpu>` element as written, when the domain has one. */
  readonly cpuXml?: string;
  /** Its `mode` (`custom` when absent). */
  readonly cpuMode?: string;
  /** Emulator, architecture, machine and `<domain type>`, for the destination's CPU comparison. */
  readonly target: HypervisorCpuTarget;
  /** Disks (devices `disk`, `cdrom`, `floppy`, `lun`) that have a source. */
  readonly disks: readonly GuestDisk[];
  /** Network interfaces. */
  readonly interfaces: readonly GuestInterface[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  isArray: (name) => name === 'disk' || name === 'interface' || name === 'host',
});

type Node = Record<string, unknown>;
const node = (v: unknown): Node => (typeof v === 'object' && v !== null ? (v as Node) : {});
const attr = (n: Node, name: string): string | undefined => {
  const v = n[`@${name}`];
  return typeof v === 'string' ? v : undefined;
};
const text = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v.trim()
    : typeof node(v)['#text'] === 'string'
      ? (node(v)['#text'] as string).trim()
      : undefined;

/** Reads what the preflight checks from a domain's XML. */
export function guestFacts(xml: string): GuestFacts {
  const dom = node(node(parser.parse(xml)).domain);
  const os = node(dom.os);
  const devices = node(dom.devices);
  const type = node(os.type);
  const emulator = text(devices.emulator);
  const target: HypervisorCpuTarget = {
    ...(emulator ? { emulator } : {}),
    ...(attr(type, 'arch') ? { arch: attr(type, 'arch') as string } : {}),
    ...(attr(type, 'machine') ? { machine: attr(type, 'machine') as string } : {}),
    ...(attr(dom, 'type') ? { virttype: attr(dom, 'type') as string } : {}),
  };
  // The element as libvirt wrote it, so the comparison sees exactly the guest's definition.
  const cpuXml = /<cpu\b[^>]*\/>|<cpu\b[\s\S]*?<\/cpu>/.exec(xml)?.[0];
  const disks: GuestDisk[] = [];
  for (const raw of (devices.disk as unknown[] | undefined) ?? []) {
    const d = node(raw);
    const src = node(d.source);
    const t = attr(node(d.target), 'dev') ?? '?';
    const kind = attr(d, 'type');
    const path = attr(src, 'file') ?? attr(src, 'dev') ?? attr(src, 'dir');
    if ((kind === 'file' || kind === 'block' || kind === 'dir') && path) disks.push({ target: t, kind: 'path', path });
    else if (kind === 'volume' && attr(src, 'pool') && attr(src, 'volume'))
      disks.push({
        target: t,
        kind: 'volume',
        pool: attr(src, 'pool') as string,
        volume: attr(src, 'volume') as string,
      });
    else if (kind === 'network') {
      const hosts = ((src.host as unknown[] | undefined) ?? []).map((h) => {
        const n = node(h);
        return `${attr(n, 'name') ?? ''}${attr(n, 'port') ? `:${attr(n, 'port')}` : ''}`;
      });
      const secret = attr(node(node(src.auth).secret), 'uuid');
      disks.push({
        target: t,
        kind: 'network',
        protocol: attr(src, 'protocol') ?? '?',
        name: attr(src, 'name') ?? '',
        hosts,
        ...(secret ? { secretUuid: secret } : {}),
      });
    }
  }
  const interfaces = ((devices.interface as unknown[] | undefined) ?? []).map((raw): GuestInterface => {
    const i = node(raw);
    const type = attr(i, 'type') ?? '?';
    const src = node(i.source);
    const source = type === 'network' ? attr(src, 'network') : type === 'bridge' ? attr(src, 'bridge') : undefined;
    return { type, ...(source ? { source } : {}) };
  });
  const cpuMode =
    cpuXml === undefined ? undefined : (/<cpu\b[^>]*\bmode=['"]([^'"]+)['"]/.exec(cpuXml)?.[1] ?? 'custom');
  return {
    ...(cpuXml !== undefined ? { cpuXml } : {}),
    ...(cpuMode !== undefined ? { cpuMode } : {}),
    target,
    disks,
    interfaces,
  };
}

const formatVersion = (v: number): string => `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;
const mib = (bytes: number): number => Math.floor(bytes / 2 ** 20);
const pass = (reason: string): PreflightOutcome => ({ status: 'pass', reason });
const fail = (reason: string, suggestion?: string): PreflightOutcome => ({
  status: 'fail',
  reason,
  ...(suggestion !== undefined ? { suggestion } : {}),
});
const skip = (reason: string): PreflightOutcome => ({ status: 'skip', reason });
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

/**
 * The destination's host-model CPU from its domain capabilities, as a `<cpu>` element a baseline
 * can take; undefined when it offers none.
 */
export function hostModelCpu(domainCapabilitiesXml: string): string | undefined {
  const body = /<mode name=['"]host-model['"] supported=['"]yes['"]>([\s\S]*?)<\/mode>/.exec(
    domainCapabilitiesXml,
  )?.[1];
  return body === undefined ? undefined : `<cpu mode='custom' match='exact'>${body}</cpu>`;
}

async function cpuCheck(dest: Connection, facts: GuestFacts): Promise<PreflightOutcome> {
  if (facts.cpuXml === undefined)
    return skip("the guest has no <cpu> element: it runs the hypervisor's default CPU model");
  if (facts.cpuMode === 'host-passthrough' || facts.cpuMode === 'maximum')
    return skip(`<cpu mode='${facts.cpuMode}'> names no model libvirt can compare; the hosts' CPUs must be identical`);
  let result: number;
  try {
    result = await dest.compareHypervisorCpu(facts.cpuXml, facts.target);
  } catch (e) {
    if (isVirtmigError(e, 'E_UNSUPPORTED')) return skip(`the destination cannot compare CPUs: ${firstLine(e)}`);
    throw e;
  }
  if (result !== CPU.VIR_CPU_COMPARE_INCOMPATIBLE)
    return pass(
      result === CPU.VIR_CPU_COMPARE_IDENTICAL
        ? "the destination provides the guest's CPU exactly"
        : "the destination provides the guest's CPU (a superset)",
    );
  // Asked again so libvirt says why (the missing features).
  const why = await dest.compareHypervisorCpu(facts.cpuXml, facts.target, FAIL_INCOMPATIBLE).then(
    () => 'libvirt reports the CPUs incompatible',
    (e: unknown) => firstLine(e).replace(/^virConnectCompareHypervisorCPU: /, ''),
  );
  let suggestion: string | undefined;
  try {
    const host = hostModelCpu(await dest.domainCapabilities(facts.target));
    if (host !== undefined) suggestion = (await dest.baselineHypervisorCpu([facts.cpuXml, host], facts.target)).trim();
  } catch {
    // No baseline to offer: the refusal stands on its own.
  }
  return fail(`the destination cannot provide the guest's CPU: ${why}`, suggestion);
}

async function diskCheck(src: Connection, dest: Connection, facts: GuestFacts): Promise<PreflightOutcome> {
  if (facts.disks.length === 0) return pass('the guest has no disks');
  const seen: string[] = [];
  // Paths in no storage pool of either host (a block device an initiator attached, like
  // open-iscsi's /dev/disk/by-path/...; an unmanaged file) cannot be checked through libvirt:
  // unknown is not "unreachable", so they make the check a skip, never a refusal.
  const unknown: string[] = [];
  for (const d of facts.disks) {
    if (d.kind === 'path') {
      if (await dest.hasStorageVolume(d.path)) {
        seen.push(`${d.target} in a destination pool`);
      } else if (await src.hasStorageVolume(d.path)) {
        return fail(
          `disk ${d.target} (${d.path}) is a volume of a source storage pool that no destination pool holds, so the destination is not known to see it`,
        );
      } else {
        unknown.push(`${d.target} (${d.path})`);
      }
    } else if (d.kind === 'volume') {
      if (!(await dest.hasPoolVolume(d.pool, d.volume)))
        return fail(`disk ${d.target}: the destination has no volume ${d.volume} in a pool ${d.pool}`);
      seen.push(`${d.target} ${d.pool}/${d.volume}`);
    } else {
      if (d.secretUuid !== undefined && !(await dest.hasSecret(d.secretUuid)))
        return fail(
          `disk ${d.target} (${d.protocol} ${d.name}) needs secret ${d.secretUuid}, which the destination lacks`,
        );
      seen.push(`${d.target} ${d.protocol} ${d.name} at ${d.hosts.join(',')}`);
    }
  }
  if (unknown.length > 0)
    return skip(
      `in no storage pool of either host, so libvirt cannot tell whether the destination sees them: ${unknown.join('; ')}${seen.length ? `; shared: ${seen.join('; ')}` : ''}`,
    );
  return pass(`shared: ${seen.join('; ')}`);
}

async function networkCheck(dest: Connection, facts: GuestFacts): Promise<PreflightOutcome> {
  const named = facts.interfaces.filter((i) => i.source !== undefined && (i.type === 'network' || i.type === 'bridge'));
  if (named.length === 0) return pass('the guest uses no libvirt network or bridge');
  const found: string[] = [];
  for (const i of named) {
    const name = i.source as string;
    let state: 'active' | 'inactive' | 'absent';
    try {
      state = i.type === 'network' ? await dest.networkState(name) : await dest.interfaceState(name);
    } catch (e) {
      if (isVirtmigError(e, 'E_UNSUPPORTED'))
        return skip(
          `the destination cannot list its ${i.type === 'network' ? 'networks' : 'interfaces'}: ${firstLine(e)}`,
        );
      throw e;
    }
    if (state === 'absent') return fail(`the destination has no ${i.type} ${name}`);
    if (state === 'inactive') return fail(`${i.type} ${name} is not active on the destination`);
    found.push(`${i.type} ${name}`);
  }
  return pass(`present and active: ${found.join(', ')}`);
}

/**
 * The preflight of migrating `name` from `source` to `dest` (see `Hypervisor.preflight`), read
 * from the guest's live XML and the destination's answers. Nothing is started or defined.
 * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when `source` has no domain `name`.
 * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when a connection is closed.
 */
export async function preflightWithLibvirt(
  source: LibvirtHypervisor,
  name: string,
  dest: LibvirtHypervisor,
  options: PreflightOptions = {},
): Promise<PreflightReport> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const info = await source.lookupDomain(name);
  const facts = guestFacts(await source.domainXml(name));
  const d = dest.connection;
  const reserveMiB = options.memoryReserveMiB ?? 0;
  const report = await runPreflightChecks(
    { domain: name, sourceUri: source.uri, destinationUri: dest.uri },
    {
      'destination-reachable': async () => {
        try {
          await d.versions();
          return pass('the destination daemon answers');
        } catch (e) {
          if (isVirtmigError(e, 'E_CLOSED')) throw e;
          return fail(`the destination daemon does not answer: ${firstLine(e)}`);
        }
      },
      'name-free': async () => {
        const there = await dest.lookupDomain(name).catch((e: unknown) => {
          if (isVirtmigError(e, 'E_NOT_FOUND')) return undefined;
          throw e;
        });
        if (there === undefined) return pass(`no domain ${name} on the destination`);
        if (there.uuid !== info.uuid)
          return fail(`the destination has another domain named ${name} (UUID ${there.uuid}, ${there.state})`);
        if (there.state !== 'shutoff') return fail(`${name} already runs on the destination (${there.state})`);
        return pass(`the destination holds only an inactive definition of this domain (same UUID)`);
      },
      'hypervisor-version': async () => {
        const [src, dst] = await Promise.all([source.connection.versions(), d.versions()]);
        if (dst.hypervisor < src.hypervisor)
          return fail(
            `the destination's hypervisor ${formatVersion(dst.hypervisor)} is older than the source's ${formatVersion(src.hypervisor)}`,
          );
        if (dst.libvirt < src.libvirt)
          return fail(
            `the destination's libvirt ${formatVersion(dst.libvirt)} is older than the source's ${formatVersion(src.libvirt)}`,
          );
        return pass(
          `hypervisor ${formatVersion(src.hypervisor)} -> ${formatVersion(dst.hypervisor)}, libvirt ${formatVersion(src.libvirt)} -> ${formatVersion(dst.libvirt)}`,
        );
      },
      'cpu-compatible': () => cpuCheck(d, facts),
      'memory-available': async () => {
        let free: number;
        try {
          free = await d.freeMemoryBytes();
        } catch (e) {
          // libvirt's test driver fails it on a node without NUMA cells: unknown is not "too little".
          if (isVirtmigError(e, 'E_UNSUPPORTED') || isVirtmigError(e, 'E_LIBVIRT'))
            return skip(`the destination cannot report free memory: ${firstLine(e)}`);
          throw e;
        }
        const needMiB = Math.ceil(info.memoryKiB / 1024);
        const reason = `needs ${needMiB} MiB + ${reserveMiB} MiB reserve, ${mib(free)} MiB free`;
        return (needMiB + reserveMiB) * 2 ** 20 <= free ? pass(reason) : fail(reason);
      },
      'disks-reachable': () => diskCheck(source.connection, d, facts),
      'networks-present': () => networkCheck(d, facts),
    },
  );
  // The guest's own reads are part of the cost.
  return { ...report, startedAt, durationMs: performance.now() - t0 };
}
