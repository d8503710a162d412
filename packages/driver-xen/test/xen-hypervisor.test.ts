import { expect } from 'chai';
import { type XenHypervisor, xenDomainXml } from '../src/index.js';
import { rejectsWith } from './helpers.js';
import { LibxlSeam } from './libvirt-seam.js';

const TEST_XML = (name: string): string =>
  `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;
const PV = { memoryMiB: 64, vcpus: 1, kernel: '/boot/vmlinuz', cmdline: 'console=hvc0' };

describe('XenHypervisor on a libxl-like binding', () => {
  let seam: LibxlSeam;
  let h: XenHypervisor;
  let n = 0;
  const names: string[] = [];

  /** A running domain on the test driver (the test driver's own running domain type). */
  async function runningDomain(): Promise<string> {
    const name = `xen-unit-${process.pid}-${n++}`;
    names.push(name);
    const d = await h.connection.defineXml(TEST_XML(name));
    try {
      await d.create();
    } finally {
      d.free();
    }
    return name;
  }

  beforeEach(async () => {
    seam = new LibxlSeam();
    h = await seam.open();
  });
  afterEach(async () => {
    for (const name of names.splice(0)) {
      await h.destroyDomain(name).catch(() => undefined);
      await h.undefineDomain(name).catch(() => undefined);
    }
    await h.close();
    seam.restore();
  });

  describe('CPU cap through the credit scheduler', () => {
    it('setCpuCap asks virDomainGetSchedulerType, then sets cap as a single uint with flags 0', async () => {
      const name = await runningDomain();
      await h.setCpuCap(name, 50);
      expect(seam.asyncCalls('virDomainGetSchedulerType')).to.have.length(1);
      expect(seam.setCalls).to.deep.equal([{ params: [{ name: 'cap', type: 'uint', value: 50 }], flags: 0 }]);
      const [ptr, , nparams, flags] = seam.asyncCalls('virDomainSetSchedulerParametersFlags')[0] ?? [];
      expect(ptr).to.equal(seam.asyncCalls('virDomainGetSchedulerType')[0]?.[0]);
      expect([nparams, flags]).to.deep.equal([1, 0]);
    });

    it('getCpuCap reads cap back from virDomainGetSchedulerParametersFlags', async () => {
      const name = await runningDomain();
      seam.credit = { weight: 512, cap: 30 };
      expect(await h.getCpuCap(name)).to.equal(30);
      expect(seam.asyncCalls('virDomainGetSchedulerParametersFlags')).to.have.length(1);
      await h.setCpuCap(name, 0);
      expect(await h.getCpuCap(name)).to.equal(0);
    });

    it('caps above one CPU are whole percentages of one physical CPU (200 = two CPUs)', async () => {
      const name = await runningDomain();
      await h.setCpuCap(name, 200);
      expect(seam.credit.cap).to.equal(200);
    });

    it('setCreditSettings sets weight and cap together as uints; creditSettings reads both', async () => {
      const name = await runningDomain();
      await h.setCreditSettings(name, { weight: 1024, cap: 75 });
      expect(seam.setCalls[0]?.params).to.deep.equal([
        { name: 'weight', type: 'uint', value: 1024 },
        { name: 'cap', type: 'uint', value: 75 },
      ]);
      expect(await h.creditSettings(name)).to.deep.equal({ cap: 75, weight: 1024 });
      expect(await h.schedulerType(name)).to.equal('credit');
    });

    it('refuses a fractional cap, a cap beyond uint16 and a zero weight with E_INVALID_ARGUMENT before calling libvirt', async () => {
      const name = await runningDomain();
      await rejectsWith(h.setCpuCap(name, 12.5), 'E_INVALID_ARGUMENT');
      await rejectsWith(h.setCpuCap(name, 70_000), 'E_INVALID_ARGUMENT');
      await rejectsWith(h.setCreditSettings(name, { weight: 0 }), 'E_INVALID_ARGUMENT');
      await rejectsWith(h.setCreditSettings(name, {}), 'E_INVALID_ARGUMENT');
      expect(seam.asyncCalls('virDomainSetSchedulerParametersFlags')).to.have.length(0);
    });

    it('refuses caps and weights under credit2 with E_UNSUPPORTED and never sends them', async () => {
      const name = await runningDomain();
      seam.scheduler = 'credit2';
      const err = await rejectsWith(h.setCpuCap(name, 50), 'E_UNSUPPORTED');
      expect(err.message).to.match(/credit2/);
      await rejectsWith(h.getCpuCap(name), 'E_UNSUPPORTED');
      await rejectsWith(h.setCreditSettings(name, { weight: 300 }), 'E_UNSUPPORTED');
      expect(seam.asyncCalls('virDomainSetSchedulerParametersFlags')).to.have.length(0);
    });

    it('refuses caps of a shut-off domain with E_STATE, as libxl sets them on running domains only', async () => {
      const name = await runningDomain();
      await h.destroyDomain(name);
      await rejectsWith(h.setCpuCap(name, 50), 'E_STATE');
      await rejectsWith(h.getCpuCap(name), 'E_STATE');
      expect(seam.asyncCalls('virDomainGetSchedulerType')).to.have.length(0);
    });

    it('a missing domain fails with E_NOT_FOUND', async () => {
      await rejectsWith(h.setCpuCap('no-such-xen-domain', 50), 'E_NOT_FOUND');
    });
  });

  describe('defineDomain', () => {
    /** Captures the XML the driver defines, and defines the test driver's equivalent instead. */
    function captureDefine(): string[] {
      const seen: string[] = [];
      const real = seam.callAsync.wrappedMethod.bind(seam.binding);
      seam.callAsync
        .withArgs('virDomainDefineXMLFlags')
        .callsFake(async (_n: string, conn: unknown, xml: string, flags: number) => {
          seen.push(xml);
          const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1] ?? '';
          names.push(name);
          return real('virDomainDefineXMLFlags', conn, TEST_XML(name), flags);
        });
      return seen;
    }

    it('sends the Xen domain XML of the config to virDomainDefineXMLFlags', async () => {
      const seen = captureDefine();
      const config = { name: `xen-def-${process.pid}`, ...PV, disks: [{ kind: 'file' as const, path: '/srv/g.img' }] };
      const info = await h.defineDomain(config);
      expect(info.name).to.equal(config.name);
      expect(seen).to.deep.equal([xenDomainXml(config)]);
    });

    it('refuses an iSCSI network disk with E_UNSUPPORTED before anything is defined', async () => {
      const seen = captureDefine();
      const config = {
        name: `xen-net-${process.pid}`,
        ...PV,
        xen: { iscsi: 'network' as const },
        disks: [{ kind: 'iscsi' as const, portal: 'h', iqn: 'iqn.2026-11.dev.virtmig:x', lun: 0 }],
      };
      await rejectsWith(h.defineDomain(config), 'E_UNSUPPORTED');
      expect(seen).to.deep.equal([]);
    });

    it('refuses an invalid config with E_INVALID_ARGUMENT before anything is defined', async () => {
      const seen = captureDefine();
      await rejectsWith(
        h.defineDomain({ name: `xen-bad-${process.pid}`, memoryMiB: 64, vcpus: 1 }),
        'E_INVALID_ARGUMENT',
      );
      expect(seen).to.deep.equal([]);
    });

    it('a config with a CPU cap fails with E_STATE and leaves nothing defined (libxl caps running domains only)', async () => {
      captureDefine();
      const name = `xen-cap-${process.pid}`;
      await rejectsWith(h.defineDomain({ name, ...PV, cpuCapPercent: 50 }), 'E_STATE');
      await rejectsWith(h.lookupDomain(name), 'E_NOT_FOUND');
    });
  });

  describe('memory ballooning', () => {
    it('declares memoryBalloon true by default and false when opened with memoryBalloon: false', async () => {
      expect(h.capabilities.memoryBalloon).to.equal(true);
      const lean = new (h.constructor as typeof XenHypervisor)(h.connection, { memoryBalloon: false });
      expect(lean.capabilities.memoryBalloon).to.equal(false);
      expect(lean.capabilities.migrationOptions).to.equal(h.capabilities.migrationOptions);
    });

    it('without ballooning, setMemory on a running domU fails with E_UNSUPPORTED and calls no virDomainSetMemoryFlags', async () => {
      const name = await runningDomain();
      const lean = new (h.constructor as typeof XenHypervisor)(h.connection, { memoryBalloon: false });
      const before = (await lean.lookupDomain(name)).memoryKiB;
      await rejectsWith(lean.setMemory(name, 32), 'E_UNSUPPORTED');
      expect(seam.asyncCalls('virDomainSetMemoryFlags')).to.deep.equal([]);
      expect((await lean.lookupDomain(name)).memoryKiB).to.equal(before);
    });
  });
});
