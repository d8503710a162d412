import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { DEFAULT_HVMLOADER, iscsiByPath, libxlUnsupported, type XenDomainConfig, xenDomainXml } from '../src/index.js';
import { throwsWith } from './helpers.js';

const run = promisify(execFile);
const IQN = 'iqn.2026-11.dev.virtmig:shared';
const SECRET = '6f0c2a6e-0d7e-4d5b-9a59-3d5c0b4f1e21';
const PV_KERNEL = { kernel: '/boot/vmlinuz', initrd: '/boot/initrd.img', cmdline: 'console=hvc0 root=/dev/xvda ro' };

/** The matrix every generated document must validate in: guest types x disks x sizes. */
function matrix(): XenDomainConfig[] {
  const guests: Omit<XenDomainConfig, 'name' | 'memoryMiB' | 'vcpus'>[] = [
    { ...PV_KERNEL },
    { xen: { bootloader: '/usr/lib/xen-4.17/bin/pygrub' }, disks: [{ kind: 'file', path: '/srv/boot.img' }] },
    {
      xen: { bootloader: '/usr/lib/xen-4.17/bin/pygrub', bootloaderArgs: '--kernel=/vmlinuz' },
      disks: [{ kind: 'file', path: '/srv/boot.qcow2', format: 'qcow2' }],
    },
    { xen: { type: 'hvm' } },
    { xen: { type: 'hvm', loader: '/usr/local/lib/hvmloader' }, serialLog: '/var/log/virtmig/hvm.log', ...PV_KERNEL },
  ];
  const disks: XenDomainConfig['disks'][] = [
    [],
    [{ kind: 'file', path: '/srv/a.img', format: 'raw' }],
    [{ kind: 'file', path: '/srv/a.qcow2', format: 'qcow2', readonly: true }],
    [{ kind: 'iscsi', portal: '127.0.0.1:3260', iqn: IQN, lun: 1 }],
    [{ kind: 'iscsi', portal: '10.0.0.9', iqn: IQN, lun: 2, format: 'qcow2', target: 'xvdz' }],
  ];
  const sizes: [number, number, number?][] = [
    [64, 1],
    [512, 2, 4],
    [4096, 8],
  ];
  const out: XenDomainConfig[] = [];
  for (const [gi, g] of guests.entries()) {
    for (const [di, d] of disks.entries()) {
      for (const [si, [memoryMiB, vcpus, maxVcpus]] of sizes.entries()) {
        const all = [...(g.disks ?? []), ...(d ?? [])];
        const targeted = all.map((x, i) => ({ ...x, target: x.target ?? `xvd${'abcdefgh'[i]}` }));
        out.push({
          ...g,
          name: `m${gi}-${di}-${si}`,
          memoryMiB,
          vcpus,
          ...(maxVcpus ? { maxVcpus } : {}),
          disks: targeted,
        });
      }
    }
  }
  // iSCSI as a libvirt network disk, with and without CHAP and an initiator name.
  out.push(
    {
      name: 'net-plain',
      memoryMiB: 256,
      vcpus: 1,
      ...PV_KERNEL,
      xen: { iscsi: 'network' },
      disks: [{ kind: 'iscsi', portal: '127.0.0.1:3260', iqn: IQN, lun: 0 }],
    },
    {
      name: 'net-chap',
      memoryMiB: 256,
      vcpus: 2,
      xen: { type: 'hvm', iscsi: 'network' },
      disks: [
        {
          kind: 'iscsi',
          portal: '[::1]:3261',
          iqn: IQN,
          lun: 3,
          initiatorIqn: 'iqn.2026-11.dev.virtmig:host-a',
          chap: { username: 'virtmig', secretUuid: SECRET },
        },
      ],
    },
    {
      name: 'nic',
      memoryMiB: 128,
      vcpus: 1,
      ...PV_KERNEL,
      xen: { bridge: 'xenbr0', mac: '00:16:3E:AA:BB:CC', diskDriver: 'phy' },
      disks: [{ kind: 'file', path: '/dev/vg0/guest' }],
    },
    {
      name: 'tap',
      memoryMiB: 128,
      vcpus: 1,
      ...PV_KERNEL,
      xen: { diskDriver: 'tap' },
      disks: [{ kind: 'file', path: '/srv/t.qcow2', format: 'qcow2' }],
    },
  );
  return out;
}

describe('xenDomainXml', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtmig-xen-xml-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('produces documents that virt-xml-validate accepts as libvirt domain XML for every PV, bootloader, HVM, disk and size combination', async function () {
    this.timeout(120_000);
    const configs = matrix();
    expect(configs.length).to.be.greaterThan(70);
    const files = await Promise.all(
      configs.map(async (c) => {
        const file = join(dir, `${c.name}.xml`);
        await writeFile(file, xenDomainXml(c));
        return file;
      }),
    );
    // virt-xml-validate takes one file per run; a few at a time keeps the two cores busy.
    for (let i = 0; i < files.length; i += 4) {
      await Promise.all(
        files.slice(i, i + 4).map(async (f) => {
          const { stdout, stderr } = await run('virt-xml-validate', [f, 'domain']);
          expect(stdout + stderr, f).to.match(/validates/);
        }),
      );
    }
  });

  it('the validator itself rejects a broken document, so the matrix test can fail', async () => {
    const file = join(dir, 'broken.xml');
    await writeFile(
      file,
      xenDomainXml({ name: 'b', memoryMiB: 64, vcpus: 1, ...PV_KERNEL }).replace(
        "<vcpu placement='static'",
        "<vcpu placement='nowhere'",
      ),
    );
    const err = await run('virt-xml-validate', [file, 'domain']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error);
  });

  it('boots a PV guest directly from kernel, initrd and cmdline with a Xen console', () => {
    const xml = xenDomainXml({ name: 'pv', memoryMiB: 256, vcpus: 2, maxVcpus: 4, ...PV_KERNEL });
    expect(xml).to.include("<domain type='xen'>");
    expect(xml).to.include("<type arch='x86_64' machine='xenpv'>linux</type>");
    expect(xml).to.include('<kernel>/boot/vmlinuz</kernel>');
    expect(xml).to.include('<initrd>/boot/initrd.img</initrd>');
    expect(xml).to.include('<cmdline>console=hvc0 root=/dev/xvda ro</cmdline>');
    expect(xml).to.include("<memory unit='KiB'>262144</memory>");
    expect(xml).to.include("<vcpu placement='static' current='2'>4</vcpu>");
    expect(xml).to.include("<console type='pty'><target type='xen' port='0'/></console>");
    expect(xml).not.to.include('<loader');
  });

  it('boots a PV guest through a dom0 bootloader with its arguments', () => {
    const xml = xenDomainXml({
      name: 'pyg',
      memoryMiB: 256,
      vcpus: 1,
      xen: { bootloader: '/usr/lib/xen-4.17/bin/pygrub', bootloaderArgs: '-q' },
      disks: [{ kind: 'file', path: '/srv/g.img' }],
    });
    expect(xml).to.include('<bootloader>/usr/lib/xen-4.17/bin/pygrub</bootloader>');
    expect(xml).to.include('<bootloader_args>-q</bootloader_args>');
    expect(xml).not.to.include('<kernel>');
  });

  it('gives an HVM guest hvmloader, ACPI/APIC/PAE and a serial console, to serialLog when given', () => {
    const xml = xenDomainXml({
      name: 'hvm',
      memoryMiB: 1024,
      vcpus: 2,
      serialLog: '/tmp/hvm.log',
      xen: { type: 'hvm' },
    });
    expect(xml).to.include("<type arch='x86_64' machine='xenfv'>hvm</type>");
    expect(xml).to.include(`<loader type='rom'>${DEFAULT_HVMLOADER}</loader>`);
    expect(xml).to.include("<boot dev='hd'/>");
    expect(xml).to.include('<features><acpi/><apic/><pae/></features>');
    expect(xml).to.include("<serial type='file'><source path='/tmp/hvm.log'/><target port='0'/></serial>");
  });

  it('maps file disks to the qdisk backend by default, with the image format, and to phy or tap on request', () => {
    const base = { name: 'd', memoryMiB: 64, vcpus: 1, ...PV_KERNEL };
    expect(xenDomainXml({ ...base, disks: [{ kind: 'file', path: '/srv/a.qcow2', format: 'qcow2' }] })).to.include(
      "<driver name='qemu' type='qcow2'/>",
    );
    expect(
      xenDomainXml({ ...base, xen: { diskDriver: 'phy' }, disks: [{ kind: 'file', path: '/srv/a.img' }] }),
    ).to.include("<driver name='phy' type='raw'/>");
    const tap = xenDomainXml({
      ...base,
      xen: { diskDriver: 'tap' },
      disks: [
        { kind: 'file', path: '/srv/a.img' },
        { kind: 'file', path: '/srv/b.img' },
      ],
    });
    expect(tap).to.include("<driver name='tap' type='raw'/>");
    expect(tap).to.include("<target dev='xvda' bus='xen'/>");
    expect(tap).to.include("<target dev='xvdb' bus='xen'/>");
  });

  it('attaches an iSCSI LUN dom0 is logged in to as its by-path block device through phy', () => {
    const xml = xenDomainXml({
      name: 'i',
      memoryMiB: 64,
      vcpus: 1,
      ...PV_KERNEL,
      disks: [{ kind: 'iscsi', portal: '192.168.1.5', iqn: IQN, lun: 4 }],
    });
    expect(xml).to.include("<disk type='block' device='disk'>");
    expect(xml).to.include("<driver name='phy' type='raw'/>");
    expect(xml).to.include(`<source dev='/dev/disk/by-path/ip-192.168.1.5:3260-iscsi-${IQN}-lun-4'/>`);
    expect(iscsiByPath('[fe80::1]:3261', IQN, 0)).to.equal(`/dev/disk/by-path/ip-fe80::1:3261-iscsi-${IQN}-lun-0`);
  });

  it('writes an iSCSI network disk with host, initiator and a CHAP secret reference (never a password)', () => {
    const xml = xenDomainXml({
      name: 'n',
      memoryMiB: 64,
      vcpus: 1,
      ...PV_KERNEL,
      xen: { iscsi: 'network' },
      disks: [
        {
          kind: 'iscsi',
          portal: 'san.example:3261',
          iqn: IQN,
          lun: 7,
          initiatorIqn: 'iqn.2026-11.dev.virtmig:a',
          chap: { username: 'alice', secretUuid: SECRET },
        },
      ],
    });
    expect(xml).to.include(`<source protocol='iscsi' name='${IQN}/7'>`);
    expect(xml).to.include("<host name='san.example' port='3261'/>");
    expect(xml).to.include("<initiator><iqn name='iqn.2026-11.dev.virtmig:a'/></initiator>");
    expect(xml).to.include("<auth username='alice'>");
    expect(xml).to.include(`<secret type='iscsi' uuid='${SECRET}'/>`);
  });

  it('adds a bridged NIC with its MAC only when a bridge is given', () => {
    const base = { name: 'net', memoryMiB: 64, vcpus: 1, ...PV_KERNEL };
    expect(xenDomainXml(base)).not.to.include('<interface');
    const xml = xenDomainXml({ ...base, xen: { bridge: 'xenbr0', mac: '00:16:3E:01:02:03' } });
    expect(xml).to.include("<source bridge='xenbr0'/>");
    expect(xml).to.include("<mac address='00:16:3e:01:02:03'/>");
  });

  it('escapes XML metacharacters in paths and the command line', () => {
    const xml = xenDomainXml({ name: 'esc', memoryMiB: 64, vcpus: 1, kernel: "/boot/a&b'<c>", cmdline: 'x="1" y<2' });
    expect(xml).to.include('<kernel>/boot/a&amp;b&apos;&lt;c&gt;</kernel>');
    expect(xml).to.include('<cmdline>x=&quot;1&quot; y&lt;2</cmdline>');
  });

  it('returns raw xml unchanged when the config carries it', () => {
    expect(xenDomainXml({ name: 'raw', memoryMiB: 1, vcpus: 1, xml: "<domain type='xen'/>" })).to.equal(
      "<domain type='xen'/>",
    );
  });

  describe('refuses with E_INVALID_ARGUMENT naming the field', () => {
    const base = { name: 'bad', memoryMiB: 64, vcpus: 1, ...PV_KERNEL };
    const cases: [string, XenDomainConfig, string][] = [
      ['a PV guest without kernel or bootloader', { name: 'bad', memoryMiB: 64, vcpus: 1 }, 'config.kernel'],
      [
        'a bootloader together with a kernel',
        { ...base, xen: { bootloader: '/usr/bin/pygrub' }, disks: [{ kind: 'file', path: '/a' }] },
        'config.kernel',
      ],
      [
        'a bootloader without a disk',
        { name: 'bad', memoryMiB: 64, vcpus: 1, xen: { bootloader: '/usr/bin/pygrub' } },
        'config.disks',
      ],
      [
        'a bootloader on an HVM guest',
        { name: 'bad', memoryMiB: 64, vcpus: 1, xen: { type: 'hvm', bootloader: '/usr/bin/pygrub' } },
        'config.xen.bootloader',
      ],
      [
        'bootloader arguments spanning lines',
        {
          name: 'bad',
          memoryMiB: 64,
          vcpus: 1,
          xen: { bootloader: '/b', bootloaderArgs: 'a\nb' },
          disks: [{ kind: 'file', path: '/a' }],
        },
        'config.xen.bootloaderArgs',
      ],
      ['an unknown guest type', { ...base, xen: { type: 'pvh' as 'pv' } }, 'config.xen.type'],
      [
        'a relative HVM loader',
        { name: 'bad', memoryMiB: 64, vcpus: 1, xen: { type: 'hvm', loader: 'hvmloader' } },
        'config.xen.loader',
      ],
      ['a PV serial log file', { ...base, serialLog: '/tmp/x.log' }, 'config.serialLog'],
      [
        'an initrd without a kernel',
        { name: 'bad', memoryMiB: 64, vcpus: 1, initrd: '/i', xen: { type: 'hvm' } },
        'config.initrd',
      ],
      [
        'a qcow2 image on the phy backend',
        { ...base, xen: { diskDriver: 'phy' }, disks: [{ kind: 'file', path: '/a.qcow2', format: 'qcow2' }] },
        'config.disks[0].format',
      ],
      ['an unknown disk backend', { ...base, xen: { diskDriver: 'nbd' as 'phy' } }, 'config.xen.diskDriver'],
      ['a relative disk path', { ...base, disks: [{ kind: 'file', path: 'a.img' }] }, 'config.disks[0].path'],
      [
        'a bad disk target',
        { ...base, disks: [{ kind: 'file', path: '/a', target: 'vda; rm' }] },
        'config.disks[0].target',
      ],
      [
        'a bad IQN',
        { ...base, disks: [{ kind: 'iscsi', portal: 'h', iqn: "iqn.x'/><evil", lun: 0 }] },
        'config.disks[0].iqn',
      ],
      [
        'a bad portal',
        { ...base, disks: [{ kind: 'iscsi', portal: 'h:99999', iqn: IQN, lun: 0 }] },
        'config.disks[0].portal',
      ],
      [
        'a negative LUN',
        { ...base, disks: [{ kind: 'iscsi', portal: 'h', iqn: IQN, lun: -1 }] },
        'config.disks[0].lun',
      ],
      [
        'a bad initiator IQN',
        { ...base, disks: [{ kind: 'iscsi', portal: 'h', iqn: IQN, lun: 0, initiatorIqn: 'me' }] },
        'config.disks[0].initiatorIqn',
      ],
      [
        'a CHAP secret that is not a UUID',
        {
          ...base,
          disks: [{ kind: 'iscsi', portal: 'h', iqn: IQN, lun: 0, chap: { username: 'u', secretUuid: 'hunter2' } }],
        },
        'config.disks[0].chap.secretUuid',
      ],
      [
        'a CHAP user with quotes',
        {
          ...base,
          disks: [{ kind: 'iscsi', portal: 'h', iqn: IQN, lun: 0, chap: { username: "u'", secretUuid: SECRET } }],
        },
        'config.disks[0].chap.username',
      ],
      ['a bridge name with spaces', { ...base, xen: { bridge: 'xen br0' } }, 'config.xen.bridge'],
      ['a MAC without a bridge', { ...base, xen: { mac: '00:16:3e:00:00:01' } }, 'config.xen.mac'],
      ['zero vCPUs (core validation)', { ...base, vcpus: 0 }, 'config.vcpus'],
    ];
    for (const [what, config, field] of cases) {
      it(what, () => {
        const err = throwsWith(() => xenDomainXml(config), 'E_INVALID_ARGUMENT');
        expect(err.details.field).to.equal(field);
      });
    }
  });

  it('libxlUnsupported names iSCSI network disks, which libxl refuses at start, and nothing else', () => {
    const base = { name: 'u', memoryMiB: 64, vcpus: 1, ...PV_KERNEL };
    const disk = { kind: 'iscsi' as const, portal: 'h', iqn: IQN, lun: 0 };
    expect(libxlUnsupported({ ...base, xen: { iscsi: 'network' }, disks: [disk] })).to.match(/RBD/);
    expect(libxlUnsupported({ ...base, disks: [disk] })).to.equal(undefined);
    expect(libxlUnsupported({ ...base, xen: { iscsi: 'network' } })).to.equal(undefined);
  });
});
