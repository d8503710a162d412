// Real live migrations between the two lab hosts with the QEMU driver: pre-copy, peer-to-peer
// tunnelled and post-copy of a running guest (heartbeat continuity, downtime from the heartbeat next to libvirt's), a dead
// and an unreachable destination, and an abort mid-migration.

import { QemuHypervisor } from '@virtmig/driver-qemu';
import { expect } from 'chai';
import { labPair, rejectsWith, virtmigOk } from './helpers.mjs';

const DIRTIER = '--wss-mb 64 --rate-mbps 32 --seconds 100000';

/** Checks the Equation-1 stages: ordered, inside [0, total], pre-copy rounds back to back. */
function expectStagesTile(r) {
  const s = r.stages;
  expect(s.reservation, 'reservation').to.not.equal(undefined);
  expect(s.precopyRounds.length, 'pre-copy rounds').to.be.greaterThan(0);
  expect(s.stopAndCopy, 'stop-and-copy').to.not.equal(undefined);
  const spans = [s.reservation, s.initialisation, ...s.precopyRounds, s.stopAndCopy].filter(Boolean);
  for (let i = 0; i < spans.length; i++) {
    expect(spans[i].endMs).to.be.at.least(spans[i].startMs);
    expect(spans[i].endMs).to.be.at.most(r.totalTimeMs);
    if (i > 0) expect(spans[i].startMs, `stage ${i} starts where ${i - 1} ends`).to.equal(spans[i - 1].endMs);
  }
}

describe('QEMU driver: live migration in the lab', function () {
  this.timeout(240_000);
  const lab = labPair('mig');
  let status;
  let a;
  let b;
  before(() => {
    ({ status, a, b } = lab);
  });
  const guest = lab.guest;

  it("pre-copy moves a running guest A→B: heartbeat sequence continues on B, heartbeat gap reported next to libvirt's downtime", async () => {
    const name = await guest('a');
    const before = await a.lookupDomain(name);
    const r = await a.migrate(name, b, { heartbeat: true, migrateUri: `tcp://${status.hosts[1].address}` });
    expect(r.postCopy).to.equal(false);
    expect(r.downtimeSource).to.equal('hypervisor');
    expect(r.downtimeMs).to.be.a('number').greaterThan(0);
    expect(r.heartbeat.continuous, 'no restart: sequence numbers continue').to.equal(true);
    expect(r.heartbeat.seqAfter).to.be.greaterThan(r.heartbeat.seqBefore);
    // The host sees the pause plus up to one heartbeat period; the 20 ms is the poll granularity.
    expect(r.heartbeat.hostGapMs + 20).to.be.at.least(r.downtimeMs);
    expect(r.dataTransferredBytes).to.be.greaterThan(16 << 20);
    expect(r.iterations).to.be.at.least(1);
    expectStagesTile(r);
    const onB = await b.lookupDomain(name);
    expect(onB.state).to.equal('running');
    expect(onB.uuid).to.equal(before.uuid);
    const left = await a.lookupDomain(name).then(
      (i) => i.state,
      (e) => e.code,
    );
    expect(left).to.be.oneOf(['shutoff', 'E_NOT_FOUND']);
    console.log(
      `      pre-copy: total ${r.totalTimeMs} ms, libvirt downtime ${r.downtimeMs} ms, heartbeat gap ${r.heartbeat.hostGapMs} ms`,
    );
  });

  it("peer-to-peer tunnelled: A's daemon moves the guest to B's at its qemu+tcp URI with the data inside that connection; heartbeat continuous", async () => {
    const name = await guest('a');
    const before = await a.lookupDomain(name);
    const r = await a.migrate(name, b, { heartbeat: true, peerUri: status.hosts[1].tcpUri, tunnelled: true });
    expect(r.heartbeat.continuous, 'no restart: sequence numbers continue').to.equal(true);
    expect(r.heartbeat.seqAfter).to.be.greaterThan(r.heartbeat.seqBefore);
    expect(r.downtimeMs).to.be.a('number').greaterThan(0);
    expect(r.dataTransferredBytes).to.be.greaterThan(16 << 20);
    const onB = await b.lookupDomain(name);
    expect(onB.state).to.equal('running');
    expect(onB.uuid).to.equal(before.uuid);
    console.log(
      `      tunnelled: total ${r.totalTimeMs} ms, libvirt downtime ${r.downtimeMs} ms, heartbeat gap ${r.heartbeat.hostGapMs} ms`,
    );
  });

  it('post-copy moves a memory-dirtying guest B→A after RAM transfer began: heartbeat continues, downtime reported', async () => {
    const name = await guest('b', '--workload', 'dirtier', '--args', DIRTIER);
    const phases = new Set();
    const r = await b.migrate(name, a, {
      postCopy: true,
      heartbeat: true,
      migrateUri: `tcp://${status.hosts[0].address}`,
      onProgress: (p) => phases.add(p.phase),
    });
    expect(r.postCopy).to.equal(true);
    expect(phases.has('postcopy') || phases.has('completing')).to.equal(true);
    expect(r.downtimeMs).to.be.a('number').at.least(0);
    expect(r.heartbeat.continuous).to.equal(true);
    expect(r.heartbeat.seqAfter).to.be.greaterThan(r.heartbeat.seqBefore);
    expect(r.stages.postcopy).to.not.equal(undefined);
    expect((await a.lookupDomain(name)).state).to.equal('running');
    console.log(
      `      post-copy: total ${r.totalTimeMs} ms, downtime ${r.downtimeMs} ms (${r.downtimeSource}), heartbeat gap ${r.heartbeat.hostGapMs} ms`,
    );
  });

  it('migration to an unreachable destination address fails with E_MIGRATION_FAILED; the guest keeps running on the source', async () => {
    const name = await guest('a');
    const before = await a.lookupDomain(name);
    const err = await rejectsWith(
      () => a.migrate(name, b, { migrateUri: 'tcp://10.77.0.99:49190', timeoutMs: 60_000 }),
      'E_MIGRATION_FAILED',
    );
    expect(err.details.sourceState).to.equal('running');
    const after = await a.lookupDomain(name);
    expect(after.state).to.equal('running');
    expect(after.id).to.equal(before.id);
    await rejectsWith(() => b.lookupDomain(name), 'E_NOT_FOUND');
  });

  it('migration to a destination whose daemon died is refused by the preflight (destination-reachable), and without it fails with E_MIGRATION_FAILED; the guest keeps running on the source', async () => {
    const dead = await virtmigOk('lab', 'up', '--prefix', 'vmqdead', '--json');
    let gone;
    try {
      gone = await QemuHypervisor.open(dead.hosts[1].uri, { domainType: dead.domainType });
    } finally {
      await virtmigOk('lab', 'down', '--prefix', 'vmqdead');
    }
    try {
      const name = await guest('a');
      const refused = await rejectsWith(() => a.migrate(name, gone, { timeoutMs: 60_000 }), 'E_PREFLIGHT');
      expect(refused.check).to.equal('destination-reachable');
      expect((await a.lookupDomain(name)).state).to.equal('running');
      await rejectsWith(() => a.migrate(name, gone, { timeoutMs: 60_000, preflight: false }), 'E_MIGRATION_FAILED');
      expect((await a.lookupDomain(name)).state).to.equal('running');
    } finally {
      await gone.close();
    }
  });

  it('an abort mid-migration (AbortSignal) fails with E_ABORTED; the guest keeps running on the source and nothing is left on the destination', async () => {
    const name = await guest('a', '--workload', 'dirtier', '--args', '--wss-mb 64 --rate-mbps 0 --seconds 100000');
    const before = await a.lookupDomain(name);
    const controller = new AbortController();
    let processed = 0;
    const pending = a.migrate(name, b, {
      bandwidthMiBps: 8,
      heartbeat: true,
      signal: controller.signal,
      onProgress: (p) => {
        processed = Math.max(processed, p.dataProcessedBytes);
        if (p.dataProcessedBytes > 4 << 20) controller.abort();
      },
    });
    await rejectsWith(() => pending, 'E_ABORTED');
    expect(processed, 'the abort came after RAM transfer had begun').to.be.greaterThan(4 << 20);
    const after = await a.lookupDomain(name);
    expect(after.state).to.equal('running');
    expect(after.id).to.equal(before.id);
    await rejectsWith(() => b.lookupDomain(name), 'E_NOT_FOUND');
    expect((await b.listDomains()).map((d) => d.name)).to.not.include(name);
  });
});
