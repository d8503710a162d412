import { expect } from 'chai';
import {
  type ClusterSnapshot,
  estimatesFromTrials,
  maximumCorrelationPolicy,
  minimumMigrationTimePolicy,
  randomPolicy,
  recommendAll,
  sampleCluster,
  sampleTrials,
  seededRandom,
  studyPolicy,
  type VmSnapshot,
  workloadBalancePolicy,
} from '../src/index.js';

function vm(name: string, cpuPercent: number, extra: Partial<VmSnapshot> = {}): VmSnapshot {
  return { name, ramMiB: 1024, cpuPercent, ...extra };
}

/** host-a: 2 cores at (60 + 50 + 30) / 2 = 70 %; host-b 10 %; host-c 40 %. */
function cluster(vmsA: VmSnapshot[] = [vm('a1', 60), vm('a2', 50), vm('a3', 30)]): ClusterSnapshot {
  return {
    hosts: [
      { name: 'host-a', cores: 2, vms: vmsA },
      { name: 'host-b', cores: 2, vms: [vm('b1', 20)] },
      { name: 'host-c', cores: 2, vms: [vm('c1', 80)] },
    ],
  };
}

const costs = (total: number, down: number) => ({ expectedTotalTimeMs: total, expectedDowntimeMs: down });

describe('selection policies', () => {
  describe('study', () => {
    it('migrates the VM with the least total migration time to the least-used host', () => {
      const r = studyPolicy(
        cluster([
          vm('a1', 60, costs(64_000, 18_000)),
          vm('a2', 50, costs(63_000, 28_000)),
          vm('a3', 30, costs(63_500, 20_000)),
        ]),
      );
      expect(r).to.deep.include({
        kind: 'migrate',
        policy: 'study',
        vm: 'a2',
        source: 'host-a',
        destination: 'host-b',
      });
      expect(r.reason).to.contain('least expected total migration time (63.0 s)');
      expect(r.reason).to.contain('70.0 %');
    });

    it('breaks a tie on total time with the lower downtime', () => {
      const r = studyPolicy(
        cluster([
          vm('a1', 60, costs(63_000, 28_000)),
          vm('a2', 50, costs(63_000, 18_000)),
          vm('a3', 30, costs(64_000, 1_000)),
        ]),
      );
      expect(r).to.deep.include({ kind: 'migrate', vm: 'a2' });
      expect(r.reason).to.contain('lower downtime');
    });

    it('treats totals within the tolerance as a tie', () => {
      const vms = [
        vm('a1', 60, costs(63_200, 18_000)),
        vm('a2', 50, costs(63_000, 28_000)),
        vm('a3', 30, costs(64_000, 22_000)),
      ];
      expect(studyPolicy(cluster(vms))).to.deep.include({ vm: 'a2' });
      expect(studyPolicy(cluster(vms), { totalTimeToleranceMs: 500 })).to.deep.include({ vm: 'a1' });
    });

    it('does nothing while every host is at or below the threshold, and says so', () => {
      const r = studyPolicy(cluster([vm('a1', 60, costs(1, 1)), vm('a2', 70, costs(1, 1))]));
      expect(r.kind).to.equal('no-migration');
      expect(r.reason).to.match(/no host is above the 65.0 % threshold.*host-a 65.0 %/);
    });

    it('obeys a custom threshold', () => {
      const vms = [vm('a1', 60, costs(2, 1)), vm('a2', 70, costs(1, 1))];
      expect(studyPolicy(cluster(vms), { thresholdPercent: 60 })).to.deep.include({ kind: 'migrate', vm: 'a2' });
    });

    it('answers no migration when no host can take the VM below the threshold', () => {
      const c: ClusterSnapshot = {
        hosts: [
          { name: 'h', cores: 1, vms: [vm('x', 90, costs(1, 1))] },
          { name: 'g', cores: 1, vms: [vm('y', 50)] },
        ],
      };
      const r = studyPolicy(c);
      expect(r.kind).to.equal('no-migration');
      expect(r.reason).to.contain('no other host stays below 65.0 %');
    });

    it('refuses a VM without migration estimates with E_INVALID_ARGUMENT', () => {
      expect(() => studyPolicy(cluster()))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    });

    it("picks the sample cluster's dhrystone VM, the study workload with the least total time", () => {
      expect(studyPolicy(sampleCluster())).to.deep.include({
        kind: 'migrate',
        vm: 'vm-dhrystone',
        destination: 'host-b',
      });
    });
  });

  it('minimum migration time picks the VM with the least RAM, ties by name', () => {
    const r = minimumMigrationTimePolicy(
      cluster([vm('a1', 60, { ramMiB: 4096 }), vm('a3', 50, { ramMiB: 512 }), vm('a2', 30, { ramMiB: 512 })]),
    );
    expect(r).to.deep.include({ kind: 'migrate', policy: 'minimum-migration-time', vm: 'a2' });
    expect(r.reason).to.contain('least RAM (512 MiB)');
  });

  describe('maximum correlation', () => {
    const t = Array.from({ length: 12 }, (_, i) => i);
    const wave = t.map((i) => 30 + 10 * Math.sin(i));
    const other = t.map((i) => 40 + 8 * Math.cos(i * 2.3));

    it('picks the VM whose history the other VMs explain best', () => {
      const r = maximumCorrelationPolicy(
        cluster([
          vm('a1', 60, { cpuHistory: wave }),
          vm('a2', 50, { cpuHistory: wave.map((w, i) => 0.8 * w + 0.1 * (other[i] as number) + 5) }),
          vm('a3', 30, { cpuHistory: other }),
        ]),
      );
      expect(r.kind).to.equal('migrate');
      if (r.kind === 'migrate') expect(['a1', 'a2']).to.include(r.vm);
      expect(r.reason).to.match(/R² over the last 12 samples/);
    });

    it('aligns histories of different lengths on their most recent samples', () => {
      const r = maximumCorrelationPolicy(
        cluster([
          vm('a1', 60, { cpuHistory: [99, 99, 99, ...wave] }),
          vm('a2', 50, { cpuHistory: wave }),
          vm('a3', 30, { cpuHistory: other }),
        ]),
      );
      expect(r.reason).to.contain('last 12 samples');
    });

    it('declines when histories are missing or too short to regress', () => {
      expect(maximumCorrelationPolicy(cluster()).reason).to.contain('no CPU history for a1, a2, a3');
      const short = maximumCorrelationPolicy(
        cluster([
          vm('a1', 60, { cpuHistory: [1, 2, 3] }),
          vm('a2', 50, { cpuHistory: [3, 2, 1] }),
          vm('a3', 30, { cpuHistory: [1, 1, 2] }),
        ]),
      );
      expect(short).to.deep.include({ kind: 'no-migration' });
      expect(short.reason).to.contain('needs at least 4');
    });

    it('declines when the overloaded host runs a single VM', () => {
      const c: ClusterSnapshot = {
        hosts: [
          { name: 'h', cores: 1, vms: [vm('x', 90, { cpuHistory: wave })] },
          { name: 'g', cores: 1, vms: [] },
        ],
      };
      expect(maximumCorrelationPolicy(c).reason).to.contain('runs one VM');
    });
  });

  describe('random', () => {
    it('gives the same choice for the same seed, whatever the input order', () => {
      const vms = Array.from({ length: 8 }, (_, i) => vm(`a${i}`, 20));
      const c1 = cluster(vms);
      const c2 = cluster([...vms].reverse());
      for (const seed of [1, 2, 3, 42]) {
        expect(randomPolicy(c1, { seed })).to.deep.equal(randomPolicy(c2, { seed }));
      }
    });

    it('reaches different VMs with different seeds, roughly uniformly', () => {
      const vms = Array.from({ length: 4 }, (_, i) => vm(`a${i}`, 40));
      const counts = new Map<string, number>();
      for (let seed = 0; seed < 400; seed++) {
        const r = randomPolicy(cluster(vms), { seed });
        if (r.kind === 'migrate') counts.set(r.vm, (counts.get(r.vm) ?? 0) + 1);
      }
      expect([...counts.keys()].sort()).to.deep.equal(['a0', 'a1', 'a2', 'a3']);
      for (const n of counts.values()) expect(n).to.be.within(60, 140);
    });

    it('uses a generator that repeats its sequence for a seed and refuses a fractional seed', () => {
      const a = seededRandom(5);
      const b = seededRandom(5);
      const xs = [a(), a(), a()];
      expect([b(), b(), b()]).to.deep.equal(xs);
      for (const x of xs) expect(x).to.be.within(0, 1);
      expect(() => seededRandom(0.5))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    });
  });

  describe('workload balance', () => {
    it('picks the VM that brings the host closest to the cluster mean without going below it', () => {
      // Loads: host-a 70 %, host-b 10 %, host-c 40 %; mean 40 %, excess 30 points.
      // a1 (60 -> 30 points) lands exactly on the mean; a2 (25 points) leaves 5 over.
      const r = workloadBalancePolicy(cluster());
      expect(r).to.deep.include({ kind: 'migrate', policy: 'workload-balance', vm: 'a1', destination: 'host-b' });
      expect(r.reason).to.contain('cluster mean of 40.0 %');
    });

    it('skips a VM that would overshoot below the mean', () => {
      // host-a (2 cores) 130 + 10 = 70 %; mean (70 + 10 + 40) / 3 = 40 %; a1 would take it to 5 %.
      const r = workloadBalancePolicy(cluster([vm('a1', 130), vm('a2', 10)]));
      expect(r).to.deep.include({ kind: 'migrate', vm: 'a2' });
    });

    it('declines when every VM would overshoot', () => {
      const r = workloadBalancePolicy(cluster([vm('a1', 140)]));
      expect(r.kind).to.equal('no-migration');
      expect(r.reason).to.contain('below the cluster mean');
    });

    it('sends the VM to the least-used host that stays under the threshold', () => {
      const c: ClusterSnapshot = {
        hosts: [
          { name: 'src', cores: 1, vms: [vm('big', 50), vm('small', 30)] },
          { name: 'busy', cores: 1, vms: [vm('q', 0)] },
          { name: 'quiet', cores: 4, vms: [vm('r', 100)] },
        ],
      };
      // Loads 80, 0, 25; mean 35; excess 45: big (50) overshoots, small (30) fits.
      const r = workloadBalancePolicy(c);
      expect(r).to.deep.include({ vm: 'small', destination: 'busy' });
    });
  });

  describe('pinned VMs and host memory', () => {
    const priced = () =>
      cluster([
        vm('a1', 60, costs(64_000, 18_000)),
        vm('a2', 50, costs(63_000, 28_000)),
        vm('a3', 30, costs(63_500, 20_000)),
      ]);

    it('counts a pinned VM toward its host load but never chooses it, with every policy', () => {
      const r = studyPolicy(priced(), { pinned: ['a2'] });
      expect(r).to.deep.include({ kind: 'migrate', vm: 'a3' });
      for (const policy of [minimumMigrationTimePolicy, workloadBalancePolicy]) {
        const p = policy(priced(), { pinned: ['a1', 'a2'] });
        expect(p, p.policy).to.deep.include({ kind: 'migrate', vm: 'a3' });
      }
      expect(randomPolicy(priced(), { seed: 3, pinned: ['a1', 'a2'] })).to.deep.include({ vm: 'a3' });
    });

    it('answers no migration when every VM on the overloaded host is pinned', () => {
      const r = studyPolicy(priced(), { pinned: ['a1', 'a2', 'a3'] });
      expect(r.kind).to.equal('no-migration');
      expect(r.reason).to.contain('every VM on it is pinned');
    });

    it('skips a destination without room for the VM memory and takes the next least-used one', () => {
      const base = priced();
      const hosts = base.hosts.map((h) => (h.name === 'host-b' ? { ...h, memoryMiB: 1500 } : h));
      const r = studyPolicy({ hosts: hosts.map((h) => (h.name === 'host-c' ? { ...h, vms: [vm('c1', 30)] } : h)) });
      expect(r).to.deep.include({ kind: 'migrate', vm: 'a2', destination: 'host-c' });
      const none = studyPolicy({ hosts: hosts.filter((h) => h.name !== 'host-c') });
      expect(none.kind).to.equal('no-migration');
      expect(none.reason).to.contain('has room for its 1024 MiB');
    });

    it('refuses a pinned list that is not an array of names with E_INVALID_ARGUMENT', () => {
      expect(() => studyPolicy(priced(), { pinned: 'a1' as unknown as string[] }))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    });
  });

  it('refuses duplicate names and bad thresholds with E_INVALID_ARGUMENT for every policy', () => {
    const dup = cluster([vm('b1', 10)]);
    const policies = [
      () => studyPolicy(dup),
      () => minimumMigrationTimePolicy(dup),
      () => maximumCorrelationPolicy(dup),
      () => randomPolicy(dup, { seed: 1 }),
      () => workloadBalancePolicy(dup),
      () => workloadBalancePolicy(cluster(), { thresholdPercent: 0 }),
      () => workloadBalancePolicy(cluster(), { thresholdPercent: 101 }),
      () => workloadBalancePolicy({ hosts: [{ name: 'h', cores: 0, vms: [] }] }),
      () => workloadBalancePolicy(cluster([vm('n', Number.NaN)])),
    ];
    for (const p of policies) expect(p).to.throw().with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('derives migration estimates per workload from the trials', () => {
    const est = estimatesFromTrials(sampleTrials());
    expect([...est.keys()]).to.deep.equal(['dhrystone', 'linpack', 'livermore']);
    for (const e of est.values()) {
      expect(e.trials).to.equal(3);
      expect(e.totalTimeMs).to.be.within(62_500, 64_500);
    }
  });

  it('runs every policy over one cluster with the study first', () => {
    expect(recommendAll(sampleCluster()).map((r) => r.policy)).to.deep.equal([
      'study',
      'minimum-migration-time',
      'maximum-correlation',
      'random',
      'workload-balance',
    ]);
  });
});
