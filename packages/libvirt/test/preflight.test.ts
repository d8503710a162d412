import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PreflightError, PreflightReport } from '@virtmig/core';
import { expect } from 'chai';
import { Connection, ENUMS, guestFacts, hostModelCpu, LibvirtError } from '../src/index.js';
import { BareHypervisor } from './bare-hypervisor.js';

const GUEST = `<domain type='test'>
  <name>pf</name>
  <memory unit='MiB'>256</memory>
  <currentMemory unit='MiB'>256</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model><feature policy='require' name='avx512f'/></cpu>
  <devices>
    <disk type='file' device='disk'><source file='/srv/shared/pf.img'/><target dev='vda' bus='virtio'/></disk>
    <disk type='network' device='disk'><source protocol='iscsi' name='iqn.2026-11.org.virtmig:lab/1'><host name='10.77.0.1' port='3260'/><auth username='u'><secret type='iscsi' uuid='11111111-2222-3333-4444-555555555555'/></auth></source><target dev='vdb' bus='virtio'/></disk>
    <interface type='network'><source network='labnet'/></interface>
    <interface type='bridge'><source bridge='br0'/></interface>
  </devices>
</domain>`;

const HOST_MODEL = `<domainCapabilities><cpu><mode name='host-passthrough' supported='no'/><mode name='host-model' supported='yes'><model fallback='forbid'>EPYC</model><vendor>AMD</vendor><feature policy='require' name='hypervisor'/></mode></cpu></domainCapabilities>`;

/** A second, empty test-driver host. */
function secondHost(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'virtmig-preflight-')), 'node.xml');
  writeFileSync(
    file,
    '<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>1000</mhz></cpu><memory>8388608</memory></node>\n',
  );
  return `test://${file}`;
}

const noSuch = (fn: string, code: number): LibvirtError =>
  new LibvirtError({ fn, libvirtCode: code, libvirtDomain: 0, libvirtMessage: `no such object (${fn})` });

type Answer = (...args: unknown[]) => unknown;
/** What the destination answers for the calls the test driver lacks; a test overrides some. */
function healthy(): Record<string, Answer> {
  return {
    virConnectCompareHypervisorCPU: () => ENUMS.virCPUCompareResult.VIR_CPU_COMPARE_SUPERSET,
    virNodeGetFreeMemory: () => 8n << 30n,
    virStorageVolLookupByPath: () => 'vol',
    virSecretLookupByUUIDString: () => 'secret',
    virNetworkLookupByName: () => 'net',
    virInterfaceLookupByName: () => 'iface',
  };
}

describe('LibvirtHypervisor.preflight (test driver, stubbed destination answers)', () => {
  let source: BareHypervisor;
  let dest: BareHypervisor;
  let answers: Record<string, Answer>;
  let restore: () => void;

  beforeEach(async () => {
    source = new BareHypervisor(await Connection.open('test:///default'), { migration: true });
    dest = new BareHypervisor(await Connection.open(secondHost()), { migration: true });
    const d = await source.connection.defineXml(GUEST);
    await d.create();
    d.free();
    answers = healthy();
    const b = dest.connection.binding;
    const realAsync = b.callAsync.bind(b);
    const realCall = b.call.bind(b);
    const destAddress = b.engine.address(dest.connection.pointer);
    // Only the destination's calls are answered here; the source stays the real test driver.
    b.callAsync = async (name: string, ...args: unknown[]) => {
      const answer = answers[name];
      const onDest = args[0] !== undefined && b.engine.address(args[0]) === destAddress;
      if (answer && onDest) return answer(...args);
      return realAsync(name, ...args);
    };
    b.call = (name: string, ...args: unknown[]) => {
      if (['vol', 'secret', 'net', 'iface'].includes(args[0] as string)) return name.endsWith('IsActive') ? 1 : 0;
      return realCall(name, ...args);
    };
    restore = () => {
      b.callAsync = realAsync;
      b.call = realCall;
    };
  });

  afterEach(async () => {
    restore();
    await source.destroyDomain('pf').catch(() => undefined);
    await source.undefineDomain('pf').catch(() => undefined);
    await source.close();
    await dest.close();
  });

  const failed = (r: PreflightReport) => r.checks.filter((c) => c.status === 'fail').map((c) => c.name);
  const check = (r: PreflightReport, name: string) => r.checks.find((c) => c.name === name);

  it('passes when the destination answers well, with a reason and a duration for every check', async () => {
    const r = await source.preflight('pf', dest);
    expect(failed(r), JSON.stringify(r.checks)).to.deep.equal([]);
    expect(r.ok).to.equal(true);
    expect(check(r, 'memory-available')?.reason).to.equal('needs 256 MiB + 0 MiB reserve, 8192 MiB free');
    expect(check(r, 'disks-reachable')?.reason).to.contain('vda in a destination pool');
    expect(check(r, 'networks-present')?.reason).to.equal('present and active: network labnet, bridge br0');
    for (const c of r.checks) expect(c.durationMs).to.be.at.least(0);
  });

  it('an incompatible CPU fails cpu-compatible with libvirt’s reason and a baseline of the guest and host-model CPUs', async () => {
    const seen: unknown[][] = [];
    answers.virConnectCompareHypervisorCPU = (...args) => {
      if (args[6] === ENUMS.virConnectCompareCPUFlags.VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE)
        throw new LibvirtError({
          fn: 'virConnectCompareHypervisorCPU',
          libvirtCode: ENUMS.virErrorNumber.VIR_ERR_CPU_INCOMPATIBLE,
          libvirtDomain: 0,
          libvirtMessage: 'the CPU is incompatible with host CPU: Host CPU does not provide required features: avx512f',
        });
      seen.push(args.slice(1, 5));
      return ENUMS.virCPUCompareResult.VIR_CPU_COMPARE_INCOMPATIBLE;
    };
    answers.virConnectGetDomainCapabilities = () => HOST_MODEL;
    let baselined: string[] = [];
    answers.virConnectBaselineHypervisorCPU = (_c, _e, _a, _m, _v, array, n) => {
      const b = dest.connection.binding.engine;
      baselined = Array.from({ length: n as number }, (_, i) => b.readCString(b.readPointer(array as Buffer, i * 8)));
      return "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>";
    };
    const r = await source.preflight('pf', dest);
    expect(failed(r)).to.deep.equal(['cpu-compatible']);
    expect(seen[0], 'emulator, arch, machine, virttype from the guest').to.deep.equal([null, 'x86_64', 'pc', 'test']);
    const cpu = check(r, 'cpu-compatible');
    expect(cpu?.reason).to.contain('Host CPU does not provide required features: avx512f');
    expect(baselined).to.have.length(2);
    expect(baselined[0]).to.contain("name='avx512f'");
    expect(baselined[1]).to.contain("<model fallback='forbid'>EPYC</model>");
    expect(cpu?.suggestion).to.equal("<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>");
    const e = (await source.migrate('pf', dest).catch((x) => x)) as PreflightError;
    expect(e.code).to.equal('E_PREFLIGHT');
    expect(e.check).to.equal('cpu-compatible');
    expect((await source.lookupDomain('pf')).state).to.equal('running');
  });

  it('too little free memory, or a reserve that leaves too little, fails memory-available', async () => {
    answers.virNodeGetFreeMemory = () => 200n << 20n;
    expect(failed(await source.preflight('pf', dest))).to.deep.equal(['memory-available']);
    answers.virNodeGetFreeMemory = () => 300n << 20n;
    expect(failed(await source.preflight('pf', dest))).to.deep.equal([]);
    const r = await source.preflight('pf', dest, { memoryReserveMiB: 45 });
    expect(check(r, 'memory-available')).to.include({
      status: 'fail',
      reason: 'needs 256 MiB + 45 MiB reserve, 300 MiB free',
    });
  });

  it('a file disk in no storage pool of either host skips disks-reachable (libvirt cannot tell), and an iSCSI disk whose secret the destination lacks fails it', async () => {
    answers.virStorageVolLookupByPath = () => {
      throw noSuch('virStorageVolLookupByPath', ENUMS.virErrorNumber.VIR_ERR_NO_STORAGE_VOL);
    };
    let r = await source.preflight('pf', dest);
    expect(failed(r)).to.deep.equal([]);
    expect(check(r, 'disks-reachable')?.status).to.equal('skip');
    expect(check(r, 'disks-reachable')?.reason).to.contain('/srv/shared/pf.img');
    answers = healthy();
    answers.virSecretLookupByUUIDString = () => {
      throw noSuch('virSecretLookupByUUIDString', ENUMS.virErrorNumber.VIR_ERR_NO_SECRET);
    };
    r = await source.preflight('pf', dest);
    expect(check(r, 'disks-reachable')?.reason).to.contain('needs secret 11111111-2222-3333-4444-555555555555');
  });

  it('a missing network or bridge fails networks-present; an interface driver that cannot look skips it', async () => {
    answers.virNetworkLookupByName = () => {
      throw noSuch('virNetworkLookupByName', ENUMS.virErrorNumber.VIR_ERR_NO_NETWORK);
    };
    let r = await source.preflight('pf', dest);
    expect(check(r, 'networks-present')).to.include({
      status: 'fail',
      reason: 'the destination has no network labnet',
    });
    answers = healthy();
    answers.virInterfaceLookupByName = () => {
      throw noSuch('virInterfaceLookupByName', ENUMS.virErrorNumber.VIR_ERR_NO_SUPPORT);
    };
    r = await source.preflight('pf', dest);
    expect(check(r, 'networks-present')?.status).to.equal('skip');
  });

  it('an older destination hypervisor fails hypervisor-version; a destination that does not answer fails destination-reachable and skips the rest', async () => {
    answers.virConnectGetVersion = (_c, out) => {
      (out as Buffer).writeBigUInt64LE(1n, 0);
      return 0;
    };
    expect(failed(await source.preflight('pf', dest))).to.deep.equal(['hypervisor-version']);
    answers.virConnectGetLibVersion = () => {
      throw noSuch('virConnectGetLibVersion', ENUMS.virErrorNumber.VIR_ERR_RPC);
    };
    const r = await source.preflight('pf', dest);
    expect(failed(r)).to.deep.equal(['destination-reachable']);
    expect(r.checks.slice(1).every((c) => c.status === 'skip')).to.equal(true);
  });

  it('a domain of that name on the destination fails name-free; migrate with preflight: false goes past it', async () => {
    const d = await dest.connection.defineXml(
      GUEST.replace('<name>pf</name>', '<name>pf</name><uuid>00000000-0000-0000-0000-000000000001</uuid>'),
    );
    d.free();
    const r = await source.preflight('pf', dest);
    expect(failed(r)).to.deep.equal(['name-free']);
    expect(check(r, 'name-free')?.reason).to.contain('another domain named pf');
    // The test driver cannot migrate: past the preflight, the migration's own clash refusal answers.
    const e = (await source.migrate('pf', dest, { preflight: false }).catch((x) => x)) as { code: string };
    expect(e.code).to.equal('E_MIGRATION_FAILED');
  });
});

describe('guestFacts', () => {
  it('reads the <cpu> element verbatim, the comparison target, every disk source and every interface', () => {
    const f = guestFacts(GUEST);
    expect(f.cpuXml).to.match(/^<cpu mode='custom' match='exact'>.*<\/cpu>$/);
    expect(f.cpuMode).to.equal('custom');
    expect(f.target).to.deep.equal({ arch: 'x86_64', machine: 'pc', virttype: 'test' });
    expect(f.disks).to.deep.equal([
      { target: 'vda', kind: 'path', path: '/srv/shared/pf.img' },
      {
        target: 'vdb',
        kind: 'network',
        protocol: 'iscsi',
        name: 'iqn.2026-11.org.virtmig:lab/1',
        hosts: ['10.77.0.1:3260'],
        secretUuid: '11111111-2222-3333-4444-555555555555',
      },
    ]);
    expect(f.interfaces).to.deep.equal([
      { type: 'network', source: 'labnet' },
      { type: 'bridge', source: 'br0' },
    ]);
  });

  it('a domain without <cpu> has none, and the <cputune> element is not mistaken for it', () => {
    const f = guestFacts("<domain type='kvm'><name>x</name><cputune><shares>1</shares></cputune><devices/></domain>");
    expect(f.cpuXml).to.equal(undefined);
    expect(f.disks).to.deep.equal([]);
  });

  it('hostModelCpu turns the domain capabilities host-model into a <cpu> element, or undefined', () => {
    expect(hostModelCpu(HOST_MODEL)).to.match(
      /^<cpu mode='custom' match='exact'><model fallback='forbid'>EPYC<\/model>/,
    );
    expect(hostModelCpu('<domainCapabilities/>')).to.equal(undefined);
  });
});
