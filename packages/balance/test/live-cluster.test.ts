import type { TrialRecord } from '@virtmig/analysis';
import { estimatesFromTrials, uncalibratedPrecopyModel } from '@virtmig/analysis';
import { DriverRegistry, type MigrationResult, NotFoundError } from '@virtmig/core';
import { FakeHypervisor, FakeNetwork, migratedTrial, registerFakeDriver } from '@virtmig/testing';
import { expect } from 'chai';
import sinon from 'sinon';
import { liveCluster, measureLiveGuest, snapshotHost, workloadOfXml } from '../src/index.js';

async function startGuest(h: FakeHypervisor, name: string, cmdline: string, load: number): Promise<void> {
  await h.defineDomain({ name, memoryMiB: 256, vcpus: 1, kernel: '/k', cmdline });
  await h.startDomain(name);
  h.setLoad(name, load);
}

describe('snapshotHost', () => {
  afterEach(() => sinon.restore());

  it('lists only running domains, with their measured CPU use and the estimates of their workload', async () => {
    const network = new FakeNetwork();
    network.addHost('a', { cpus: 4 });
    const h = new FakeHypervisor({ network, host: 'a' });
    await startGuest(h, 'busy', 'virtmig.workload=linpack', 1);
    await startGuest(h, 'unknown', 'quiet', 0);
    await h.defineDomain({ name: 'off', memoryMiB: 64, vcpus: 1, kernel: '/k' });
    const snap = await snapshotHost(h, 'host-a', {
      sampleMs: 200,
      estimates: estimatesFromTrials([migratedTrial('linpack', 4000, 300)]),
    });
    expect(snap.name).to.equal('host-a');
    expect(snap.cores).to.equal(4);
    expect(snap.vms.map((v) => v.name).sort()).to.deep.equal(['busy', 'unknown']);
    const busy = snap.vms.find((v) => v.name === 'busy');
    expect(busy).to.include({ ramMiB: 256, expectedTotalTimeMs: 4000, expectedDowntimeMs: 300 });
    expect(busy?.cpuPercent).to.be.within(50, 150);
    const idle = snap.vms.find((v) => v.name === 'unknown');
    expect(idle?.cpuPercent).to.be.below(10);
    expect(idle).not.to.have.property('expectedTotalTimeMs');
    await h.close();
  });

  it('refuses a sampleMs that is not a positive integer with E_INVALID_ARGUMENT before asking the host anything', async () => {
    const h = new FakeHypervisor({ network: new FakeNetwork() });
    const hostInfo = sinon.spy(h, 'hostInfo');
    for (const sampleMs of [0, -5, 1.5, Number.NaN]) {
      const err = await snapshotHost(h, 'x', { sampleMs }).catch((e: unknown) => e);
      expect(err, String(sampleMs)).to.have.property('code', 'E_INVALID_ARGUMENT');
    }
    expect(hostInfo.called).to.equal(false);
  });

  it('stops measuring with E_ABORTED when the signal aborts', async () => {
    const h = new FakeHypervisor({ network: new FakeNetwork() });
    const controller = new AbortController();
    const started = Date.now();
    const pending = snapshotHost(h, 'x', { sampleMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await pending.catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_ABORTED');
    expect(Date.now() - started).to.be.below(5000);
  });
});

describe('liveCluster', () => {
  it('snapshots every host under its given name and closes the connections it opened', async () => {
    const network = new FakeNetwork();
    const registry = new DriverRegistry();
    registerFakeDriver(registry, { network });
    const opened: FakeHypervisor[] = [];
    const connect = registry.connect.bind(registry);
    sinon.stub(registry, 'connect').callsFake(async (uri, options) => {
      const h = (await connect(uri, options)) as FakeHypervisor;
      opened.push(h);
      return h;
    });
    const a = new FakeHypervisor({ network, host: 'hostA' });
    await startGuest(a, 'vm-dhry', 'virtmig.workload=dhrystone', 1);
    const cluster = await liveCluster(
      registry,
      [
        { name: 'A', uri: 'fake:///hostA', options: {} },
        { name: 'B', uri: 'fake:///hostB', options: {} },
      ],
      [migratedTrial('dhrystone', 5000, 200)],
      100,
    );
    sinon.restore();
    expect(cluster.hosts.map((h) => h.name)).to.deep.equal(['A', 'B']);
    expect(cluster.hosts[0]?.vms[0]).to.include({ name: 'vm-dhry', expectedTotalTimeMs: 5000 });
    expect(cluster.hosts[1]?.vms).to.deep.equal([]);
    expect(opened.map((h) => h.closed)).to.deep.equal([true, true]);
    await a.close();
  });

  it('checks every host URI before connecting to any: a refused or unknown one leaves every host unconnected', async () => {
    const registry = new DriverRegistry();
    registerFakeDriver(registry, { network: new FakeNetwork() });
    const connect = sinon.spy(registry, 'connect');
    try {
      for (const [bad, code] of [
        ['fake+ssh://h/x?command=/tmp/canary', 'E_INVALID_ARGUMENT'],
        ['nosuch:///x', 'E_UNKNOWN_SCHEME'],
      ] as const) {
        const err = await liveCluster(
          registry,
          [
            { name: 'A', uri: 'fake:///hostA', options: {} },
            { name: 'B', uri: bad, options: {} },
          ],
          [],
          100,
        ).catch((e: unknown) => e);
        expect(err, bad).to.have.property('code', code);
      }
      expect(connect.callCount).to.equal(0);
    } finally {
      connect.restore();
    }
  });

  it('closes the connections already made when a later host cannot be reached, and passes the error on', async () => {
    const network = new FakeNetwork();
    const registry = new DriverRegistry();
    registerFakeDriver(registry, { network });
    // A host that refuses the connection: found only by connecting, after host A.
    registry.register('down', async (uri) => {
      throw new NotFoundError('host', uri.uri);
    });
    const close = sinon.spy(FakeHypervisor.prototype, 'close');
    try {
      const err = await liveCluster(
        registry,
        [
          { name: 'A', uri: 'fake:///hostA', options: {} },
          { name: 'B', uri: 'down:///x', options: {} },
        ],
        [],
        100,
      ).catch((e: unknown) => e);
      expect(err).to.have.property('code', 'E_NOT_FOUND');
      expect(close.callCount).to.equal(1);
    } finally {
      close.restore();
    }
  });
});

describe('workloadOfXml', () => {
  it('reads the workload from virtmig.workload= on the kernel command line, and nothing otherwise', () => {
    expect(workloadOfXml('<cmdline>console=ttyS0 virtmig.workload=linpack quiet</cmdline>')).to.equal('linpack');
    expect(workloadOfXml('<cmdline>console=ttyS0</cmdline>')).to.equal(undefined);
  });
});

describe('predictions for any running VM', () => {
  const MiB = 1024 * 1024;

  it("gives a VM with no workload on its command line the model's total time and downtime from its measured dirty rate", async () => {
    const network = new FakeNetwork();
    network.addHost('a', { cpus: 2 });
    const h = new FakeHypervisor({ network, host: 'a' });
    await startGuest(h, 'plain', 'quiet', 0.5);
    h.setDirtyRate('plain', 32 * MiB);
    const model = uncalibratedPrecopyModel();
    const snap = await snapshotHost(h, 'a', { sampleMs: 50, prediction: { model, bandwidthBps: 100 * MiB } });
    const expected = model.predict({ memoryMiB: 256, dirtyRateBps: 32 * MiB, bandwidthBps: 100 * MiB });
    if (expected.kind !== 'converges') throw new Error('the model should converge at lambda 0.32');
    expect(snap.vms[0]).to.include({
      name: 'plain',
      expectedTotalTimeMs: expected.totalTimeMs,
      expectedDowntimeMs: expected.downtimeMs,
    });
  });

  it('leaves a VM predicted not to converge without expected costs rather than inventing them', async () => {
    const network = new FakeNetwork();
    network.addHost('a', { cpus: 2 });
    const h = new FakeHypervisor({ network, host: 'a' });
    await startGuest(h, 'hot', 'quiet', 0.5);
    h.setDirtyRate('hot', 200 * MiB);
    const snap = await snapshotHost(h, 'a', {
      sampleMs: 50,
      prediction: { model: uncalibratedPrecopyModel(), bandwidthBps: 100 * MiB },
    });
    expect(snap.vms[0]?.expectedTotalTimeMs).to.equal(undefined);
  });

  it('measureLiveGuest refuses a shut-off guest with E_STATE and reads a slow dirtier over 1 s + 4 s, the time-weighted mean', async () => {
    const network = new FakeNetwork();
    network.addHost('a', { cpus: 2 });
    const h = new FakeHypervisor({ network, host: 'a' });
    await h.defineDomain({ name: 'off', memoryMiB: 64, vcpus: 1, kernel: '/k' });
    const e = await measureLiveGuest(h, 'off').catch((x: unknown) => x);
    expect(e).to.have.property('code', 'E_STATE');
    await startGuest(h, 'slow', 'quiet', 0);
    h.setDirtyRate('slow', 2 * MiB);
    // Faked for this test only: every later test (the runner's, the consoles') needs real timers.
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'Date'] });
    try {
      const pending = measureLiveGuest(h, 'slow');
      await clock.tickAsync(6000);
      const live = await pending;
      expect(live.dirtyRate.periodSeconds).to.equal(5);
      expect(live.dirtyRate.bytesPerSecond).to.equal(2 * MiB);
    } finally {
      clock.restore();
    }
  });
});
