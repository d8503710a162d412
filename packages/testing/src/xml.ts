import { InvalidArgumentError } from '@virtmig/core';
import type { FakeDomain, FakeHost } from './host.js';

function esc(s: string | number): string {
  return String(s).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const UNIT_KIB: Readonly<Record<string, number>> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  k: 1,
  kib: 1,
  kb: 1000 / 1024,
  m: 1024,
  mib: 1024,
  mb: 1_000_000 / 1024,
  g: 1024 * 1024,
  gib: 1024 * 1024,
  gb: 1_000_000_000 / 1024,
};

/** The parts of a domain XML document the fake understands. */
export interface ParsedDomainXml {
  readonly memoryKiB: number;
  readonly currentMemoryKiB: number;
  readonly vcpus: number;
  readonly maxVcpus: number;
}

function memoryElement(xml: string, tag: string): number | undefined {
  const m = new RegExp(`<${tag}(?:\\s+unit=['"]([A-Za-z]+)['"])?\\s*>\\s*(\\d+)\\s*</${tag}>`).exec(xml);
  if (!m) return undefined;
  const factor = UNIT_KIB[(m[1] ?? 'KiB').toLowerCase()];
  if (factor === undefined) throw new InvalidArgumentError('xml', `unknown memory unit ${JSON.stringify(m[1])}`);
  return Math.floor(Number(m[2]) * factor);
}

/**
 * Reads name, memory and vCPUs from raw domain XML, the way libvirt's parser would reject a
 * document without them. Throws `E_INVALID_ARGUMENT`.
 */
export function parseDomainXml(xml: unknown, name: string): ParsedDomainXml {
  if (typeof xml !== 'string' || !/^\s*(<\?xml[^>]*\?>\s*)?<domain[\s>]/.test(xml) || !/<\/domain>\s*$/.test(xml)) {
    throw new InvalidArgumentError('xml', 'must be a <domain> document');
  }
  const nameMatch = /<name>\s*([^<]*?)\s*<\/name>/.exec(xml);
  if (nameMatch && nameMatch[1] !== name) {
    throw new InvalidArgumentError(
      'xml',
      `names domain ${JSON.stringify(nameMatch[1])}, config names ${JSON.stringify(name)}`,
    );
  }
  const memoryKiB = memoryElement(xml, 'memory');
  if (memoryKiB === undefined || memoryKiB < 1) throw new InvalidArgumentError('xml', 'needs a positive <memory>');
  const currentMemoryKiB = memoryElement(xml, 'currentMemory') ?? memoryKiB;
  if (currentMemoryKiB < 1 || currentMemoryKiB > memoryKiB) {
    throw new InvalidArgumentError('xml', '<currentMemory> must be in [1, <memory>]');
  }
  const vcpu = /<vcpu((?:\s+[a-z]+=['"][^'"]*['"])*)\s*>\s*(\d+)\s*<\/vcpu>/.exec(xml);
  const maxVcpus = vcpu ? Number(vcpu[2]) : 1;
  const current = vcpu?.[1] ? /current=['"](\d+)['"]/.exec(vcpu[1]) : null;
  const vcpus = current ? Number(current[1]) : maxVcpus;
  if (maxVcpus < 1 || vcpus < 1 || vcpus > maxVcpus)
    throw new InvalidArgumentError('xml', '<vcpu> must be >= 1 and current <= maximum');
  return { memoryKiB, currentMemoryKiB, vcpus, maxVcpus };
}

/** The domain's XML in libvirt's shape (type `fake`). */
export function renderDomainXml(d: FakeDomain): string {
  const lines = [
    `<domain type='fake'${d.id >= 0 ? ` id='${d.id}'` : ''}>`,
    `  <name>${esc(d.name)}</name>`,
    `  <uuid>${esc(d.uuid)}</uuid>`,
    `  <memory unit='KiB'>${d.maxMemoryKiB}</memory>`,
    `  <currentMemory unit='KiB'>${d.memoryKiB}</currentMemory>`,
    `  <vcpu placement='static' current='${d.vcpus}'>${d.maxVcpus}</vcpu>`,
  ];
  if (d.cpuCapPercent > 0) {
    // libvirt's whole-domain quota: cap% of one CPU = quota/period * 100.
    lines.push(
      '  <cputune>',
      '    <global_period>100000</global_period>',
      `    <global_quota>${d.cpuCapPercent * 1000}</global_quota>`,
      '  </cputune>',
    );
  }
  lines.push('  <os>', "    <type arch='x86_64'>hvm</type>");
  if (d.kernel !== undefined) lines.push(`    <kernel>${esc(d.kernel)}</kernel>`);
  if (d.initrd !== undefined) lines.push(`    <initrd>${esc(d.initrd)}</initrd>`);
  if (d.cmdline !== undefined) lines.push(`    <cmdline>${esc(d.cmdline)}</cmdline>`);
  lines.push('  </os>', '  <devices>');
  d.disks.forEach((disk, i) => {
    const target = esc(disk.target ?? `vd${String.fromCharCode(97 + i)}`);
    if (disk.kind === 'file') {
      lines.push(
        `    <disk type='file' device='disk'>`,
        `      <driver name='fake' type='${esc(disk.format ?? 'raw')}'/>`,
        `      <source file='${esc(disk.path)}'/>`,
        `      <target dev='${target}'/>`,
        ...(disk.readonly ? ['      <readonly/>'] : []),
        '    </disk>',
      );
    } else {
      const [host, port] = disk.portal.split(':');
      lines.push(
        `    <disk type='network' device='disk'>`,
        `      <driver name='fake' type='${esc(disk.format ?? 'raw')}'/>`,
        `      <source protocol='iscsi' name='${esc(disk.iqn)}/${disk.lun}'>`,
        `        <host name='${esc(host ?? '')}' port='${esc(port ?? '3260')}'/>`,
        ...(disk.initiatorIqn
          ? ['        <initiator>', `          <iqn name='${esc(disk.initiatorIqn)}'/>`, '        </initiator>']
          : []),
        '      </source>',
        ...(disk.chap
          ? [
              `      <auth username='${esc(disk.chap.username)}'>`,
              `        <secret type='iscsi' uuid='${esc(disk.chap.secretUuid)}'/>`,
              '      </auth>',
            ]
          : []),
        `      <target dev='${target}'/>`,
        '    </disk>',
      );
    }
  });
  if (d.serialLog !== undefined) {
    lines.push(`    <serial type='file'>`, `      <source path='${esc(d.serialLog)}'/>`, '    </serial>');
  }
  lines.push('  </devices>', '</domain>');
  return `${lines.join('\n')}\n`;
}

/** A small capabilities document in libvirt's shape. */
export function renderCapabilitiesXml(host: FakeHost): string {
  return `${[
    '<capabilities>',
    '  <host>',
    `    <uuid>${host.uuid}</uuid>`,
    '    <cpu>',
    '      <arch>x86_64</arch>',
    `      <model>${esc(host.model)}</model>`,
    `      <topology sockets='1' dies='1' cores='${host.cpus}' threads='1'/>`,
    '    </cpu>',
    host.capabilities.migration
      ? '    <migration_features>\n      <live/>\n      <uri_transports>\n        <uri_transport>fake</uri_transport>\n      </uri_transports>\n    </migration_features>'
      : '    <migration_features/>',
    '    <topology>',
    "      <cells num='1'>",
    `        <cell id='0'>`,
    `          <memory unit='KiB'>${host.memoryKiB}</memory>`,
    `          <cpus num='${host.cpus}'/>`,
    '        </cell>',
    '      </cells>',
    '    </topology>',
    '  </host>',
    '  <guest>',
    '    <os_type>hvm</os_type>',
    "    <arch name='x86_64'>",
    '      <wordsize>64</wordsize>',
    "      <domain type='fake'/>",
    '    </arch>',
    '  </guest>',
    '</capabilities>',
  ].join('\n')}\n`;
}
