/** The README's examples, run as tests so they stay true. */
import type { Hypervisor } from '@virtmig/core';
import { expect } from 'chai';
import sinon from 'sinon';
import { connectFake, FakeNetwork, ManualClock } from '../src/index.js';

/** "User code" from the README: migrates every running domain, returns the names that failed. */
async function evacuate(source: Hypervisor, destination: Hypervisor): Promise<string[]> {
  const failed: string[] = [];
  for (const d of await source.listDomains()) {
    if (d.state !== 'running') continue;
    try {
      await source.migrate(d.name, destination);
    } catch {
      failed.push(d.name);
    }
  }
  return failed;
}

describe('README examples', () => {
  it('a ManualClock makes CPU time and migration times exact', async () => {
    const clock = new ManualClock();
    const network = new FakeNetwork({ clock, bandwidthBps: 125_000_000 });
    const a = await connectFake('fake:///hostA', { network });
    const b = await connectFake('fake:///hostB', { network });
    await a.defineDomain({ name: 'web', memoryMiB: 1024, vcpus: 2 });
    await a.startDomain('web');
    a.setLoad('web', 0.5);
    await clock.advance(10_000);
    expect((await a.lookupDomain('web')).cpuTimeNs).to.equal(10e9);

    a.setDirtyRate('web', 25_000_000);
    const migration = a.migrate('web', b);
    await clock.runAll();
    const result = await migration;
    expect(result.iterations).to.equal(3);
    expect(Math.round(result.totalTimeMs)).to.equal(10_752);
    expect(Math.round(result.downtimeMs ?? 0)).to.equal(81);
  });

  it('evacuate reports the domain whose migration failed; sinon sees every attempt', async () => {
    const network = new FakeNetwork({ bandwidthBps: 10e9 });
    const a = await connectFake('fake:///hostA', { network });
    const b = await connectFake('fake:///hostB', { network });
    for (const name of ['db', 'web']) {
      await a.defineDomain({ name, memoryMiB: 64, vcpus: 1 });
      await a.startDomain(name);
    }
    a.failNextMigration('link reset');
    const migrate = sinon.spy(a, 'migrate');

    expect(await evacuate(a, b)).to.deep.equal(['db']);
    expect(migrate.callCount).to.equal(2);
    expect((await a.lookupDomain('db')).state).to.equal('running');
    expect((await b.lookupDomain('web')).state).to.equal('running');
  });

  it('sinon fake timers drive the default (system) clock', async () => {
    const timers = sinon.useFakeTimers({
      now: Date.parse('2026-01-01T00:00:00Z'),
      toFake: ['Date', 'setTimeout', 'clearTimeout'],
    });
    try {
      const network = new FakeNetwork();
      const a = await connectFake('fake:///hostA', { network });
      const b = await connectFake('fake:///hostB', { network });
      await a.defineDomain({ name: 'vm', memoryMiB: 256, vcpus: 1 });
      await a.startDomain('vm');
      await timers.tickAsync(1000);
      expect((await a.lookupDomain('vm')).cpuTimeNs).to.equal(1e9);
      const migration = a.migrate('vm', b);
      await timers.tickAsync(5000);
      const result = await migration;
      expect(result.startedAt).to.equal('2026-01-01T00:00:01.000Z');
      // 20 ms setup + 256 MiB at 125 MB/s + 12 ms commit and activation; fake timers fire on whole ms.
      expect(result.totalTimeMs).to.be.closeTo(20 + 2147.48 + 12, 1);
    } finally {
      timers.restore();
    }
  });
});
