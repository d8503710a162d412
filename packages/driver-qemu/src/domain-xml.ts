import {
  assertDomainConfig,
  assertPath,
  type DiskConfig,
  type DomainConfig,
  escapeXml,
  InvalidArgumentError,
} from '@virtmig/core';
import { assertIscsiDisk, iscsiNetworkSourceXml } from '@virtmig/libvirt';

export { parsePortal } from '@virtmig/libvirt';

/** QEMU-specific choices a {@link QemuDomainConfig} may add to core's `DomainConfig`. */
export interface QemuGuestOptions {
  /** `kvm` (hardware virtualisation) or `qemu` (TCG emulation, where KVM does not work). Default: the driver's. */
  readonly domainType?: 'kvm' | 'qemu';
  /** Machine type; default `pc`. */
  readonly machine?: string;
  /** QEMU binary; default libvirt's choice for the arch. */
  readonly emulator?: string;
  /** Add a virtio memballoon (needed for live memory changes; the guest needs the virtio_balloon driver). Default false. */
  readonly balloon?: boolean;
}

/** Core's `DomainConfig` plus QEMU choices under `qemu`. */
export type QemuDomainConfig = DomainConfig & {
  /** QEMU-specific guest choices. */
  readonly qemu?: QemuGuestOptions;
};

const TARGET = /^(vd|sd|hd)[a-z]{1,2}$/;
const MACHINE = /^[A-Za-z0-9_.-]{1,64}$/;
const BUS: Record<string, string> = { vd: 'virtio', sd: 'scsi', hd: 'ide' };

function diskXml(disk: DiskConfig, index: number): string[] {
  const field = `config.disks[${index}]`;
  if (typeof disk !== 'object' || disk === null) throw new InvalidArgumentError(field, 'must be an object');
  const target = disk.target ?? `vd${String.fromCharCode(97 + index)}`;
  if (!TARGET.test(target))
    throw new InvalidArgumentError(`${field}.target`, `must look like vda, got ${JSON.stringify(target)}`);
  const format = disk.format ?? 'raw';
  if (format !== 'raw' && format !== 'qcow2') throw new InvalidArgumentError(`${field}.format`, 'must be raw or qcow2');
  const driver = `      <driver name='qemu' type='${format}' cache='none'/>`;
  const targetXml = `      <target dev='${target}' bus='${BUS[target.slice(0, 2)]}'/>`;
  if (disk.kind === 'file') {
    assertPath(disk.path, `${field}.path`);
    return [
      "    <disk type='file' device='disk'>",
      driver,
      `      <source file='${escapeXml(disk.path)}'/>`,
      targetXml,
      ...(disk.readonly ? ['      <readonly/>'] : []),
      '    </disk>',
    ];
  }
  if (disk.kind !== 'iscsi') throw new InvalidArgumentError(`${field}.kind`, 'must be "file" or "iscsi"');
  const portal = assertIscsiDisk(disk, field);
  // QEMU's own iSCSI initiator (libiscsi) opens the LUN, so both hosts of a migration reach the
  // shared disk without a host-side login; the CHAP password stays in a libvirt secret.
  return [
    "    <disk type='network' device='disk'>",
    driver,
    ...iscsiNetworkSourceXml(disk, portal),
    targetXml,
    '    </disk>',
  ];
}

/**
 * libvirt domain XML for QEMU from a {@link QemuDomainConfig}: memory, vCPUs (hotpluggable up to
 * `maxVcpus`), direct kernel boot (kernel, initrd, cmdline) or boot from the first disk, file or
 * iSCSI network disks, and the serial console appended to `serialLog` (`append='on'`: the
 * destination QEMU of a migration opens the same file and would otherwise truncate it), or
 * without `serialLog` a pty serial console (read through libvirt's virDomainOpenConsole). Nothing
 * the experiments do not need: no USB controller, graphics, sound, NIC, or balloon unless asked.
 * Throws `E_INVALID_ARGUMENT` naming the bad field.
 */
export function qemuDomainXml(config: QemuDomainConfig, defaults: { domainType?: 'kvm' | 'qemu' } = {}): string {
  assertDomainConfig(config);
  const q = config.qemu ?? {};
  if (typeof q !== 'object' || q === null) throw new InvalidArgumentError('config.qemu', 'must be an object');
  const type = q.domainType ?? defaults.domainType ?? 'kvm';
  if (type !== 'kvm' && type !== 'qemu')
    throw new InvalidArgumentError('config.qemu.domainType', `must be kvm or qemu, got ${JSON.stringify(type)}`);
  const machine = q.machine ?? 'pc';
  if (typeof machine !== 'string' || !MACHINE.test(machine))
    throw new InvalidArgumentError('config.qemu.machine', `bad machine type ${JSON.stringify(machine)}`);
  if (q.emulator !== undefined) assertPath(q.emulator, 'config.qemu.emulator');
  if (config.initrd !== undefined && config.kernel === undefined)
    throw new InvalidArgumentError('config.initrd', 'needs config.kernel');
  if (config.cmdline !== undefined && config.kernel === undefined)
    throw new InvalidArgumentError('config.cmdline', 'needs config.kernel');
  const disks = config.disks ?? [];
  if (!Array.isArray(disks)) throw new InvalidArgumentError('config.disks', 'must be an array');
  const diskLines = disks.flatMap((d, i) => diskXml(d, i));
  const targets = disks.map((d, i) => d.target ?? `vd${String.fromCharCode(97 + i)}`);
  if (new Set(targets).size !== targets.length)
    throw new InvalidArgumentError('config.disks', 'two disks share a target');
  const max = config.maxVcpus ?? config.vcpus;
  return [
    `<domain type='${type}'>`,
    `  <name>${escapeXml(config.name)}</name>`,
    `  <memory unit='KiB'>${config.memoryMiB * 1024}</memory>`,
    `  <vcpu placement='static'${max > config.vcpus ? ` current='${config.vcpus}'` : ''}>${max}</vcpu>`,
    '  <os>',
    `    <type arch='x86_64' machine='${machine}'>hvm</type>`,
    ...(config.kernel !== undefined ? [`    <kernel>${escapeXml(config.kernel)}</kernel>`] : []),
    ...(config.initrd !== undefined ? [`    <initrd>${escapeXml(config.initrd)}</initrd>`] : []),
    ...(config.cmdline !== undefined ? [`    <cmdline>${escapeXml(config.cmdline)}</cmdline>`] : []),
    ...(config.kernel === undefined && disks.length > 0 ? ["    <boot dev='hd'/>"] : []),
    '  </os>',
    // Without ACPI the guest kernel complains of a missing RSDP and cannot be shut down gracefully.
    '  <features><acpi/></features>',
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>destroy</on_crash>',
    '  <devices>',
    ...(q.emulator !== undefined ? [`    <emulator>${escapeXml(q.emulator)}</emulator>`] : []),
    ...diskLines,
    "    <controller type='usb' model='none'/>",
    ...(config.serialLog !== undefined
      ? [
          "    <serial type='file'>",
          `      <source path='${escapeXml(config.serialLog)}' append='on'/>`,
          "      <target port='0'/>",
          '    </serial>',
        ]
      : // Without a log file the serial console is a pty, which virDomainOpenConsole reads over any URI.
        [
          "    <serial type='pty'><target port='0'/></serial>",
          "    <console type='pty'><target type='serial' port='0'/></console>",
        ]),
    `    <memballoon model='${q.balloon ? 'virtio' : 'none'}'/>`,
    '  </devices>',
    '</domain>',
    '',
  ].join('\n');
}

/** The file the serial console of a domain XML is written to, if it has a file serial. */
export function serialLogOf(xml: string): string | undefined {
  const m = /<serial type=['"]file['"]>[\s\S]*?<source path=['"]([^'"]+)['"]/.exec(xml);
  if (!m?.[1]) return undefined;
  return m[1].replace(
    /&(lt|gt|amp|apos|quot);/g,
    (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e] ?? '',
  );
}
