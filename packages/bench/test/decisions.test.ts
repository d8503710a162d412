import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type DecisionInput, ResultsDb, SCHEMA_MIGRATIONS } from '../src/index.js';
import { openSqlite } from '../src/sqlite.js';

function decision(seq: number, extra: Partial<DecisionInput> = {}): DecisionInput {
  return {
    balanceRunId: 'run-1',
    seq,
    at: '2026-12-02T15:00:00.000Z',
    atMs: 1000 * seq,
    policy: 'study',
    thresholdPercent: 65,
    kind: 'migrate',
    dryRun: false,
    source: 'a',
    vm: 'vm1',
    destination: 'b',
    reason: 'a is at 80.0 %',
    cluster: { hosts: [{ name: 'a', cores: 2, vms: [{ name: 'vm1', ramMiB: 64, cpuPercent: 80 }] }] },
    candidates: [{ vm: 'vm1', prediction: { kind: 'converges', totalTimeMs: 2000 } }],
    receivers: ['b'],
    unavailable: [],
    ...extra,
  };
}

describe('results database: decisions of the balancing loop', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-decisions-'));
    path = join(dir, 'results.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a decision as taken, then its measured outcome, and reads both back after reopening', () => {
    const db = ResultsDb.open(path);
    db.recordDecision(decision(1));
    db.recordDecision(
      decision(2, { kind: 'no-migration', vm: undefined, destination: undefined, reason: 'no host can receive' }),
    );
    expect(db.decisions()[0]).to.not.have.property('outcome');
    db.recordDecisionOutcome('run-1', 1, { ok: true, totalTimeMs: 2100, downtimeMs: 40, heartbeatGapMs: 300 });
    db.close();
    const again = ResultsDb.open(path, { readonly: true });
    const [first, second] = again.decisions('run-1');
    again.close();
    expect(first).to.deep.include({ seq: 1, kind: 'migrate', vm: 'vm1', outcome: 'migrated', totalTimeMs: 2100 });
    expect(first).to.deep.include({ downtimeMs: 40, heartbeatGapMs: 300 });
    expect(first?.candidates).to.deep.equal(decision(1).candidates);
    expect(first?.cluster).to.deep.equal(decision(1).cluster);
    expect(second).to.deep.include({ seq: 2, kind: 'no-migration', reason: 'no host can receive' });
    expect(second).to.not.have.property('vm');
  });

  it('stores the host samples of a balancing run and reads them back in time order', () => {
    const db = ResultsDb.open(path);
    db.recordBalanceSamples([
      { balanceRunId: 'run-1', atMs: 2000, host: 'a', loadPercent: 80, overSamples: 2 },
      { balanceRunId: 'run-1', atMs: 2000, host: 'b', loadPercent: 5, overSamples: 0 },
    ]);
    db.recordBalanceSamples([{ balanceRunId: 'run-1', atMs: 1000, host: 'a', loadPercent: 79, overSamples: 1 }]);
    expect(db.balanceSamples('run-1').map((s) => [s.atMs, s.host, s.loadPercent])).to.deep.equal([
      [1000, 'a', 79],
      [2000, 'a', 80],
      [2000, 'b', 5],
    ]);
    expect(db.balanceSamples('other')).to.deep.equal([]);
    db.close();
  });

  it('records a failed migration with its error on one line', () => {
    const db = ResultsDb.open(path);
    db.recordDecision(decision(1));
    db.recordDecisionOutcome('run-1', 1, { ok: false, error: 'E_MIGRATION_FAILED: link down\nstack' });
    expect(db.decisions()[0]).to.deep.include({ outcome: 'failed', error: 'E_MIGRATION_FAILED: link down' });
    db.close();
  });

  it('refuses a migrate decision without a VM, a seq stored twice and an outcome for no decision, with E_INVALID_ARGUMENT', () => {
    const db = ResultsDb.open(path);
    db.recordDecision(decision(1));
    for (const f of [
      () => db.recordDecision(decision(2, { vm: undefined })),
      () => db.recordDecision(decision(1)),
      () => db.recordDecisionOutcome('run-1', 9, { ok: true, totalTimeMs: 1 }),
    ]) {
      expect(f).to.throw().with.property('code', 'E_INVALID_ARGUMENT');
    }
    expect(db.decisions()).to.have.length(1);
    db.close();
  });

  it('upgrades a database of schema version 1 on open, keeping its runs, and can then store decisions', () => {
    const raw = openSqlite(path);
    raw.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    raw.exec(SCHEMA_MIGRATIONS[0]?.sql ?? '');
    raw.prepare('INSERT INTO schema_migrations VALUES (1, ?, ?)').run('v1', '2026-01-01T00:00:00Z');
    raw.close();
    const db = ResultsDb.open(path);
    expect(db.schemaVersion()).to.equal(SCHEMA_MIGRATIONS.at(-1)?.version);
    db.recordDecision(decision(1));
    expect(db.decisions()).to.have.length(1);
    db.close();
  });
});
