import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { type QemuDomainConfig, qemuDomainXml, serialLogOf } from '../src/index.js';

const run = promisify(execFile);

const base: QemuDomainConfig = {
  name: 'g1',
  memoryMiB: 128,
  vcpus: 1,
  kernel: '/k/vmlinuz',
  initrd: '/k/initrd.img',
  cmdline: 'console=ttyS0 quiet',
  serialLog: '/tmp/g1.log',
};

describe('qemuDomainXml', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-xml-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Validates with libvirt's own RELAX NG schema (virt-xml-validate from libvirt-clients). */
  async function validate(xml: string): Promise<void> {
    const file = join(dir, `d${Math.random().toString(36).slice(2)}.xml`);
    await writeFile(file, xml);
    await run('virt-xml-validate', [file, 'domain']);
  }

  it("builds a direct-kernel-boot guest that libvirt's domain schema accepts", async () => {
    const xml = qemuDomainXml(base);
    await validate(xml);
    expect(xml).to.contain("<domain type='kvm'>");
    expect(xml).to.contain("<memory unit='KiB'>131072</memory>");
    expect(xml).to.contain('<kernel>/k/vmlinuz</kernel>');
    expect(xml).to.contain('<cmdline>console=ttyS0 quiet</cmdline>');
  });

  it('gives a domain without a serial log a pty serial console, which virDomainOpenConsole can read', () => {
    const xml = qemuDomainXml({ ...base, serialLog: undefined });
    expect(xml).to.include("<serial type='pty'><target port='0'/></serial>");
    expect(xml).to.include("<console type='pty'><target type='serial' port='0'/></console>");
    expect(qemuDomainXml(base)).to.not.include("type='pty'");
  });

  it('appends the serial console to the log file so a migration destination does not truncate it', () => {
    expect(qemuDomainXml(base)).to.match(/<serial type='file'>\s*<source path='\/tmp\/g1.log' append='on'\/>/);
  });

  it('adds no USB controller, graphics, sound, NIC or balloon unless a balloon is asked for', () => {
    const xml = qemuDomainXml(base);
    expect(xml).to.contain("<controller type='usb' model='none'/>");
    expect(xml).to.contain("<memballoon model='none'/>");
    expect(xml).to.not.match(/<graphics|<sound|<interface|<video|<input/);
    expect(qemuDomainXml({ ...base, qemu: { balloon: true } })).to.contain("<memballoon model='virtio'/>");
  });

  it('takes the domain type from the config, else from the driver default', async () => {
    expect(qemuDomainXml(base, { domainType: 'qemu' })).to.contain("<domain type='qemu'>");
    const xml = qemuDomainXml({ ...base, qemu: { domainType: 'qemu' } }, { domainType: 'kvm' });
    expect(xml).to.contain("<domain type='qemu'>");
    await validate(xml);
  });

  it('makes vCPUs hotpluggable up to maxVcpus', async () => {
    const xml = qemuDomainXml({ ...base, vcpus: 1, maxVcpus: 4 });
    expect(xml).to.contain("<vcpu placement='static' current='1'>4</vcpu>");
    await validate(xml);
  });

  it('builds a file disk and an iSCSI network disk with initiator and CHAP secret that the schema accepts', async () => {
    const xml = qemuDomainXml({
      name: 'g2',
      memoryMiB: 256,
      vcpus: 2,
      disks: [
        { kind: 'file', path: '/var/lib/img/root.qcow2', format: 'qcow2' },
        {
          kind: 'iscsi',
          portal: '10.77.0.1:3260',
          iqn: 'iqn.2026-11.org.virtmig:lun',
          lun: 1,
          initiatorIqn: 'iqn.2026-11.org.virtmig:host-a',
          chap: { username: 'virtmig', secretUuid: '0F3B2A6C-1234-4abc-9def-0123456789ab' },
        },
      ],
    });
    await validate(xml);
    expect(xml).to.contain("<source file='/var/lib/img/root.qcow2'/>");
    expect(xml).to.contain("<target dev='vda' bus='virtio'/>");
    expect(xml).to.contain("<source protocol='iscsi' name='iqn.2026-11.org.virtmig:lun/1'>");
    expect(xml).to.contain("<host name='10.77.0.1' port='3260'/>");
    expect(xml).to.contain("<secret type='iscsi' uuid='0f3b2a6c-1234-4abc-9def-0123456789ab'/>");
    expect(xml).to.contain("<boot dev='hd'/>");
  });

  it('escapes XML in paths and the command line', async () => {
    const xml = qemuDomainXml({ ...base, cmdline: "a='b' <c> & d", serialLog: "/tmp/it's.log" });
    expect(xml).to.contain('<cmdline>a=&apos;b&apos; &lt;c&gt; &amp; d</cmdline>');
    expect(serialLogOf(xml)).to.equal("/tmp/it's.log");
    await validate(xml);
  });

  const bad: [string, Partial<QemuDomainConfig> | Record<string, unknown>][] = [
    ['config.vcpus', { vcpus: 0 }],
    ['config.memoryMiB', { memoryMiB: -1 }],
    ['config.kernel', { kernel: 'relative/vmlinuz' }],
    ['config.initrd', { kernel: undefined, cmdline: undefined }],
    ['config.qemu.domainType', { qemu: { domainType: 'xen' } }],
    ['config.qemu.machine', { qemu: { machine: "pc' evil='1" } }],
    ['config.disks[0].target', { disks: [{ kind: 'file', path: '/x', target: 'xvda' }] }],
    ['config.disks[0].iqn', { disks: [{ kind: 'iscsi', portal: 'h', iqn: 'not-an-iqn', lun: 0 }] }],
    ['config.disks[0].portal', { disks: [{ kind: 'iscsi', portal: 'h:99999', iqn: 'iqn.2026-11.a:b', lun: 0 }] }],
    ['config.disks[0].lun', { disks: [{ kind: 'iscsi', portal: 'h', iqn: 'iqn.2026-11.a:b', lun: -1 }] }],
    [
      'config.disks[0].chap.secretUuid',
      {
        disks: [
          { kind: 'iscsi', portal: 'h', iqn: 'iqn.2026-11.a:b', lun: 0, chap: { username: 'u', secretUuid: 'pw' } },
        ],
      },
    ],
    [
      'config.disks',
      {
        disks: [
          { kind: 'file', path: '/a' },
          { kind: 'file', path: '/b', target: 'vda' },
        ],
      },
    ],
  ];
  for (const [field, patch] of bad) {
    it(`refuses a bad ${field} with E_INVALID_ARGUMENT naming it`, () => {
      expect(() => qemuDomainXml({ ...base, ...patch } as QemuDomainConfig))
        .to.throw()
        .that.satisfies(
          (e: { code: string; message: string }) => e.code === 'E_INVALID_ARGUMENT' && e.message.includes(field),
        );
    });
  }

  it('serialLogOf finds no log in a domain without a file serial', () => {
    expect(serialLogOf(qemuDomainXml({ ...base, serialLog: undefined }))).to.equal(undefined);
  });
});
