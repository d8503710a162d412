import { replayDecision } from '@virtmig/analysis';
import type { Hypervisor } from '@virtmig/core';
import { FakeHypervisor, FakeNetwork, ManualClock, migratedTrial } from '@virtmig/testing';
import { expect } from 'chai';
import sinon from 'sinon';
import {
  type BalanceEvent,
  type BalanceHost,
  type BalanceOptions,
  type BalanceSummary,
  type Decision,
  decisionPointOf,
  estimatorFromTrials,
  type MigrationOutcome,
  runBalance,
} from '../src/index.js';

/** Measured costs per workload: `cheap` migrates fastest, so the study's policy picks its VM. */
const estimator = estimatorFromTrials([
  migratedTrial('cheap', 2000, 100),
  migratedTrial('mid', 3000, 100),
  migratedTrial('dear', 4000, 100),
]);

interface Lab {
  readonly clock: ManualClock;
  readonly network: FakeNetwork;
  readonly h: Record<string, FakeHypervisor>;
  readonly hosts: BalanceHost[];
  readonly decisions: Decision[];
  readonly outcomes: { decision: Decision; outcome: MigrationOutcome }[];
  readonly events: BalanceEvent[];
}

function lab(names: readonly string[] = ['a', 'b'], hostOptions: Record<string, { memoryMiB?: number }> = {}): Lab {
  const clock = new ManualClock();
  const network = new FakeNetwork({ clock });
  const h: Record<string, FakeHypervisor> = {};
  for (const n of names) {
    network.addHost(n, { cpus: 2, ...hostOptions[n] });
    h[n] = new FakeHypervisor({ network, host: n });
  }
  return {
    clock,
    network,
    h,
    hosts: names.map((name) => ({ name, hypervisor: h[name] as Hypervisor })),
    decisions: [],
    outcomes: [],
    events: [],
  };
}

/** A running one-vCPU guest using `load` of its CPU (1 = 100 % of one CPU). */
async function guest(h: FakeHypervisor | undefined, name: string, workload: string, load: number, memoryMiB = 64) {
  if (!h) throw new Error('no such host');
  await h.defineDomain({ name, memoryMiB, vcpus: 1, kernel: '/k', cmdline: `virtmig.workload=${workload}` });
  await h.startDomain(name);
  h.setLoad(name, load);
}

interface Running {
  readonly done: Promise<BalanceSummary>;
  readonly controller: AbortController;
}

function start(l: Lab, options: Partial<BalanceOptions> = {}): Running {
  const controller = new AbortController();
  const done = runBalance({
    hosts: l.hosts,
    clock: l.clock,
    signal: controller.signal,
    estimator,
    intervalMs: 1000,
    samples: 3,
    hostCooldownMs: 5000,
    vmCooldownMs: 20_000,
    sink: {
      decided: (d) => {
        l.decisions.push(d);
      },
      completed: (decision, outcome) => {
        l.outcomes.push({ decision, outcome });
      },
    },
    onEvent: (e) => l.events.push(e),
    ...options,
  });
  return { done, controller };
}

async function seconds(l: Lab, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await l.clock.advance(1000);
}

async function stop(l: Lab, r: Running): Promise<BalanceSummary> {
  r.controller.abort();
  await l.clock.runAll(600_000);
  return r.done;
}

async function where(l: Lab, vm: string): Promise<string[]> {
  const out: string[] = [];
  for (const [name, h] of Object.entries(l.h)) {
    if (h.closed) continue;
    if ((await h.listDomains()).some((d) => d.name === vm && d.state === 'running')) out.push(name);
  }
  return out;
}

describe('runBalance (the balancing loop)', () => {
  afterEach(() => sinon.restore());

  it('hysteresis: moves nothing for a spike shorter than the sample count, then the study choice once the overload lasts', async () => {
    const l = lab();
    await guest(l.h.a, 'vm-dear', 'dear', 0.8);
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.1);
    const r = start(l);
    // a: (80 + 10) / 2 = 45 %, then a two-sample spike to 85 %, then back.
    await seconds(l, 2);
    l.h.a?.setLoad('vm-cheap', 0.9);
    await seconds(l, 2);
    l.h.a?.setLoad('vm-cheap', 0.1);
    await seconds(l, 2);
    expect(l.decisions).to.deep.equal([]);
    l.h.a?.setLoad('vm-cheap', 0.9);
    await seconds(l, 2);
    expect(l.decisions).to.deep.equal([]);
    await seconds(l, 1);
    expect(l.decisions).to.have.length(1);
    expect(l.decisions[0]).to.deep.include({ kind: 'migrate', source: 'a', vm: 'vm-cheap', destination: 'b' });
    expect(l.decisions[0]?.reason).to.contain('least expected total migration time');
    const cheap = l.decisions[0]?.candidates.find((c) => c.vm === 'vm-cheap');
    expect(cheap?.prediction).to.deep.include({ kind: 'converges', totalTimeMs: 2000 });
    await seconds(l, 5);
    expect(await where(l, 'vm-cheap')).to.deep.equal(['b']);
    expect(l.outcomes[0]?.outcome.ok).to.equal(true);
    const summary = await stop(l, r);
    expect(summary).to.deep.include({ decisions: 1, migrations: 1, failures: 0, stoppedBy: 'signal' });
  });

  it('capacity: when no host stays under the threshold with the VM, or has room for its memory, it records why and moves nothing', async () => {
    const l = lab(['a', 'b', 'c'], { c: { memoryMiB: 600 } });
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.8);
    await guest(l.h.a, 'vm-dear', 'dear', 0.8);
    await guest(l.h.b, 'vm-b', 'mid', 0.6);
    await guest(l.h.c, 'vm-c', 'mid', 0.1, 512);
    const r = start(l);
    await seconds(l, 4);
    await stop(l, r);
    // b would go to 70 %; c stays at 45 % and has 88 MiB free for the 64 MiB VM.
    expect(l.decisions[0]).to.deep.include({ kind: 'migrate', destination: 'c' });

    // The same with 48 MiB free on c.

    const m = lab(['a', 'b', 'c'], { c: { memoryMiB: 560 } });
    await guest(m.h.a, 'vm-cheap', 'cheap', 0.8);
    await guest(m.h.a, 'vm-dear', 'dear', 0.8);
    await guest(m.h.b, 'vm-b', 'mid', 0.6);
    await guest(m.h.c, 'vm-c', 'mid', 0.1, 512);
    const r2 = start(m);
    await seconds(m, 4);
    expect(m.decisions).to.have.length(1);
    expect(m.decisions[0]?.kind).to.equal('no-migration');
    expect(m.decisions[0]?.reason).to.contain('no other host stays below 65.0 % with it and has room for its 64 MiB');
    await seconds(m, 3);
    expect(m.decisions, 'asked again only after the host cooldown').to.have.length(1);
    await seconds(m, 3);
    expect(m.decisions).to.have.length(2);
    await stop(m, r2);
    expect(await where(m, 'vm-cheap')).to.deep.equal(['a']);
    expect(await where(m, 'vm-dear')).to.deep.equal(['a']);
    expect(m.outcomes).to.deep.equal([]);
  });

  it('cooldown: a host that took part in a migration is left alone for the host cooldown, and a migrated VM for the VM cooldown', async () => {
    const l = lab(['a', 'b', 'c']);
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.9);
    await guest(l.h.a, 'vm-mid', 'mid', 0.9);
    await guest(l.h.a, 'vm-dear', 'dear', 0.9);
    const r = start(l, { hostCooldownMs: 5000, vmCooldownMs: 60_000 });
    await seconds(l, 30);
    const moves = l.outcomes.filter((o) => o.outcome.ok).map((o) => o.decision);
    expect(moves.map((d) => [d.vm, d.destination])).to.deep.equal([
      ['vm-cheap', 'b'],
      ['vm-mid', 'c'],
    ]);
    const firstEnd = l.events.find((e) => e.type === 'migration-finished');
    expect(firstEnd).to.not.equal(undefined);
    // The migration of 64 MiB ends within its first second; the second decision waits for the
    // cooldown and three fresh samples after it.
    expect((moves[1]?.atMs ?? 0) - (moves[0]?.atMs ?? 0)).to.be.at.least(5000);
    // Now b is at 45 %: make it overloaded; vm-cheap is the cheapest but still cooling down.
    l.h.b && (await guest(l.h.b, 'vm-b', 'dear', 0.9));
    l.h.c?.setLoad('vm-mid', 0.1);
    await seconds(l, 10);
    const onB = l.decisions.filter((d) => d.source === 'b');
    expect(onB.length).to.be.at.least(1);
    expect(onB[0]?.candidates.find((c) => c.vm === 'vm-cheap')?.pinned).to.match(/^cooling down/);
    expect(onB[0]).to.deep.include({ kind: 'migrate', vm: 'vm-b' });
    await stop(l, r);
  });

  it('ping-pong guard: a VM is not moved back to the host it left within the window; another VM goes instead', async () => {
    const l = lab();
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.6);
    await guest(l.h.a, 'vm-dear', 'dear', 0.5);
    const r = start(l, { thresholdPercent: 50, vmCooldownMs: 0, hostCooldownMs: 0, pingPongWindowMs: 600_000 });
    await seconds(l, 5);
    expect(await where(l, 'vm-cheap')).to.deep.equal(['b']);
    // a empties out, b overloads: vm-cheap is again the cheapest and fits on a.
    l.h.a?.setLoad('vm-dear', 0.1);
    await guest(l.h.b, 'vm-mid', 'mid', 0.5);
    await seconds(l, 8);
    const back = l.decisions.filter((d) => d.source === 'b');
    expect(back[0]).to.deep.include({ kind: 'migrate', vm: 'vm-mid', destination: 'a' });
    expect(back[0]?.reason).to.contain('ping-pong guard: vm-cheap left a');
    expect(await where(l, 'vm-cheap')).to.deep.equal(['b']);
    await stop(l, r);
  });

  it('failure: a failed migration is recorded with its error, the VM stays on its source, and the loop goes on', async () => {
    const l = lab();
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.8);
    await guest(l.h.a, 'vm-dear', 'dear', 0.8);
    l.h.a?.failNextMigration('link reset by peer');
    const r = start(l, { vmCooldownMs: 0 });
    await seconds(l, 5);
    expect(l.outcomes[0]?.outcome).to.deep.include({ ok: false, code: 'E_MIGRATION_FAILED' });
    expect(await where(l, 'vm-cheap')).to.deep.equal(['a']);
    await seconds(l, 10);
    expect(l.outcomes[1]?.outcome.ok).to.equal(true);
    expect(await where(l, 'vm-cheap')).to.deep.equal(['b']);
    const summary = await stop(l, r);
    expect(summary).to.deep.include({ migrations: 1, failures: 1 });
  });

  it('stop: an abort during the recording of a decision lets it, and its migration, finish and be recorded', async () => {
    const l = lab();
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.8);
    await guest(l.h.a, 'vm-dear', 'dear', 0.8);
    const controller = new AbortController();
    const recorded: string[] = [];
    const done = runBalance({
      hosts: l.hosts,
      clock: l.clock,
      signal: controller.signal,
      estimator,
      intervalMs: 1000,
      sink: {
        decided: async (d) => {
          recorded.push(`decided-start ${d.seq}`);
          controller.abort();
          await l.clock.sleep(5000);
          recorded.push(`decided-end ${d.seq}`);
        },
        completed: (d, o) => {
          recorded.push(`completed ${d.seq} ${o.ok}`);
        },
      },
    });
    await seconds(l, 3);
    await l.clock.runAll(600_000);
    const summary = await done;
    expect(recorded).to.deep.equal(['decided-start 1', 'decided-end 1', 'completed 1 true']);
    expect(summary).to.deep.include({ decisions: 1, migrations: 1, stoppedBy: 'signal' });
    expect(await where(l, 'vm-cheap')).to.deep.equal(['b']);
  });

  it('unavailable host: a host that stops answering is marked unavailable and the loop goes on with the others', async () => {
    const l = lab(['a', 'b', 'c']);
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.8);
    await guest(l.h.a, 'vm-dear', 'dear', 0.8);
    const r = start(l);
    await seconds(l, 1);
    await l.h.b?.close();
    await seconds(l, 6);
    expect(l.events.find((e) => e.type === 'host-unavailable')).to.deep.include({ host: 'b' });
    expect(l.decisions[0]).to.deep.include({ kind: 'migrate', destination: 'c' });
    expect(l.decisions[0]?.unavailable).to.deep.equal(['b']);
    const summary = await stop(l, r);
    expect(summary.unavailable).to.deep.equal(['b']);
    expect(await where(l, 'vm-cheap')).to.deep.equal(['c']);
  });

  it('concurrency: at most maxPerHost migrations per host and maxConcurrent in all', async () => {
    const inFlight = async (maxConcurrent?: number) => {
      const l = lab(['a', 'b', 'c', 'd']);
      await guest(l.h.a, 'vm-a1', 'cheap', 0.8, 512);
      await guest(l.h.a, 'vm-a2', 'dear', 0.8, 512);
      await guest(l.h.b, 'vm-b1', 'cheap', 0.8, 512);
      await guest(l.h.b, 'vm-b2', 'dear', 0.8, 512);
      let now = 0;
      let peak = 0;
      const r = start(l, {
        ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
        migrate: async (vm, source, destination) => {
          now++;
          peak = Math.max(peak, now);
          try {
            const m = await source.hypervisor.migrate(vm, destination.hypervisor, { live: true });
            return { ok: true, totalTimeMs: m.totalTimeMs };
          } finally {
            now--;
          }
        },
      });
      await seconds(l, 40);
      await stop(l, r);
      return { peak, moved: l.outcomes.filter((o) => o.outcome.ok).length };
    };
    expect(await inFlight()).to.deep.equal({ peak: 2, moved: 2 });
    expect(await inFlight(1)).to.deep.equal({ peak: 1, moved: 2 });
  });

  it('dry run: records the migrate decision without migrating, once per host cooldown', async () => {
    const l = lab();
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.8);
    await guest(l.h.a, 'vm-dear', 'dear', 0.8);
    const migrate = sinon.spy(l.h.a as FakeHypervisor, 'migrate');
    const r = start(l, { dryRun: true });
    await seconds(l, 7);
    expect(l.decisions).to.have.length(1);
    expect(l.decisions[0]).to.deep.include({ kind: 'migrate', dryRun: true, vm: 'vm-cheap' });
    await seconds(l, 1);
    expect(l.decisions).to.have.length(2);
    await stop(l, r);
    expect(migrate.called).to.equal(false);
    expect(l.outcomes).to.deep.equal([]);
  });

  it('says why the study policy cannot decide when a VM has no estimate', async () => {
    const l = lab();
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.8);
    await guest(l.h.a, 'vm-unknown', 'unmeasured', 0.8);
    const r = start(l);
    await seconds(l, 4);
    await stop(l, r);
    expect(l.decisions[0]?.kind).to.equal('no-migration');
    expect(l.decisions[0]?.reason).to.contain('the study policy cannot decide');
  });

  it('refuses bad options with E_INVALID_ARGUMENT before asking any host', async () => {
    const l = lab();
    const hostInfo = sinon.spy(l.h.a as FakeHypervisor, 'hostInfo');
    const bad: Partial<BalanceOptions>[] = [
      { hosts: l.hosts.slice(0, 1) },
      { hosts: [l.hosts[0] as BalanceHost, l.hosts[0] as BalanceHost] },
      { policy: 'greedy' as never },
      { thresholdPercent: 0 },
      { thresholdPercent: 101 },
      { samples: 0 },
      { intervalMs: 1.5 },
    ];
    for (const o of bad) {
      const err = await runBalance({ hosts: l.hosts, clock: l.clock, ...o }).catch((e: unknown) => e);
      expect(err, JSON.stringify(Object.keys(o))).to.have.property('code', 'E_INVALID_ARGUMENT');
    }
    expect(hostInfo.called).to.equal(false);
  });
});

describe('decisionPointOf + replayDecision (replay of recorded decisions)', () => {
  it("gives back, from a decision stored as JSON, the loop's own choice for its policy and every other policy's", async () => {
    const l = lab(['a', 'b', 'c']);
    await guest(l.h.a, 'vm-dear', 'dear', 0.9, 32);
    await guest(l.h.a, 'vm-cheap', 'cheap', 0.5, 256);
    const r = start(l);
    await seconds(l, 4);
    await stop(l, r);
    const d = l.decisions[0] as Decision;
    expect(d).to.deep.include({ kind: 'migrate', vm: 'vm-cheap' });
    const stored = JSON.parse(JSON.stringify({ ...d, thresholdPercent: 65 }));
    const replay = replayDecision(decisionPointOf(stored));
    expect(replay.map((x) => x.policy)).to.deep.equal(['study', 'mmt', 'mc', 'random', 'balance']);
    const by = Object.fromEntries(replay.map((x) => [x.policy, x.recommendation]));
    expect(by.study).to.deep.include({ kind: 'migrate', vm: 'vm-cheap', destination: d.destination });
    expect(by.mmt).to.deep.include({ kind: 'migrate', vm: 'vm-dear' });
    expect(by.mc?.kind).to.equal('no-migration');
  });

  it('refuses a stored decision whose cluster or candidates are malformed with E_INVALID_ARGUMENT', () => {
    const base = { source: 'a', thresholdPercent: 65, receivers: [] };
    for (const bad of [
      { ...base, cluster: null, candidates: [] },
      { ...base, cluster: { hosts: [] }, candidates: [] },
      { ...base, cluster: { hosts: [{ name: 'a', cores: 1, vms: [] }] }, candidates: [{}] },
    ]) {
      expect(() => decisionPointOf(bad))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    }
  });
});
