import {
  assertDomainConfig,
  assertPath,
  type DiskConfig,
  type DomainConfig,
  escapeXml,
  InvalidArgumentError,
} from '@virtmig/core';
import { assertIscsiDisk, iscsiNetworkSourceXml, parsePortal } from '@virtmig/libvirt';

export { parsePortal } from '@virtmig/libvirt';

/** Xen-specific choices a {@link XenDomainConfig} may add to core's `DomainConfig`. */
export interface XenGuestOptions {
  /** Paravirtualised (default) or fully virtualised guest. */
  readonly type?: 'pv' | 'hvm';
  /**
   * PV only: a dom0 bootloader (e.g. `/usr/lib/xen-4.17/bin/pygrub`) that finds the kernel on the
   * first disk, instead of direct `kernel`/`initrd` boot.
   */
  readonly bootloader?: string;
  /** Arguments for {@link bootloader}. */
  readonly bootloaderArgs?: string;
  /** HVM firmware (default {@link DEFAULT_HVMLOADER}). */
  readonly loader?: string;
  /**
   * libxl disk backend for file disks: `qemu` (qdisk, raw or qcow2; the default), `phy` (raw
   * only, through a loop device) or `tap` (blktap).
   */
  readonly diskDriver?: 'qemu' | 'phy' | 'tap';
  /**
   * How an iSCSI LUN reaches the guest. `by-path` (default): dom0 is logged in to the target with
   * open-iscsi and the LUN is `/dev/disk/by-path/ip-HOST:PORT-iscsi-IQN-lun-N`, a `phy` block disk
   * (the study's setup; CHAP belongs to that login). `network`: a libvirt network disk with the
   * initiator IQN and CHAP secret in the XML, which libvirt's libxl driver refuses (it supports
   * only RBD network disks), so {@link XenHypervisor} refuses it too; other consumers of the XML may use it.
   */
  readonly iscsi?: 'by-path' | 'network';
  /** Attach one netfront NIC to this dom0 bridge (e.g. `xenbr0`); no NIC when omitted. */
  readonly bridge?: string;
  /** MAC address of that NIC (Xen's OUI is 00:16:3e). */
  readonly mac?: string;
}

/** Core's `DomainConfig` plus Xen choices under `xen`. */
export type XenDomainConfig = DomainConfig & {
  /** Xen-specific guest choices. */
  readonly xen?: XenGuestOptions;
};

/** Where Debian's xen-utils-4.17 installs the HVM firmware. */
export const DEFAULT_HVMLOADER = '/usr/lib/xen-4.17/boot/hvmloader';

const TARGET = /^(xvd|hd|sd)[a-z]{1,2}$/;
const BRIDGE = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** The udev by-path name of an iSCSI LUN dom0 is logged in to. */
export function iscsiByPath(portal: string, iqn: string, lun: number): string {
  const { host, port } = parsePortal(portal, 'portal');
  return `/dev/disk/by-path/ip-${host}:${port}-iscsi-${iqn}-lun-${lun}`;
}

function diskXml(disk: DiskConfig, index: number, xen: XenGuestOptions): string[] {
  const field = `config.disks[${index}]`;
  const target = disk.target ?? `xvd${String.fromCharCode(97 + index)}`;
  if (!TARGET.test(target))
    throw new InvalidArgumentError(`${field}.target`, `must look like xvda, got ${JSON.stringify(target)}`);
  const format = disk.format ?? 'raw';
  if (format !== 'raw' && format !== 'qcow2') throw new InvalidArgumentError(`${field}.format`, 'must be raw or qcow2');
  const targetXml = `      <target dev='${target}' bus='xen'/>`;
  if (disk.kind === 'file') {
    assertPath(disk.path, `${field}.path`);
    const driver = xen.diskDriver ?? 'qemu';
    if (driver === 'phy' && format !== 'raw')
      throw new InvalidArgumentError(`${field}.format`, 'the phy backend serves raw images only');
    return [
      "    <disk type='file' device='disk'>",
      `      <driver name='${driver}' type='${format}'/>`,
      `      <source file='${escapeXml(disk.path)}'/>`,
      targetXml,
      ...(disk.readonly ? ['      <readonly/>'] : []),
      '    </disk>',
    ];
  }
  if (disk.kind !== 'iscsi') throw new InvalidArgumentError(`${field}.kind`, 'must be "file" or "iscsi"');
  const portal = assertIscsiDisk(disk, field);
  if ((xen.iscsi ?? 'by-path') === 'by-path') {
    return [
      "    <disk type='block' device='disk'>",
      // phy hands the block device straight to blkback; a qcow2 on the LUN needs qdisk.
      `      <driver name='${format === 'raw' ? 'phy' : 'qemu'}' type='${format}'/>`,
      `      <source dev='${escapeXml(iscsiByPath(disk.portal, disk.iqn, disk.lun))}'/>`,
      targetXml,
      '    </disk>',
    ];
  }
  return [
    "    <disk type='network' device='disk'>",
    `      <driver name='qemu' type='${format}'/>`,
    ...iscsiNetworkSourceXml(disk, portal),
    targetXml,
    '    </disk>',
  ];
}

function osXml(config: XenDomainConfig, xen: XenGuestOptions, type: 'pv' | 'hvm'): string[] {
  const direct = [
    ...(config.kernel !== undefined ? [`    <kernel>${escapeXml(config.kernel)}</kernel>`] : []),
    ...(config.initrd !== undefined ? [`    <initrd>${escapeXml(config.initrd)}</initrd>`] : []),
    ...(config.cmdline !== undefined ? [`    <cmdline>${escapeXml(config.cmdline)}</cmdline>`] : []),
  ];
  if (type === 'pv') return ['  <os>', "    <type arch='x86_64' machine='xenpv'>linux</type>", ...direct, '  </os>'];
  const loader = xen.loader ?? DEFAULT_HVMLOADER;
  assertPath(loader, 'config.xen.loader');
  return [
    '  <os>',
    "    <type arch='x86_64' machine='xenfv'>hvm</type>",
    `    <loader type='rom'>${escapeXml(loader)}</loader>`,
    ...direct,
    ...(config.kernel === undefined ? ["    <boot dev='hd'/>"] : []),
    '  </os>',
    '  <features><acpi/><apic/><pae/></features>',
  ];
}

function consoleXml(config: XenDomainConfig, type: 'pv' | 'hvm'): string[] {
  if (type === 'pv') {
    if (config.serialLog !== undefined) {
      throw new InvalidArgumentError(
        'config.serialLog',
        'a PV console goes through xenconsoled, which logs it itself (XENCONSOLED_TRACE=guest writes /var/log/xen/console/guest-NAME.log)',
      );
    }
    return ["    <console type='pty'><target type='xen' port='0'/></console>"];
  }
  if (config.serialLog !== undefined) {
    return [
      `    <serial type='file'><source path='${escapeXml(config.serialLog)}'/><target port='0'/></serial>`,
      `    <console type='file'><source path='${escapeXml(config.serialLog)}'/><target type='serial' port='0'/></console>`,
    ];
  }
  return [
    "    <serial type='pty'><target port='0'/></serial>",
    "    <console type='pty'><target type='serial' port='0'/></console>",
  ];
}

/**
 * Domain XML for libvirt's libxl driver: a PV guest booted from `kernel`/`initrd`/`cmdline` or by
 * a dom0 bootloader, or an HVM guest with hvmloader; file disks (qdisk/phy/tap backends) and
 * iSCSI LUNs (see {@link XenGuestOptions.iscsi}); a Xen console (PV) or serial console (HVM, to
 * `serialLog` when given); an optional bridged NIC. Throws `E_INVALID_ARGUMENT` naming the field.
 */
export function xenDomainXml(config: XenDomainConfig): string {
  assertDomainConfig(config);
  if (config.xml !== undefined) return config.xml;
  const xen = config.xen ?? {};
  if (typeof xen !== 'object' || xen === null) throw new InvalidArgumentError('config.xen', 'must be an object');
  const type = xen.type ?? 'pv';
  if (type !== 'pv' && type !== 'hvm') throw new InvalidArgumentError('config.xen.type', 'must be "pv" or "hvm"');
  if (xen.bootloader !== undefined) {
    if (type !== 'pv')
      throw new InvalidArgumentError('config.xen.bootloader', 'HVM guests boot through their firmware');
    assertPath(xen.bootloader, 'config.xen.bootloader');
    if (config.kernel !== undefined)
      throw new InvalidArgumentError('config.kernel', 'a bootloader finds the kernel itself: give one or the other');
    if (!config.disks?.length) throw new InvalidArgumentError('config.disks', 'a bootloader needs a disk to boot from');
  }
  if (xen.bootloaderArgs !== undefined && (xen.bootloader === undefined || /[\0\n\r]/.test(xen.bootloaderArgs))) {
    throw new InvalidArgumentError('config.xen.bootloaderArgs', 'needs a bootloader and must be a single line');
  }
  if (type === 'pv' && xen.bootloader === undefined && config.kernel === undefined) {
    throw new InvalidArgumentError('config.kernel', 'a PV guest needs a kernel or a bootloader');
  }
  if (config.initrd !== undefined && config.kernel === undefined)
    throw new InvalidArgumentError('config.initrd', 'needs a kernel');
  if (xen.diskDriver !== undefined && !['qemu', 'phy', 'tap'].includes(xen.diskDriver)) {
    throw new InvalidArgumentError('config.xen.diskDriver', 'must be qemu, phy or tap');
  }
  if (xen.iscsi !== undefined && xen.iscsi !== 'by-path' && xen.iscsi !== 'network') {
    throw new InvalidArgumentError('config.xen.iscsi', 'must be "by-path" or "network"');
  }
  if (xen.bridge !== undefined && !BRIDGE.test(xen.bridge))
    throw new InvalidArgumentError('config.xen.bridge', 'not a bridge name');
  if (xen.mac !== undefined && (xen.bridge === undefined || !MAC.test(xen.mac))) {
    throw new InvalidArgumentError('config.xen.mac', 'needs a bridge and must look like 00:16:3e:12:34:56');
  }
  const disks = config.disks ?? [];
  if (!Array.isArray(disks)) throw new InvalidArgumentError('config.disks', 'must be an array');
  const kib = config.memoryMiB * 1024;
  return [
    "<domain type='xen'>",
    `  <name>${escapeXml(config.name)}</name>`,
    `  <memory unit='KiB'>${kib}</memory>`,
    `  <currentMemory unit='KiB'>${kib}</currentMemory>`,
    `  <vcpu placement='static' current='${config.vcpus}'>${config.maxVcpus ?? config.vcpus}</vcpu>`,
    ...(xen.bootloader !== undefined ? [`  <bootloader>${escapeXml(xen.bootloader)}</bootloader>`] : []),
    ...(xen.bootloaderArgs !== undefined
      ? [`  <bootloader_args>${escapeXml(xen.bootloaderArgs)}</bootloader_args>`]
      : []),
    ...osXml(config, xen, type),
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>destroy</on_crash>',
    '  <devices>',
    ...disks.flatMap((d, i) => diskXml(d, i, xen)),
    ...(xen.bridge !== undefined
      ? [
          "    <interface type='bridge'>",
          ...(xen.mac !== undefined ? [`      <mac address='${xen.mac.toLowerCase()}'/>`] : []),
          `      <source bridge='${xen.bridge}'/>`,
          '    </interface>',
        ]
      : []),
    ...consoleXml(config, type),
    '  </devices>',
    '</domain>',
  ].join('\n');
}

/**
 * Why libvirt's libxl driver would reject this (schema-valid) config when the domain starts, or
 * undefined when it would not; callers refuse such configs before defining anything.
 */
export function libxlUnsupported(config: XenDomainConfig): string | undefined {
  if (config.xml !== undefined) return undefined;
  if (config.xen?.iscsi === 'network' && config.disks?.some((d) => d.kind === 'iscsi')) {
    return "iSCSI network disks (libvirt's libxl driver supports only RBD network disks: log dom0 in to the target and use iscsi: 'by-path')";
  }
  return undefined;
}
