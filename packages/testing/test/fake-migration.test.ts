import { type DomainEvent, isPostCopyCapable, type MigrationProgress, type MigrationResult } from '@virtmig/core';
import { expect } from 'chai';
import { type FakeHostOptions, FakeHypervisor, FakeNetwork, ManualClock, planPrecopy } from '../src/index.js';
import { rejectsWith } from './helpers.js';

const MIB = 1024 * 1024;

/** Two hosts a and b on a 100 MB/s link with 1 ms latency, 20 ms setup and 10 ms activation, on a manual clock. */
async function cluster(hostOptions: FakeHostOptions = {}) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const network = new FakeNetwork({ clock, bandwidthBps: 100e6, latencyMs: 1, setupMs: 20, activationMs: 10 });
  network.addHost('a', hostOptions);
  network.addHost('b', hostOptions);
  const a = new FakeHypervisor({ network, host: 'a' });
  const b = new FakeHypervisor({ network, host: 'b' });
  await a.defineDomain({ name: 'vm', memoryMiB: 512, vcpus: 2 });
  await a.startDomain('vm');
  return { clock, network, a, b };
}

/** Runs simulated time until `p` settles. */
async function settle<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  await clock.runAll();
  return p;
}

describe('FakeHypervisor migration', () => {
  it('matches the pre-copy model: 512 MiB at 100 MB/s with 20 MB/s dirtying converges after 2 rounds', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 20e6);
    const result = await settle(clock, a.migrate('vm', b));
    const M = 512 * MIB;
    const R = 100e6;
    const lambda = 0.2;
    const n = 2;
    expect(result.iterations).to.equal(n);
    const transferMs = ((M * (1 - lambda ** (n + 1))) / (R * (1 - lambda))) * 1000;
    expect(result.totalTimeMs).to.be.closeTo(20 + transferMs + 2 + 10, 1e-3);
    expect(result.downtimeMs).to.be.closeTo(((M * lambda ** n) / R) * 1000 + 2 + 10, 1e-3);
    expect(result.dataTransferredBytes).to.equal(Math.round(M * (1 + lambda + lambda ** 2)));
    expect(result).to.include({
      domain: 'vm',
      sourceUri: 'fake:///a',
      destinationUri: 'fake:///b',
      postCopy: false,
      dirtyRateBps: 20e6,
    });
    expect(result.memoryBandwidthBps).to.equal(R);
    expect(result.startedAt).to.equal('2026-01-01T00:00:00.000Z');
    expect(Date.parse(result.endedAt) - Date.parse(result.startedAt)).to.equal(Math.floor(result.totalTimeMs));
  });

  it('fills every stage of Equation 1 with contiguous spans that add up to the total', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 20e6);
    const { stages, totalTimeMs, setupTimeMs } = await settle(clock, a.migrate('vm', b));
    expect(stages.initialisation).to.deep.equal({ startMs: 0, endMs: 10 });
    expect(stages.reservation).to.deep.equal({ startMs: 10, endMs: 20 });
    expect(setupTimeMs).to.equal(20);
    const spans = [
      stages.initialisation,
      stages.reservation,
      ...stages.precopyRounds,
      stages.stopAndCopy,
      stages.commitment,
      stages.activation,
    ];
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]?.startMs).to.be.closeTo(spans[i - 1]?.endMs ?? Number.NaN, 1e-3);
    expect(stages.commitment?.endMs).to.be.closeTo((stages.commitment?.startMs ?? 0) + 2, 1e-3);
    expect(stages.activation?.endMs).to.be.closeTo(totalTimeMs, 1e-3);
    expect(stages.postcopy).to.equal(undefined);
  });

  it('moves the guest: running on the destination (transient by default), shut off but defined on the source', async () => {
    const { clock, a, b } = await cluster();
    const uuid = (await a.lookupDomain('vm')).uuid;
    await settle(clock, a.migrate('vm', b));
    expect(await b.lookupDomain('vm')).to.include({
      state: 'running',
      persistent: false,
      uuid,
      memoryKiB: 512 * 1024,
      vcpus: 2,
    });
    expect(await a.lookupDomain('vm')).to.include({ state: 'shutoff', persistent: true });
  });

  it('persistDestination and undefineSource move the definition too', async () => {
    const { clock, a, b } = await cluster();
    await settle(clock, a.migrate('vm', b, { persistDestination: true, undefineSource: true }));
    expect(await b.lookupDomain('vm')).to.include({ state: 'running', persistent: true });
    await rejectsWith(a.lookupDomain('vm'), 'E_NOT_FOUND');
  });

  it('emits iteration and migrated lifecycle events on both hosts', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 20e6);
    const onA: DomainEvent[] = [];
    const onB: DomainEvent[] = [];
    a.onDomainEvent((e) => onA.push(e));
    b.onDomainEvent((e) => onB.push(e));
    await settle(clock, a.migrate('vm', b));
    expect(onA.map((e) => `${e.kind}/${e.detail}${e.iteration ? `#${e.iteration}` : ''}`)).to.deep.equal([
      'migration-iteration/precopy#1',
      'migration-iteration/precopy#2',
      'suspended/migrated',
      'stopped/migrated',
    ]);
    expect(onB.map((e) => `${e.kind}/${e.detail}`)).to.deep.equal(['started/migrated', 'resumed/migrated']);
  });

  it('reports progress every 50 ms of simulated time through setup, pre-copy, stop-and-copy and completion', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 20e6);
    const samples: MigrationProgress[] = [];
    await settle(clock, a.migrate('vm', b, { onProgress: (p) => samples.push(p) }));
    const phases = [...new Set(samples.map((s) => s.phase))];
    expect(phases).to.deep.equal(['setup', 'precopy', 'stop-and-copy', 'completing']);
    for (let i = 1; i < samples.length; i++) {
      const gap = (samples[i]?.elapsedMs ?? 0) - (samples[i - 1]?.elapsedMs ?? 0);
      expect(gap)
        .to.be.greaterThan(0)
        .and.at.most(50 + 1e-3);
      expect(samples[i]?.dataProcessedBytes).to.be.at.least(samples[i - 1]?.dataProcessedBytes ?? 0);
    }
    expect(samples.at(-1)?.dataProcessedBytes).to.equal(Math.round(512 * MIB * 1.24));
    expect(samples.filter((s) => s.phase === 'precopy').map((s) => s.iteration)).to.include.members([1, 2]);
  });

  it('forces stop-and-copy after maxIterations when the guest dirties faster than the link', async () => {
    const { clock, a, b } = await cluster({ maxIterations: 5 });
    a.setDirtyRate('vm', 150e6);
    const result = await settle(clock, a.migrate('vm', b));
    expect(result.iterations).to.equal(5);
    expect(result.raw['fake.converged']).to.equal(false);
    expect(result.downtimeMs).to.be.closeTo(((512 * MIB) / 100e6) * 1000 + 12, 1e-3);
  });

  it('auto-converge throttles a non-converging guest until it converges', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 150e6);
    const result = await settle(clock, a.migrate('vm', b, { autoConverge: true }));
    expect(result.raw['fake.converged']).to.equal(true);
    expect(result.downtimeMs).to.be.at.most(300 + 12);
  });

  it('bandwidthMiBps limits the link and maxDowntimeMs changes when iteration stops', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 5 * MIB);
    const slow = await settle(clock, a.migrate('vm', b, { bandwidthMiBps: 50, maxDowntimeMs: 50 }));
    const plan = planPrecopy({
      memoryBytes: 512 * MIB,
      bandwidthBps: 50 * MIB,
      dirtyRateBps: 5 * MIB,
      maxDowntimeMs: 50,
      maxIterations: 30,
      setupMs: 20,
      resumeMs: 12,
    });
    expect(slow.totalTimeMs).to.be.closeTo(plan.totalMs, 1e-3);
    expect(slow.iterations).to.equal(plan.rounds.length);
    expect(slow.memoryBandwidthBps).to.equal(50 * MIB);
  });

  it('an offline (live: false) migration pauses the guest for the whole transfer', async () => {
    const { clock, a, b } = await cluster();
    a.setDirtyRate('vm', 20e6);
    const p = a.migrate('vm', b, { live: false, preflight: false });
    expect((await a.lookupDomain('vm')).state).to.equal('paused');
    const result = await settle(clock, p);
    expect(result.iterations).to.equal(1);
    expect(result.downtimeMs).to.be.closeTo(result.totalTimeMs, 1e-3);
    expect((await b.lookupDomain('vm')).state).to.equal('running');
  });

  it('a host offering peerUri and tunnelled migrates with them, and refuses tunnelled without a peer before anything runs', async () => {
    const { clock, a, b } = await cluster({ migrationOptions: ['live', 'peerUri', 'tunnelled'] });
    await rejectsWith(a.migrate('vm', b, { tunnelled: true }), 'E_INVALID_ARGUMENT');
    expect((await a.lookupDomain('vm')).state).to.equal('running');
    await settle(clock, a.migrate('vm', b, { peerUri: 'fake+tls://b/system', tunnelled: true }));
    expect((await b.lookupDomain('vm')).state).to.equal('running');
  });

  it('a paused guest arrives paused', async () => {
    const { clock, a, b } = await cluster();
    await a.suspendDomain('vm');
    await settle(clock, a.migrate('vm', b));
    expect((await b.lookupDomain('vm')).state).to.equal('paused');
  });

  describe('failures leave the guest running on the source', () => {
    async function expectOnSourceOnly(a: FakeHypervisor, b: FakeHypervisor, clock: ManualClock): Promise<void> {
      const info = await a.lookupDomain('vm');
      expect(info.state).to.equal('running');
      await rejectsWith(b.lookupDomain('vm'), 'E_NOT_FOUND');
      await clock.advance(1000);
      expect((await a.lookupDomain('vm')).cpuTimeNs, 'the guest keeps running').to.be.greaterThan(info.cpuTimeNs);
      await a.suspendDomain('vm');
      await a.resumeDomain('vm');
    }

    it('failNextMigration fails the next migration at round 1 with its reason, then is disarmed', async () => {
      const { clock, a, b } = await cluster();
      a.failNextMigration('injected: link reset');
      const e = await settle(clock, rejectsWith(a.migrate('vm', b), 'E_MIGRATION_FAILED'));
      expect(e.message).to.contain('injected: link reset');
      expect(e.details.domainOnDestination).to.equal(false);
      await expectOnSourceOnly(a, b, clock);
      const ok = await settle(clock, a.migrate('vm', b));
      expect(ok.iterations).to.be.at.least(1);
    });

    it('failNextMigration at iteration 2 fails after exactly one round', async () => {
      const { clock, a, b } = await cluster();
      a.setDirtyRate('vm', 20e6);
      const rounds: number[] = [];
      a.onDomainEvent((e) => e.iteration && rounds.push(e.iteration));
      a.failNextMigration('second round', { atIteration: 2 });
      await settle(clock, rejectsWith(a.migrate('vm', b), 'E_MIGRATION_FAILED'));
      expect(rounds).to.deep.equal([1]);
      expect(clock.now() - Date.parse('2026-01-01T00:00:00Z')).to.be.closeTo(20 + ((512 * MIB) / 100e6) * 1000, 1e-3);
      await expectOnSourceOnly(a, b, clock);
    });

    it('failNextMigration past the last round fails just before stop-and-copy, without pausing the guest', async () => {
      const { clock, a, b } = await cluster();
      const states: string[] = [];
      a.onDomainEvent((e) => states.push(e.kind));
      a.failNextMigration('late', { atIteration: 99 });
      await settle(clock, rejectsWith(a.migrate('vm', b), 'E_MIGRATION_FAILED'));
      expect(states).to.deep.equal(['migration-iteration']);
      await expectOnSourceOnly(a, b, clock);
    });

    it('an unreachable destination fails the migration (preflight off)', async () => {
      const { clock, network, a, b } = await cluster();
      network.setReachable('b', false);
      const e = await settle(clock, rejectsWith(a.migrate('vm', b, { preflight: false }), 'E_MIGRATION_FAILED'));
      expect(e.message).to.contain('unreachable');
      network.setReachable('b', true);
      await expectOnSourceOnly(a, b, clock);
    });

    it('a destination lost mid-migration fails it at the next progress tick', async () => {
      const { clock, network, a, b } = await cluster();
      const p = rejectsWith(a.migrate('vm', b), 'E_MIGRATION_FAILED');
      await clock.advance(1000);
      network.setReachable('b', false);
      await clock.advance(50);
      await p;
      network.setReachable('b', true);
      await expectOnSourceOnly(a, b, clock);
    });

    it('a name already running on the destination fails the migration (preflight off) and leaves that domain alone', async () => {
      const { clock, a, b } = await cluster();
      await b.defineDomain({ name: 'vm', memoryMiB: 64, vcpus: 1 });
      await b.startDomain('vm');
      await settle(clock, rejectsWith(a.migrate('vm', b, { preflight: false }), 'E_MIGRATION_FAILED'));
      expect((await a.lookupDomain('vm')).state).to.equal('running');
      expect((await b.lookupDomain('vm')).maxMemoryKiB).to.equal(64 * 1024);
    });

    it('aborting through the AbortSignal mid-round stops the migration with E_ABORTED', async () => {
      const { clock, a, b } = await cluster();
      const controller = new AbortController();
      const p = rejectsWith(a.migrate('vm', b, { signal: controller.signal }), 'E_ABORTED');
      await clock.advance(1000);
      expect(clock.pending).to.equal(1);
      await rejectsWith(a.destroyDomain('vm'), 'E_STATE');
      controller.abort();
      await p;
      expect(clock.pending, 'no simulated work left behind').to.equal(0);
      await expectOnSourceOnly(a, b, clock);
    });

    it('aborting during stop-and-copy resumes the paused guest on the source', async () => {
      const { clock, a, b } = await cluster({ maxIterations: 2 });
      a.setDirtyRate('vm', 90e6);
      const controller = new AbortController();
      const events: string[] = [];
      a.onDomainEvent((e) => events.push(`${e.kind}/${e.detail}`));
      const p = a.migrate('vm', b, {
        signal: controller.signal,
        onProgress: (s) => s.phase === 'stop-and-copy' && controller.abort(),
      });
      await settle(clock, rejectsWith(p, 'E_ABORTED'));
      expect(events.slice(-2)).to.deep.equal(['suspended/migrated', 'resumed/migrated']);
      await expectOnSourceOnly(a, b, clock);
    });

    it('an already aborted signal fails before anything runs', async () => {
      const { clock, a, b } = await cluster();
      const events: DomainEvent[] = [];
      a.onDomainEvent((e) => events.push(e));
      await rejectsWith(a.migrate('vm', b, { signal: AbortSignal.abort() }), 'E_ABORTED');
      expect(events).to.deep.equal([]);
      expect(clock.pending).to.equal(0);
    });

    it('timeoutMs gives up at that simulated time with E_TIMEOUT', async () => {
      const { clock, a, b } = await cluster();
      const start = clock.now();
      await settle(clock, rejectsWith(a.migrate('vm', b, { timeoutMs: 500 }), 'E_TIMEOUT'));
      expect(clock.now() - start).to.equal(500);
      await expectOnSourceOnly(a, b, clock);
    });

    it('an onProgress callback that throws fails the migration as E_MIGRATION_FAILED with the cause', async () => {
      const { clock, a, b } = await cluster();
      const boom = new Error('listener bug');
      const e = await settle(
        clock,
        rejectsWith(
          a.migrate('vm', b, {
            onProgress: () => {
              throw boom;
            },
          }),
          'E_MIGRATION_FAILED',
        ),
      );
      expect(e.cause).to.equal(boom);
      await expectOnSourceOnly(a, b, clock);
    });
  });

  describe('refused before anything runs', () => {
    it('options the host does not offer fail with E_UNSUPPORTED; unknown keys and bad values with E_INVALID_ARGUMENT', async () => {
      const { clock, a, b } = await cluster();
      const events: DomainEvent[] = [];
      a.onDomainEvent((e) => events.push(e));
      for (const options of [
        { compression: ['xbzrle'] },
        { tls: true },
        { parallelConnections: 4 },
        { migrateUri: 'tcp://x:1' },
        { postCopy: true },
      ]) {
        await rejectsWith(a.migrate('vm', b, options), 'E_UNSUPPORTED');
      }
      for (const options of [
        { bogus: 1 },
        { bandwidthMiBps: -1 },
        { maxDowntimeMs: Number.NaN },
        { live: 'yes' },
        { onProgress: 5 },
      ]) {
        await rejectsWith(a.migrate('vm', b, options as never), 'E_INVALID_ARGUMENT');
      }
      expect(events).to.deep.equal([]);
      expect(clock.pending).to.equal(0);
      expect((await a.lookupDomain('vm')).state).to.equal('running');
    });

    it('refuses a shut-off domain (E_STATE), the same host (E_MIGRATION_FAILED), a non-fake destination (E_INVALID_ARGUMENT), a closed destination (E_CLOSED)', async () => {
      const { network, a, b } = await cluster();
      await a.defineDomain({ name: 'off', memoryMiB: 64, vcpus: 1 });
      await rejectsWith(a.migrate('off', b), 'E_STATE');
      await rejectsWith(a.migrate('vm', new FakeHypervisor({ network, host: 'a' })), 'E_MIGRATION_FAILED');
      await rejectsWith(a.migrate('vm', {} as never), 'E_INVALID_ARGUMENT');
      await b.close();
      await rejectsWith(a.migrate('vm', b), 'E_CLOSED');
      await rejectsWith(
        a.migrate('vm', new FakeHypervisor({ network: new FakeNetwork(), host: 'b' })),
        'E_MIGRATION_FAILED',
      );
    });

    it('a second migration of a domain already migrating fails with E_STATE', async () => {
      const { clock, a, b } = await cluster();
      const first = a.migrate('vm', b);
      await rejectsWith(a.migrate('vm', b), 'E_STATE');
      await settle(clock, first);
    });

    it('a host without migration refuses with E_UNSUPPORTED', async () => {
      const { a, b } = await cluster({ migration: false });
      expect(a.capabilities.migrationOptions.size).to.equal(0);
      await rejectsWith(a.migrate('vm', b), 'E_UNSUPPORTED');
    });
  });

  describe('post-copy', () => {
    it('a host with postCopy: true is PostCopyCapable and offers the postCopy option; others are not', async () => {
      const { a } = await cluster({ postCopy: true });
      expect(isPostCopyCapable(a)).to.equal(true);
      expect(a.capabilities.migrationOptions.has('postCopy')).to.equal(true);
      const plain = await cluster();
      expect(isPostCopyCapable(plain.a)).to.equal(false);
    });

    it('switching to post-copy moves a non-converging guest with a downtime of commitment plus activation', async () => {
      const pre = await cluster({ postCopy: true });
      pre.a.setDirtyRate('vm', 150e6);
      const precopy: MigrationResult = await settle(pre.clock, pre.a.migrate('vm', pre.b));

      const post = await cluster({ postCopy: true });
      post.a.setDirtyRate('vm', 150e6);
      const result = await settle(post.clock, post.a.migrate('vm', post.b, { postCopy: { afterMs: 500 } }));
      expect(result.postCopy).to.equal(true);
      expect(result.iterations).to.equal(1);
      expect(result.downtimeMs).to.be.closeTo(12, 1e-3);
      expect(precopy.downtimeMs).to.be.greaterThan(5000);
      expect(result.stages.postcopy?.startMs).to.be.closeTo(520, 1e-3);
      expect(result.postCopyRequests).to.be.greaterThan(0);
      // Before the switch: 500 ms of round 1 = 50 MB. After it: the rest of round 1 plus 500 ms of
      // dirtying (75 MB), capped at the guest's memory M.
      const M = 512 * MIB;
      expect(result.dataTransferredBytes).to.equal(Math.round(50e6 + Math.min(M, M - 50e6 + 75e6)));
      expect(await post.b.lookupDomain('vm')).to.include({ state: 'running' });
      expect(await post.a.lookupDomain('vm')).to.include({ state: 'shutoff' });
    });

    it('postCopy: true switches at the first progress tick of round 1', async () => {
      const { clock, a, b } = await cluster({ postCopy: true });
      const result = await settle(clock, a.migrate('vm', b, { postCopy: true }));
      expect(result.postCopy).to.equal(true);
      expect(result.stages.postcopy?.startMs).to.be.closeTo(70, 1e-3);
    });

    it('an abort after the switch is ignored: the guest already runs on the destination', async () => {
      const { clock, a, b } = await cluster({ postCopy: true });
      const controller = new AbortController();
      const p = a.migrate('vm', b, { postCopy: true, signal: controller.signal });
      await clock.advance(100);
      expect((await b.lookupDomain('vm')).state).to.equal('running');
      controller.abort();
      const result = await settle(clock, p);
      expect(result.postCopy).to.equal(true);
    });
  });
});
