import { expect } from 'chai';
import {
  type BalanceTimeline,
  balanceRunMetrics,
  balanceTimelineSpec,
  comparePolicies,
  renderReport,
} from '../src/index.js';

const run: BalanceTimeline = {
  runId: 'r1234567-run',
  policy: 'study',
  thresholdPercent: 65,
  samples: [0, 1000, 2000, 3000].flatMap((t, i) => [
    { atMs: 10_000 + t, host: 'a', loadPercent: i < 3 ? 80 : 40 },
    { atMs: 10_000 + t, host: 'b', loadPercent: i < 3 ? 0 : 40 },
  ]),
  decisions: [
    {
      seq: 1,
      atMs: 12_000,
      kind: 'migrate',
      dryRun: false,
      source: 'a',
      vm: 'vm1',
      destination: 'b',
      reason: 'x',
      outcome: 'migrated',
      totalTimeMs: 900,
    },
    { seq: 2, atMs: 13_000, kind: 'no-migration', dryRun: false, source: 'b', reason: 'no host can receive' },
  ],
};

describe('balancing runs in the report', () => {
  it('plots each host against seconds since the first sample, the threshold, and a marker per decision', () => {
    const spec = balanceTimelineSpec(run) as { layer: { data: { values: Record<string, unknown>[] } }[] };
    const [lines, threshold, moves, labels, still] = spec.layer;
    expect(lines?.data.values[0]).to.deep.equal({ t: 0, host: 'a', load: 80 });
    expect(threshold?.data.values).to.deep.equal([{ y: 65 }]);
    expect(moves?.data.values).to.deep.equal([{ t: 2, label: 'vm1 → b', kind: 'migrate' }]);
    expect(labels?.data.values).to.have.length(1);
    expect(still?.data.values.map((v) => v.t)).to.deep.equal([3]);
    expect(() => balanceTimelineSpec({ ...run, samples: [] }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('adds a section with the timeline figure and the decisions table to the HTML report', async () => {
    const html = await renderReport({ records: [], balance: [run], model: false });
    expect(html).to.contain('<h2 id="balance">Balancing runs</h2>');
    expect(html).to.contain('vm1 a → b');
    expect(html).to.contain('nothing on b');
    expect(html).to.match(/aria-label="Host CPU of balancing run r1234567-run[^"]*"><svg/);
    expect(await renderReport({ records: [], model: false })).to.not.contain('Balancing runs');
  });
});

describe('balanceRunMetrics and comparePolicies', () => {
  it('measures migrations, the time until no host is over the threshold for good, and the migrations cost', () => {
    const m = balanceRunMetrics(run);
    expect(m).to.deep.equal({
      runId: run.runId,
      policy: 'study',
      migrations: 1,
      timeToBalanceS: 3,
      totalMigrationS: 0.9,
      downtimeMs: 0,
    });
    const never = balanceRunMetrics({ ...run, samples: run.samples.map((s) => ({ ...s, loadPercent: 90 })) });
    expect(never).to.not.have.property('timeToBalanceS');
  });

  it("summarizes each policy's runs and tests each against the study's with Mann-Whitney U", () => {
    const metrics = [
      ...[10, 11, 12, 13, 14].map((t, i) => ({
        runId: `s${i}`,
        policy: 'study',
        migrations: 1,
        timeToBalanceS: t,
        totalMigrationS: 5,
        downtimeMs: 100,
      })),
      ...[20, 21, 22, 23, 24].map((t, i) => ({
        runId: `r${i}`,
        policy: 'random',
        migrations: 2,
        timeToBalanceS: t,
        totalMigrationS: 9,
        downtimeMs: 200,
      })),
    ];
    const rows = comparePolicies(metrics);
    const ttb = rows.filter((r) => r.metric === 'timeToBalanceS');
    expect(ttb.map((r) => r.policy)).to.deep.equal(['study', 'random']);
    expect(ttb[0]?.summary.mean).to.equal(12);
    expect(ttb[0]).to.not.have.property('pVsStudy');
    expect(ttb[1]?.pVsStudy).to.be.closeTo(2 / 252, 1e-12);
  });
});
