import type { MigrationProgress } from '@virtmig/core';
import { expect } from 'chai';
import { type FakeHostOptions, FakeHypervisor, FakeNetwork, ManualClock } from '../src/index.js';
import { rejectsWith } from './helpers.js';

const MIB = 1024 * 1024;

/** Two hosts on a 100 MB/s link on a manual clock, with a running 512 MiB guest `vm` on a. */
async function cluster(hostOptions: FakeHostOptions = {}) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const network = new FakeNetwork({ clock, bandwidthBps: 100e6, latencyMs: 1, setupMs: 20, activationMs: 10 });
  network.addHost('a', hostOptions);
  network.addHost('b', hostOptions);
  const a = new FakeHypervisor({ network, host: 'a' });
  const b = new FakeHypervisor({ network, host: 'b' });
  await a.defineDomain({ name: 'vm', memoryMiB: 512, vcpus: 2 });
  await a.startDomain('vm');
  return { clock, a, b };
}

/** The samples an iterator yields while `ms` of simulated time pass. */
async function during(clock: ManualClock, it: AsyncIterableIterator<MigrationProgress>, ms: number) {
  const seen: MigrationProgress[] = [];
  const reading = (async () => {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      seen.push(r.value);
    }
  })();
  await clock.advance(ms);
  await it.return?.();
  await clock.advance(0);
  await reading;
  return seen;
}

describe('FakeHypervisor migration job', () => {
  it('stats come every progress interval; setBandwidth changes the transfer rate from then on', async () => {
    const { clock, a, b } = await cluster();
    const job = await a.startMigration('vm', b, { bandwidthMiBps: 10 });
    const firstSamples = await during(clock, job.stats(), 1020);
    const first = firstSamples[firstSamples.length - 1] as MigrationProgress;
    const precopy = firstSamples.filter((x) => x.phase === 'precopy');
    const intervals = precopy.slice(1).map((x, i) => x.elapsedMs - (precopy[i] as MigrationProgress).elapsedMs);
    expect(first.dataProcessedBytes / MIB).to.be.closeTo(10, 0.6);
    expect(intervals.length).to.be.greaterThan(10);
    for (const x of intervals) expect(x).to.be.closeTo(50, 1e-6);
    await job.setBandwidth(50);
    const secondSamples = await during(clock, job.stats(), 1000);
    const second = secondSamples[secondSamples.length - 1] as MigrationProgress;
    expect((second.dataProcessedBytes - first.dataProcessedBytes) / MIB).to.be.closeTo(50, 3);
    await clock.runAll();
    const r = await job.result;
    expect(r.postCopy).to.equal(false);
    expect(job.finished).to.equal(true);
    await rejectsWith(job.setBandwidth(20), 'E_STATE');
    expect((await job.stats().next()).done).to.equal(true);
  });

  it('abort rejects the result with E_ABORTED and leaves the guest running on the source', async () => {
    const { clock, a, b } = await cluster();
    const job = await a.startMigration('vm', b, {});
    await clock.advance(500);
    await job.abort();
    await clock.runAll();
    await rejectsWith(job.result, 'E_ABORTED');
    expect((await a.lookupDomain('vm')).state).to.equal('running');
    await rejectsWith(b.lookupDomain('vm'), 'E_NOT_FOUND');
    await rejectsWith(job.abort(), 'E_STATE');
  });

  it('setMaxDowntime during a round applies at its end: a larger budget stops pre-copy after that round', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 20e6);
    const job = await a.startMigration('vm', b, {});
    await clock.advance(1000);
    await job.setMaxDowntime(2000);
    await clock.runAll();
    const r = await job.result;
    // Without the change the same migration takes 2 rounds (see fake-migration.test.ts).
    expect(r.iterations).to.equal(1);
  });

  it('reports each round with the model’s dirty rate', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 20e6);
    const job = await a.startMigration('vm', b, {});
    await clock.runAll();
    const r = await job.result;
    expect(r.rounds?.length).to.equal(2);
    for (const round of r.rounds ?? []) expect(round.dirtyRateBps).to.be.closeTo(20e6, 1);
  });

  it("startPostCopy switches a postCopy: 'manual' migration (abort is then E_STATE) and is E_UNSUPPORTED without the option", async () => {
    const { clock, a, b } = await cluster({ postCopy: true });
    a.setDirtyRate('vm', 20e6);
    const plain = await a.startMigration('vm', b, {});
    await rejectsWith(plain.startPostCopy(), 'E_UNSUPPORTED');
    await plain.abort();
    await clock.runAll();
    await rejectsWith(plain.result, 'E_ABORTED');
    const job = await a.startMigration('vm', b, { postCopy: 'manual' });
    await clock.advance(1000);
    await job.startPostCopy();
    await clock.advance(100);
    // The guest runs on the destination now: there is nothing to abort back to.
    await rejectsWith(job.abort(), 'E_STATE');
    await clock.runAll();
    const r = await job.result;
    expect(r.postCopy).to.equal(true);
    expect((await b.lookupDomain('vm')).state).to.equal('running');
  });

  it('refuses out-of-range control values with E_INVALID_ARGUMENT', async () => {
    const { clock, a, b } = await cluster();
    const job = await a.startMigration('vm', b, {});
    await rejectsWith(job.setBandwidth(0), 'E_INVALID_ARGUMENT');
    await rejectsWith(job.setMaxDowntime(Number.NaN), 'E_INVALID_ARGUMENT');
    await clock.runAll();
    await job.result;
  });
});
