import type { TrialRecord } from '@virtmig/analysis';
import { liveCluster } from '@virtmig/balance';
import { DriverRegistry, type MigrationResult } from '@virtmig/core';
import { connectFake, FakeNetwork, registerFakeDriver } from '@virtmig/testing';
import { expect } from 'chai';
import { liveHosts } from '../src/commands/recommend.js';

function trial(workload: string, totalTimeMs: number, downtimeMs: number): TrialRecord {
  return {
    experimentId: 'x',
    workload,
    ramMiB: 128,
    vcpus: 1,
    capPercent: 0,
    hostCores: 2,
    trial: 0,
    cpuSamples: [],
    workloadScore: 1,
    migration: { totalTimeMs, downtimeMs } as MigrationResult,
  };
}

describe('virtmig recommend --live (live cluster snapshot)', () => {
  it('samples the running domains of each host and attaches migration estimates by workload', async () => {
    const network = new FakeNetwork();
    const registry = new DriverRegistry();
    registerFakeDriver(registry, { network });
    const a = await connectFake('fake:///hostA', { network });
    await connectFake('fake:///hostB', { network });
    for (const [name, workload] of [
      ['vm-linpack', 'linpack'],
      ['vm-dhry', 'dhrystone'],
    ] as const) {
      await a.defineDomain({ name, memoryMiB: 256, vcpus: 1, kernel: '/k', cmdline: `virtmig.workload=${workload}` });
      await a.startDomain(name);
      a.setLoad(name, 1);
    }
    const hosts = [
      { name: 'host-a', uri: 'fake:///hostA', options: { network } },
      { name: 'host-b', uri: 'fake:///hostB', options: { network } },
    ];
    const cluster = await liveCluster(
      registry,
      hosts,
      [trial('linpack', 4000, 300), trial('dhrystone', 5000, 200)],
      200,
    );
    const [ha, hb] = cluster.hosts;
    expect(ha?.name).to.equal('host-a');
    expect(hb?.vms).to.deep.equal([]);
    const lin = ha?.vms.find((v) => v.name === 'vm-linpack');
    expect(lin).to.include({ ramMiB: 256, expectedTotalTimeMs: 4000, expectedDowntimeMs: 300 });
    expect(lin?.cpuPercent).to.be.within(50, 150);
    expect(ha?.vms.find((v) => v.name === 'vm-dhry')).to.include({ expectedTotalTimeMs: 5000 });
    await a.close();
  });

  it('takes "lab" or at least two comma-separated URIs for --hosts', async () => {
    expect(await liveHosts('qemu:///a, qemu:///b')).to.deep.equal([
      { name: 'qemu:///a', uri: 'qemu:///a', options: {} },
      { name: 'qemu:///b', uri: 'qemu:///b', options: {} },
    ]);
    const err = await liveHosts('qemu:///a').catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_INVALID_ARGUMENT');
  });

  it('refuses --hosts when any URI breaks the URI policy, naming --hosts', async () => {
    for (const bad of [
      'test:///default,qemu+ssh://h/system?command=/tmp/canary',
      'qemu+ext:///system?command=x,test:///default',
    ]) {
      const err = await liveHosts(bad).catch((e: unknown) => e);
      expect(err, bad).to.have.property('code', 'E_INVALID_ARGUMENT');
      expect(err, bad).to.have.property('field', '--hosts');
    }
  });

  it('connects to no host when a later host URI is refused', async () => {
    const network = new FakeNetwork();
    const registry = new DriverRegistry();
    const connected: string[] = [];
    registry.register('fake', async (parsed) => {
      connected.push(parsed.uri);
      return connectFake(parsed.uri, { network });
    });
    const hosts = [
      { name: 'a', uri: 'fake:///hostA', options: {} },
      { name: 'b', uri: 'fake+ssh://h/x?command=/tmp/canary', options: {} },
    ];
    const err = await liveCluster(registry, hosts, [], 1).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_INVALID_ARGUMENT');
    expect(err).to.have.property('field', 'hosts[1].uri');
    expect(connected).to.deep.equal([]);
    const unknown = await liveCluster(
      registry,
      [hosts[0] as (typeof hosts)[0], { name: 'c', uri: 'nope:///x', options: {} }],
      [],
      1,
    ).catch((e: unknown) => e);
    expect(unknown).to.have.property('code', 'E_UNKNOWN_SCHEME');
    expect(connected).to.deep.equal([]);
  });
});
