import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, UnsupportedError } from '@virtmig/core';
import { FakeHypervisor, FakeNetwork } from '@virtmig/testing';
import { expect } from 'chai';
import sinon from 'sinon';
import { domainName, expandMatrix, type ProgressEvent, ResultsDb, runExperiment } from '../src/index.js';
import { fakeEnv, fakeSpec, fastNetwork } from './helpers.js';

describe('runner on fake hosts', function () {
  this.timeout(30_000);
  let dir: string;
  let db: ResultsDb;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-run-'));
    db = ResultsDb.open(join(dir, 'r.db'));
  });
  afterEach(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every trial once, samples CPU at the cap, migrates and leaves no guest behind', async () => {
    const network = fastNetwork();
    const spec = fakeSpec();
    const events: ProgressEvent[] = [];
    const summary = await runExperiment({ db, spec, env: fakeEnv(network), onProgress: (e) => events.push(e) });
    expect(summary).to.include({ total: 16, done: 16, ranNow: 16, failed: 0, interrupted: false, resumed: false });
    expect(db.run(summary.runId).status).to.equal('finished');
    const records = db.records(summary.runId);
    expect(
      records.map(
        (r) => `${r.workload}/ram${r.ramMiB}/vcpu${r.vcpus}/cap${r.capPercent}/cores${r.hostCores}/t${r.trial}`,
      ),
    ).to.deep.equal(expandMatrix(spec).map((p) => p.id));
    for (const r of records) {
      expect(r.cpuSamples).to.have.length(3);
      const mean = r.cpuSamples.reduce((s, x) => s + x.domainPercentOfCpu, 0) / r.cpuSamples.length;
      // The fake's guests use their whole allowance: the cap.
      expect(mean).to.be.closeTo(r.capPercent, r.capPercent * 0.1);
      expect(r.cpuSamples[0]?.domainPercentOfHost).to.be.closeTo((r.cpuSamples[0]?.domainPercentOfCpu ?? 0) / 2, 1e-9);
      expect(r.migration?.sourceUri).to.equal('fake:///a');
      expect(r.migration?.totalTimeMs).to.be.greaterThan(0);
    }
    expect(db.timelines(summary.runId)).to.have.length(16);
    for (const host of ['a', 'b']) expect(await new FakeHypervisor({ network, host }).listDomains()).to.deep.equal([]);
    expect(events.filter((e) => e.kind === 'trial-end')).to.have.length(16);
  });

  it('records a failed migration as a failed trial, goes on, and retries it on resume', async () => {
    const network = fastNetwork();
    const spec = fakeSpec({
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 3 },
    });
    new FakeHypervisor({ network, host: 'a' }).failNextMigration('link down');
    const first = await runExperiment({ db, spec, env: fakeEnv(network) });
    expect(first).to.include({ done: 2, failed: 1 });
    expect(db.run(first.runId).status).to.equal('failed');
    const failed = db.trials(first.runId).find((t) => t.status === 'failed');
    expect(failed?.error).to.contain('link down');
    const second = await runExperiment({ db, resume: true, env: fakeEnv(network) });
    expect(second).to.include({ runId: first.runId, done: 3, ranNow: 1, failed: 0, resumed: true });
    expect(db.trials(first.runId).find((t) => t.trialId === failed?.trialId)?.attempts).to.equal(2);
    expect(db.records(first.runId)).to.have.length(3);
  });

  it('stops on abort leaving the run resumable, and a resume finishes it without repeating a trial', async () => {
    const network = fastNetwork();
    const spec = fakeSpec();
    const ac = new AbortController();
    let starts = 0;
    const first = await runExperiment({
      db,
      spec,
      env: fakeEnv(network),
      signal: ac.signal,
      onProgress: (e) => {
        // In the middle of the fourth trial's measure window.
        if (e.kind === 'trial-start' && ++starts === 4) setTimeout(() => ac.abort(), 10);
      },
    });
    expect(first).to.include({ interrupted: true, done: 3 });
    expect(await new FakeHypervisor({ network, host: 'a' }).listDomains()).to.deep.equal([]);
    const [run] = db.runs();
    expect(run?.status).to.equal('running');
    const statuses = db.trials(run?.runId as string).map((t) => t.status);
    expect(statuses.filter((s) => s === 'done')).to.have.length(3);
    expect(statuses.filter((s) => s === 'running')).to.have.length(1);
    const resumed = await runExperiment({ db, resume: true, spec, env: fakeEnv(network) });
    expect(resumed).to.include({ runId: run?.runId, done: 16, ranNow: 13, resumed: true });
    const attempts = db.trials(resumed.runId).map((t) => t.attempts);
    expect(attempts.filter((a) => a === 2)).to.have.length(1);
    expect(attempts.filter((a) => a === 1)).to.have.length(15);
  });

  it('removes the guest a crashed attempt left on a host before redoing that trial', async () => {
    const network = fastNetwork();
    const spec = fakeSpec({
      workloads: ['linpack'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 2 },
    });
    const plans = expandMatrix(spec);
    const runId = db.createRun(spec, plans);
    const leftover = domainName(runId, 0);
    db.markRunning(runId, plans[0]?.id as string, leftover);
    const b = new FakeHypervisor({ network, host: 'b' });
    await b.defineDomain({ name: leftover, memoryMiB: 128, vcpus: 1 });
    await b.startDomain(leftover);
    const summary = await runExperiment({ db, resume: true, env: fakeEnv(network) });
    expect(summary).to.include({ done: 2, ranNow: 2 });
    expect(await b.listDomains()).to.deep.equal([]);
  });

  it('runs host pairs in parallel, each on its own hosts', async () => {
    const network = fastNetwork();
    const spec = fakeSpec({
      hosts: [
        { source: 'fake:///a', destination: 'fake:///b' },
        { source: 'fake:///c', destination: 'fake:///d' },
      ],
      durations: { warmupMs: 0, measureMs: 60 },
      sampling: { intervalMs: 20 },
    });
    const order: string[] = [];
    const summary = await runExperiment({
      db,
      spec,
      env: fakeEnv(network),
      onProgress: (e) => {
        if (e.kind === 'trial-start') order.push(`start${e.pair}`);
        if (e.kind === 'trial-end') order.push('end');
      },
    });
    expect(summary.done).to.equal(16);
    // Both pairs start a trial before the first one ends.
    expect(order.slice(0, 2).sort()).to.deep.equal(['start0', 'start1']);
    const sources = db.records(summary.runId).map((r) => r.migration?.sourceUri);
    expect(sources.filter((s) => s === 'fake:///a')).to.have.length(8);
    expect(sources.filter((s) => s === 'fake:///c')).to.have.length(8);
  });

  it('refuses a migration option the source host does not honour before any trial runs', async () => {
    const spec = fakeSpec({ migration: { enabled: true, postCopyAfterMs: 100 } });
    const err = await runExperiment({ db, spec, env: fakeEnv(fastNetwork()) }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnsupportedError);
    expect((err as Error).message).to.contain('postCopy');
    const [run] = db.runs();
    expect(db.trials(run?.runId as string).every((t) => t.status === 'pending')).to.equal(true);
  });

  it('records a migration that the spec timeout aborts with the guest on the source as non-converged, not failed', async () => {
    const network = new FakeNetwork({
      bandwidthBps: 1e6,
      setupMs: 1,
      activationMs: 1,
      latencyMs: 0,
      progressIntervalMs: 5,
    });
    for (const host of ['nc-a', 'nc-b']) network.addHost(host, { defaultDirtyRateBps: 4e6 });
    const spec = fakeSpec({
      hosts: [{ source: 'fake:///nc-a', destination: 'fake:///nc-b' }],
      workloads: ['dirtier'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], hostCores: [2], trials: 1 },
      migration: { enabled: true, timeoutMs: 300 },
    });
    const summary = await runExperiment({ db, spec, env: fakeEnv(network) });
    expect(summary).to.include({ total: 1, done: 1, failed: 0 });
    const [record] = db.records(summary.runId);
    expect(record?.migration).to.equal(undefined);
    expect(record?.nonConverged).to.include({
      timeoutMs: 300,
      sourceUri: 'fake:///nc-a',
      destinationUri: 'fake:///nc-b',
    });
    expect(record?.nonConverged?.memoryBandwidthBps).to.be.greaterThan(0);
    for (const host of ['nc-a', 'nc-b'])
      expect(await new FakeHypervisor({ network, host }).listDomains()).to.deep.equal([]);
  });

  it('migrates on hosts that offer no timeout, progress or abort (like libxl): the spec timeout is left out, not refused', async () => {
    const network = fastNetwork();
    for (const host of ['lx-a', 'lx-b']) network.addHost(host, { migrationOptions: ['live'] });
    const spec = fakeSpec({
      hosts: [{ source: 'fake:///lx-a', destination: 'fake:///lx-b' }],
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], hostCores: [2], trials: 1 },
    });
    const summary = await runExperiment({ db, spec, env: fakeEnv(network) });
    expect(summary).to.include({ total: 1, done: 1, failed: 0 });
    expect(db.records(summary.runId)[0]?.migration?.sourceUri).to.equal('fake:///lx-a');
  });

  it("migration.tunnelled migrates peer-to-peer to the pair's peerUri with the data tunnelled, not on its migrateUri", async () => {
    const network = fastNetwork();
    for (const host of ['p2p-a', 'p2p-b'])
      network.addHost(host, { migrationOptions: ['live', 'peerUri', 'tunnelled'] });
    const spec = fakeSpec({
      hosts: [
        {
          source: 'fake:///p2p-a',
          destination: 'fake:///p2p-b',
          migrateUri: 'tcp://10.0.0.2',
          peerUri: 'fake+tls://p2p-b/system',
        },
      ],
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], hostCores: [2], trials: 1 },
      migration: { enabled: true, tunnelled: true },
    });
    const migrate = sinon.spy(FakeHypervisor.prototype, 'migrate');
    try {
      const summary = await runExperiment({ db, spec, env: fakeEnv(network) });
      expect(summary).to.include({ total: 1, done: 1, failed: 0 });
    } finally {
      migrate.restore();
    }
    expect(migrate.callCount).to.equal(1);
    const options = migrate.firstCall.args[2] ?? {};
    expect(options).to.include({ tunnelled: true, peerUri: 'fake+tls://p2p-b/system' });
    expect(options).not.to.have.property('migrateUri');
  });

  it('refuses migration.tunnelled on hosts that do not offer it before any trial runs', async () => {
    const spec = fakeSpec({
      hosts: [{ source: 'fake:///a', destination: 'fake:///b', peerUri: 'fake+tls://b/system' }],
      migration: { enabled: true, tunnelled: true },
    });
    const err = await runExperiment({ db, spec, env: fakeEnv(fastNetwork()) }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnsupportedError);
    expect((err as Error).message).to.contain('tunnelled');
  });

  it('refuses to resume a run with a different spec, and to resume nothing without a spec', async () => {
    const network = fastNetwork();
    const spec = fakeSpec({
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 },
    });
    new FakeHypervisor({ network, host: 'a' }).failNextMigration('boom');
    await runExperiment({ db, spec, env: fakeEnv(network) });
    const other = fakeSpec({ name: 'other' });
    const err = await runExperiment({ db, spec: other, resume: true, env: fakeEnv(network) }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).to.equal('spec');
    await runExperiment({ db, resume: true, env: fakeEnv(network) });
    const none = await runExperiment({ db, resume: true, env: fakeEnv(network) }).catch((e: unknown) => e);
    expect((none as { code?: string }).code).to.equal('E_NOT_FOUND');
  });
});
