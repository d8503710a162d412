import { FakeNetwork, runConformance } from '@virtmig/testing';
import { expect } from 'chai';
import { XEN_CAPABILITIES } from '../src/index.js';
import { addLibxlHost, FakeLibxlHypervisor } from './fake-libxl.js';
import { rejectsWith } from './helpers.js';

// A fast simulated link keeps each migration of a 64 MiB guest near 0.1 s.
const network = new FakeNetwork({ bandwidthBps: 1_000_000_000 });
addLibxlHost(network, 'xen-a');
addLibxlHost(network, 'xen-b');
addLibxlHost(network, 'xen-credit2', { scheduler: 'credit2' });
const pv = (name: string) => ({
  name,
  memoryMiB: 64,
  vcpus: 1,
  kernel: '/boot/vmlinuz',
  initrd: '/boot/initrd.img',
  cmdline: 'console=hvc0',
});
const connect = (host: string) => new FakeLibxlHypervisor({ network, host });

runConformance({
  name: 'FakeLibxlHypervisor (libvirt libxl driver behaviour)',
  connect: async () => connect('xen-a'),
  domainConfig: pv,
  migrationPeer: async () => ({ source: connect('xen-a'), destination: connect('xen-b') }),
});

describe('FakeLibxlHypervisor answers as libxl does', () => {
  const a = connect('xen-a');
  const b = connect('xen-b');
  let n = 0;
  const fresh = () => `libxl-${process.pid}-${n++}`;

  it('offers exactly the Xen driver capabilities and is not PostCopyCapable', () => {
    expect(a.capabilities.migrationOptions).to.deep.equal(XEN_CAPABILITIES.migrationOptions);
    expect({ ...a.capabilities, migrationOptions: null }).to.deep.equal({
      ...XEN_CAPABILITIES,
      migrationOptions: null,
    });
    expect(a.supportsPostCopy).to.equal(undefined);
  });

  it('reports no hypervisor statistics after a migration, only the downtime measured from events', async () => {
    const name = fresh();
    await a.defineDomain(pv(name));
    await a.startDomain(name);
    const r = await a.migrate(name, b);
    expect(r.downtimeSource).to.equal('events');
    expect(r.downtimeMs).to.be.a('number');
    expect(r).not.to.have.any.keys('iterations', 'dataTransferredBytes', 'setupTimeMs', 'memoryBandwidthBps');
    expect(r.raw).to.deep.equal({});
    await b.destroyDomain(name);
    await b.undefineDomain(name).catch(() => undefined);
  });

  it('refuses CPU caps on a credit2 host with E_UNSUPPORTED', async () => {
    const c = connect('xen-credit2');
    const name = fresh();
    await c.defineDomain(pv(name));
    await c.startDomain(name);
    await rejectsWith(c.setCpuCap(name, 50), 'E_UNSUPPORTED');
    await c.destroyDomain(name);
    await c.undefineDomain(name);
  });

  it('refuses an iSCSI network disk with E_UNSUPPORTED and a PV guest without a kernel with E_INVALID_ARGUMENT', async () => {
    await rejectsWith(
      a.defineDomain({
        ...pv(fresh()),
        xen: { iscsi: 'network' },
        disks: [{ kind: 'iscsi', portal: 'h', iqn: 'iqn.2026-11.dev.virtmig:x', lun: 0 }],
      }),
      'E_UNSUPPORTED',
    );
    await rejectsWith(a.defineDomain({ name: fresh(), memoryMiB: 64, vcpus: 1 }), 'E_INVALID_ARGUMENT');
  });
});
