// virtmig balance on the real lab: two busy guests on host a put it over the threshold; the loop
// migrates the study's choice (the guest predicted to migrate fastest) to b, then stays still.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotHost } from '@virtmig/balance';
import { ResultsDb } from '@virtmig/bench';
import { expect } from 'chai';
import { ensureLab, openHosts, prefix, startGuest, stopGuest, virtmig } from './helpers.mjs';

describe('virtmig balance on the lab', function () {
  this.timeout(600_000);
  const tag = process.pid % 10000;
  const small = `bals${tag}`;
  const big = `balb${tag}`;
  let a;
  let b;
  let dir;

  before(async () => {
    const status = await ensureLab();
    [a, b] = await openHosts(status);
    dir = await mkdtemp(join(tmpdir(), 'virtmig-balance-'));
    await startGuest(small, 'a', '--memory', '128', '--workload', 'dhrystone');
    await startGuest(big, 'a', '--memory', '160', '--workload', 'dhrystone');
    // Caps keep the two busy guests from taking the whole shared machine.
    await a.setCpuCap(small, 50);
    await a.setCpuCap(big, 50);
  });

  after(async () => {
    await stopGuest(small);
    await stopGuest(big);
    await a?.close();
    await b?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('migrates the guest the study picks off the overloaded host, records the decision and then moves nothing', async () => {
    // The machine is shared, so what the guests get varies: set the threshold from what they
    // use now, between a's load before the move (both guests) and after it (one guest each).
    const before = await snapshotHost(a, 'a', { sampleMs: 5000 });
    const load = before.vms.reduce((s, v) => s + v.cpuPercent, 0) / before.cores;
    const perGuest = before.vms.map((v) => v.cpuPercent);
    expect(Math.min(...perGuest), `guests' CPU use ${perGuest.join(', ')} %`).to.be.above(2);
    const threshold = Math.max(1, Math.round(load * 0.7 * 10) / 10);
    const db = join(dir, 'balance.db');
    const t0 = Date.now();
    const r = await virtmig(
      'balance',
      '--hosts',
      'lab',
      '--prefix',
      prefix,
      '--threshold',
      String(threshold),
      '--samples',
      '2',
      '--interval',
      '3',
      '--duration',
      '60',
      '--host-cooldown',
      '5',
      '--db',
      db,
      '--json',
    );
    const wallS = (Date.now() - t0) / 1000;
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const moves = lines.filter((l) => l.kind === 'migrate');
    expect(moves, r.stdout).to.have.length(1);
    const [move] = moves;
    expect(move).to.deep.include({ vm: small, source: 'a', destination: 'b', policy: 'study' });
    expect(move.outcome.ok, JSON.stringify(move.outcome)).to.equal(true);
    const priced = move.candidates.filter((c) => c.prediction?.kind === 'converges');
    const cheapest = priced.sort((x, y) => x.prediction.totalTimeMs - y.prediction.totalTimeMs)[0];
    expect(cheapest.vm).to.equal(small);

    const onB = (await b.listDomains()).filter((d) => d.state === 'running').map((d) => d.name);
    const onA = (await a.listDomains()).filter((d) => d.state === 'running').map((d) => d.name);
    expect(onB).to.include(small);
    expect(onA).to.include(big);
    expect(onA).to.not.include(small);

    const rdb = ResultsDb.open(db, { readonly: true });
    const decisions = rdb.decisions();
    rdb.close();
    expect(decisions.filter((d) => d.kind === 'migrate')).to.have.length(1);
    expect(decisions[0]).to.deep.include({
      kind: 'migrate',
      vm: small,
      outcome: 'migrated',
      thresholdPercent: threshold,
    });
    expect(decisions[0].totalTimeMs).to.be.above(0);
    console.log(
      `      lab: a at ${load.toFixed(1)} % (guests ${perGuest.map((x) => x.toFixed(1)).join(' + ')} % of a CPU), threshold ${threshold} %, ` +
        `migrated ${small} in ${(move.outcome.totalTimeMs / 1000).toFixed(1)} s (downtime ${move.outcome.downtimeMs ?? '?'} ms, ` +
        `heartbeat gap ${move.outcome.heartbeatGapMs ?? '?'} ms) after ${((Date.parse(move.at) - t0) / 1000).toFixed(1)} s; ` +
        `${decisions.length} decisions in ${wallS.toFixed(0)} s`,
    );
    for (const d of decisions.filter((x) => x.kind === 'no-migration'))
      console.log(`      #${d.seq} ${d.source}: ${d.reason}`);
  });
});
