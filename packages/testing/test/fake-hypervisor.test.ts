import type { DomainEvent } from '@virtmig/core';
import { expect } from 'chai';
import { FakeHypervisor, FakeNetwork, ManualClock } from '../src/index.js';
import { rejectsWith } from './helpers.js';

function setup(hostOptions = {}) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const network = new FakeNetwork({ clock });
  network.addHost('a', hostOptions);
  const h = new FakeHypervisor({ network, host: 'a' });
  return { clock, network, h };
}

describe('FakeHypervisor', () => {
  describe('CPU time driven by the injected clock', () => {
    it('a running 2-vCPU guest at full load accumulates 2 s of CPU time per second of clock', async () => {
      const { clock, h } = setup();
      await h.defineDomain({ name: 'vm', memoryMiB: 256, vcpus: 2 });
      await h.startDomain('vm');
      expect((await h.lookupDomain('vm')).cpuTimeNs).to.equal(0);
      await clock.advance(1000);
      expect((await h.lookupDomain('vm')).cpuTimeNs).to.equal(2e9);
    });

    it('CPU time grows by load × min(cap, 100 × vCPUs) and stops while paused', async () => {
      const { clock, h } = setup();
      await h.defineDomain({ name: 'vm', memoryMiB: 256, vcpus: 2, maxVcpus: 4 });
      await h.startDomain('vm');
      h.setLoad('vm', 0.5);
      await clock.advance(1000);
      expect((await h.lookupDomain('vm')).cpuTimeNs).to.equal(1e9);
      await h.setCpuCap('vm', 50);
      await clock.advance(1000);
      expect((await h.lookupDomain('vm')).cpuTimeNs).to.equal(1.25e9);
      await h.setCpuCap('vm', 300);
      await clock.advance(1000);
      expect((await h.lookupDomain('vm')).cpuTimeNs, 'a cap above 100 × vCPUs is bounded by the vCPUs').to.equal(
        2.25e9,
      );
      await h.suspendDomain('vm');
      await clock.advance(5000);
      expect((await h.lookupDomain('vm')).cpuTimeNs).to.equal(2.25e9);
      await h.resumeDomain('vm');
      await h.setVcpus('vm', 1);
      await clock.advance(1000);
      expect((await h.lookupDomain('vm')).cpuTimeNs).to.equal(2.75e9);
    });

    it('a shut-off domain reports 0 CPU time and restarts from 0, as libvirt does', async () => {
      const { clock, h } = setup();
      await h.defineDomain({ name: 'vm', memoryMiB: 256, vcpus: 1 });
      await h.startDomain('vm');
      await clock.advance(1000);
      await h.destroyDomain('vm');
      expect((await h.lookupDomain('vm')).cpuTimeNs).to.equal(0);
      await h.startDomain('vm');
      await clock.advance(250);
      expect((await h.lookupDomain('vm')).cpuTimeNs).to.equal(2.5e8);
    });

    it('allDomainStats reports cpu.time, balloon and vCPU fields with libvirt names for running domains only', async () => {
      const { clock, h } = setup();
      await h.defineDomain({ name: 'on', memoryMiB: 256, vcpus: 2, maxVcpus: 4 });
      await h.defineDomain({ name: 'off', memoryMiB: 128, vcpus: 1 });
      await h.startDomain('on');
      await clock.advance(10);
      const stats = await h.allDomainStats();
      expect(stats.map((s) => s.name)).to.deep.equal(['off', 'on']);
      const on = stats[1];
      expect(on?.cpuTimeNs).to.equal(2e7);
      expect(on?.fields).to.deep.equal({
        'state.state': 1,
        'cpu.time': 2e7,
        'balloon.current': 262144,
        'balloon.maximum': 262144,
        'vcpu.current': 2,
        'vcpu.maximum': 4,
      });
      expect(stats[0]?.cpuTimeNs).to.equal(undefined);
      expect(stats[0]?.fields['state.state']).to.equal(5);
    });
  });

  describe('state machine', () => {
    it('undefining a running persistent domain makes it transient; destroying it then removes it', async () => {
      const { h } = setup();
      await h.defineDomain({ name: 'vm', memoryMiB: 128, vcpus: 1 });
      await h.startDomain('vm');
      await h.undefineDomain('vm');
      expect(await h.lookupDomain('vm')).to.include({ state: 'running', persistent: false });
      await rejectsWith(h.undefineDomain('vm'), 'E_STATE');
      await h.destroyDomain('vm');
      await rejectsWith(h.lookupDomain('vm'), 'E_NOT_FOUND');
    });

    it('refuses transitions libvirt refuses with E_STATE and keeps the state', async () => {
      const { h } = setup();
      await h.defineDomain({ name: 'vm', memoryMiB: 128, vcpus: 1 });
      await rejectsWith(h.suspendDomain('vm'), 'E_STATE');
      await rejectsWith(h.resumeDomain('vm'), 'E_STATE');
      await rejectsWith(h.shutdownDomain('vm'), 'E_STATE');
      await rejectsWith(h.destroyDomain('vm'), 'E_STATE');
      await h.startDomain('vm');
      await rejectsWith(h.startDomain('vm'), 'E_STATE');
      await rejectsWith(h.resumeDomain('vm'), 'E_STATE');
      await h.suspendDomain('vm');
      await rejectsWith(h.suspendDomain('vm'), 'E_STATE');
      await rejectsWith(h.shutdownDomain('vm'), 'E_STATE');
      expect((await h.lookupDomain('vm')).state).to.equal('paused');
    });

    it('defining a name that exists fails with E_STATE and keeps the original', async () => {
      const { h } = setup();
      const first = await h.defineDomain({ name: 'vm', memoryMiB: 128, vcpus: 1 });
      await rejectsWith(h.defineDomain({ name: 'vm', memoryMiB: 512, vcpus: 4 }), 'E_STATE');
      expect(await h.lookupDomain('vm')).to.deep.equal(first);
    });

    it('assigns a new id on every start and -1 when shut off', async () => {
      const { h } = setup();
      await h.defineDomain({ name: 'vm', memoryMiB: 128, vcpus: 1 });
      await h.startDomain('vm');
      const first = (await h.lookupDomain('vm')).id;
      await h.shutdownDomain('vm');
      expect((await h.lookupDomain('vm')).id).to.equal(-1);
      await h.startDomain('vm');
      expect((await h.lookupDomain('vm')).id).to.be.greaterThan(first);
    });
  });

  describe('validation changes nothing', () => {
    it('rejects vCPUs above the maximum, memory above a running guest’s maximum and caps above 100 × maxVcpus', async () => {
      const { h } = setup();
      await h.defineDomain({ name: 'vm', memoryMiB: 256, vcpus: 2, maxVcpus: 4 });
      await h.startDomain('vm');
      const before = await h.lookupDomain('vm');
      expect((await rejectsWith(h.setVcpus('vm', 5), 'E_INVALID_ARGUMENT')).details.field).to.equal('vcpus');
      expect((await rejectsWith(h.setVcpus('vm', 1.5), 'E_INVALID_ARGUMENT')).details.field).to.equal('vcpus');
      expect((await rejectsWith(h.setMemory('vm', 512), 'E_INVALID_ARGUMENT')).details.field).to.equal('memoryMiB');
      expect((await rejectsWith(h.setCpuCap('vm', 401), 'E_INVALID_ARGUMENT')).details.field).to.equal('percent');
      expect(await h.lookupDomain('vm')).to.deep.equal(before);
      expect(await h.getCpuCap('vm')).to.equal(0);
    });

    it('rejects bad configs with the offending field and defines nothing', async () => {
      const { h } = setup();
      const cases: [Record<string, unknown>, string][] = [
        [{ name: 'vm', memoryMiB: 0, vcpus: 1 }, 'memoryMiB'],
        [{ name: 'vm', memoryMiB: 128, vcpus: 2, maxVcpus: 1 }, 'maxVcpus'],
        [{ name: 'vm', memoryMiB: 128, vcpus: 1, cpuCapPercent: -5 }, 'cpuCapPercent'],
        [{ name: 'vm', memoryMiB: 128, vcpus: 1, disks: [{ kind: 'nbd' }] }, 'disks[0].kind'],
        [
          { name: 'vm', memoryMiB: 128, vcpus: 1, disks: [{ kind: 'iscsi', portal: 'a b', iqn: 'iqn.x', lun: 0 }] },
          'disks[0].portal',
        ],
        [{ name: 'vm', xml: '<domain><name>other</name><memory>1024</memory></domain>' }, 'xml'],
        [{ name: 'vm', xml: 'not xml' }, 'xml'],
      ];
      for (const [config, field] of cases) {
        const e = await rejectsWith(h.defineDomain(config as never), 'E_INVALID_ARGUMENT');
        expect(e.details.field, JSON.stringify(config)).to.equal(field);
      }
      expect(await h.listDomains()).to.deep.equal([]);
    });

    it('refuses live changes the host does not offer with E_UNSUPPORTED, yet applies them to shut-off domains', async () => {
      const { h } = setup({ vcpuHotplug: false, memoryBalloon: false, cpuCap: false });
      await h.defineDomain({ name: 'vm', memoryMiB: 256, vcpus: 1, maxVcpus: 2 });
      await h.setVcpus('vm', 2);
      await h.setMemory('vm', 512);
      expect(await h.lookupDomain('vm')).to.include({ vcpus: 2, memoryKiB: 524288, maxMemoryKiB: 524288 });
      await h.startDomain('vm');
      await rejectsWith(h.setVcpus('vm', 1), 'E_UNSUPPORTED');
      await rejectsWith(h.setMemory('vm', 256), 'E_UNSUPPORTED');
      await rejectsWith(h.setCpuCap('vm', 50), 'E_UNSUPPORTED');
      await rejectsWith(
        h.defineDomain({ name: 'capped', memoryMiB: 64, vcpus: 1, cpuCapPercent: 50 }),
        'E_UNSUPPORTED',
      );
    });
  });

  describe('XML', () => {
    it('domainXml describes memory, vCPUs, the cap as a global quota and disks, with XML escaping', async () => {
      const { h } = setup();
      await h.defineDomain({
        name: 'vm',
        memoryMiB: 256,
        vcpus: 1,
        maxVcpus: 2,
        cpuCapPercent: 50,
        kernel: "/boot/k'<x>",
        disks: [
          {
            kind: 'iscsi',
            portal: '127.0.0.1:3260',
            iqn: 'iqn.2026-01.lab:t',
            lun: 1,
            chap: { username: 'u', secretUuid: 's-1' },
          },
        ],
      });
      const xml = await h.domainXml('vm');
      expect(xml).to.contain("<memory unit='KiB'>262144</memory>");
      expect(xml).to.contain("<vcpu placement='static' current='1'>2</vcpu>");
      expect(xml).to.contain('<global_quota>50000</global_quota>');
      expect(xml).to.contain('<kernel>/boot/k&#39;&#60;x&#62;</kernel>');
      expect(xml).to.contain("<source protocol='iscsi' name='iqn.2026-01.lab:t/1'>");
      expect(xml).to.contain("<secret type='iscsi' uuid='s-1'/>");
    });

    it('defines a domain from raw XML with memory units and a current vCPU count', async () => {
      const { h } = setup();
      const info = await h.defineDomain({
        name: 'raw',
        xml: "<domain type='kvm'><name>raw</name><memory unit='MiB'>512</memory><currentMemory unit='MiB'>256</currentMemory><vcpu current='2'>4</vcpu></domain>",
      } as never);
      expect(info).to.include({ maxMemoryKiB: 524288, memoryKiB: 262144, vcpus: 2 });
      expect(await h.domainXml('raw')).to.contain("current='2'>4</vcpu>");
    });

    it('capabilitiesXml names the host UUID, topology and migration transport', async () => {
      const { h } = setup({ cpus: 8 });
      const xml = await h.capabilitiesXml();
      expect(xml).to.match(/<uuid>[0-9a-f-]{36}<\/uuid>/);
      expect(xml).to.contain("cores='8'");
      expect(xml).to.contain('<uri_transport>fake</uri_transport>');
    });
  });

  describe('connections and events', () => {
    it('connections to one host share its domains; closing one leaves the domains and other connections alone', async () => {
      const { network, h } = setup();
      const other = new FakeHypervisor({ network, host: 'a' });
      await h.defineDomain({ name: 'vm', memoryMiB: 128, vcpus: 1 });
      await h.startDomain('vm');
      await h.close();
      expect((await other.lookupDomain('vm')).state).to.equal('running');
      await rejectsWith(h.lookupDomain('vm'), 'E_CLOSED');
      expect(() => h.failNextMigration('x'))
        .to.throw()
        .with.property('code', 'E_CLOSED');
    });

    it('delivers lifecycle events with libvirt-style details before the operation’s caller resumes, until unsubscribed', async () => {
      const { clock, h } = setup();
      const events: DomainEvent[] = [];
      const unsubscribe = h.onDomainEvent((e) => events.push(e));
      await h.defineDomain({ name: 'vm', memoryMiB: 128, vcpus: 1 });
      await h.startDomain('vm');
      await clock.advance(5);
      await h.suspendDomain('vm');
      await h.resumeDomain('vm');
      await h.destroyDomain('vm');
      await h.undefineDomain('vm');
      expect(events.map((e) => `${e.kind}/${e.detail}`)).to.deep.equal([
        'defined/added',
        'started/booted',
        'suspended/paused',
        'resumed/unpaused',
        'stopped/destroyed',
        'undefined/removed',
      ]);
      expect(events[2]?.at).to.equal(clock.now());
      unsubscribe();
      await h.defineDomain({ name: 'vm2', memoryMiB: 128, vcpus: 1 });
      expect(events).to.have.length(6);
    });

    it('closing a connection drops its event subscriptions', async () => {
      const { network, h } = setup();
      const other = new FakeHypervisor({ network, host: 'a' });
      const events: DomainEvent[] = [];
      h.onDomainEvent((e) => events.push(e));
      await h.close();
      await other.defineDomain({ name: 'vm', memoryMiB: 128, vcpus: 1 });
      expect(events).to.deep.equal([]);
    });

    it('hostInfo reflects the host options', async () => {
      const { h } = setup({ cpus: 8, memoryMiB: 4096, mhz: 3000, model: 'Test CPU' });
      expect(await h.hostInfo()).to.include({
        hostname: 'a',
        cpus: 8,
        coresPerSocket: 8,
        memoryKiB: 4194304,
        mhz: 3000,
        model: 'Test CPU',
      });
    });

    it('a host exists once: adding it again fails with E_STATE', () => {
      const { network } = setup();
      expect(() => network.addHost('a'))
        .to.throw()
        .with.property('code', 'E_STATE');
    });
  });

  describe('secrets', () => {
    it('keeps a copy of the value per host (every connection sees the secret), zeroed and gone on undefine', async () => {
      const { network, h } = setup();
      const info = await h.defineSecret({ usageType: 'iscsi', usageId: 'lab-disk' });
      const bytes = new Uint8Array([1, 2, 3]);
      await h.setSecretValue(info.uuid, bytes);
      bytes[0] = 9;
      expect(h.secretValueEquals(info.uuid, new Uint8Array([1, 2, 3]))).to.equal(true);
      const other = new FakeHypervisor({ network, host: 'a' });
      expect(await other.lookupSecretByUsage('iscsi', 'lab-disk')).to.deep.equal(info);
      await other.setSecretValue(info.uuid, 'pässwörd');
      expect(h.secretValueEquals(info.uuid, 'pässwörd')).to.equal(true);
      const held = h.host.secrets.get(info.uuid)?.value as Uint8Array;
      await h.undefineSecret(info.uuid);
      expect([...held].every((b) => b === 0)).to.equal(true);
      expect(h.secretValueEquals(info.uuid, 'pässwörd')).to.equal(false);
      expect(await h.listSecrets()).to.deep.equal([]);
    });

    it('a host created with secrets: false refuses every secret call with E_UNSUPPORTED after checking the input', async () => {
      const { h } = setup({ secrets: false });
      expect(h.capabilities.secrets).to.equal(false);
      await rejectsWith(h.defineSecret({ usageType: 'iscsi', usageId: 'x' }), 'E_UNSUPPORTED');
      await rejectsWith(h.listSecrets(), 'E_UNSUPPORTED');
      await rejectsWith(h.lookupSecret('not-a-uuid'), 'E_INVALID_ARGUMENT');
    });
  });
});
