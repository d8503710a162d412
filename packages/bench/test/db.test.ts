import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, StateError } from '@virtmig/core';
import { expect } from 'chai';
import {
  expandMatrix,
  ResultsDb,
  SCHEMA_MIGRATIONS,
  SCHEMA_VERSION,
  type TrialOutcome,
  withRoundRates,
} from '../src/index.js';
import { openSqlite } from '../src/sqlite.js';
import { fakeSpec } from './helpers.js';

function outcome(workload = 'dhrystone', samples = 3): TrialOutcome {
  return {
    record: {
      experimentId: 'unit',
      workload,
      ramMiB: 128,
      vcpus: 1,
      capPercent: 50,
      hostCores: 2,
      trial: 0,
      cpuSamples: Array.from({ length: samples }, (_, i) => ({
        tMs: i * 10,
        domainPercentOfHost: 25,
        domainPercentOfCpu: 50,
        hostPercent: 30,
      })),
      workloadScore: 1234.5,
      workloadScoreUnit: 'DMIPS',
      migration: {
        domain: 'd',
        sourceUri: 'fake:///a',
        destinationUri: 'fake:///b',
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:00:01.000Z',
        totalTimeMs: 1000,
        downtimeMs: 40,
        downtimeSource: 'hypervisor',
        postCopy: false,
        stages: { precopyRounds: [{ startMs: 0, endMs: 900 }] },
        raw: { big: 12345678901234567890n },
      },
    },
    timeline: [
      { tMs: 0, transferredBytes: 0, remainingBytes: 100, dirtyRateBps: 0, iteration: 1, hostCpuPercent: 10 },
      { tMs: 50, transferredBytes: 100, remainingBytes: 0, dirtyRateBps: 0, iteration: 1, hostCpuPercent: 12 },
    ],
    heartbeatGapMs: 250,
  };
}

describe('results database (a real SQLite file)', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-db-'));
    path = join(dir, 'results.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the file in WAL mode with the current schema version recorded once', () => {
    const db = ResultsDb.open(path);
    expect(db.schemaVersion()).to.equal(SCHEMA_VERSION);
    db.close();
    const again = ResultsDb.open(path);
    again.close();
    const raw = openSqlite(path);
    expect(raw.pragma('journal_mode', { simple: true })).to.equal('wal');
    expect(raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).to.deep.equal(
      SCHEMA_MIGRATIONS.map((m) => ({ version: m.version })),
    );
    const tables = (
      raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    expect(tables).to.deep.equal([
      'balance_samples',
      'cpu_samples',
      'decisions',
      'environment_hosts',
      'environments',
      'migration_results',
      'migration_rounds',
      'run_lock',
      'runs',
      'schema_migrations',
      'timeline_samples',
      'trials',
    ]);
    raw.close();
  });

  it('refuses a database from a newer virtmig and a file that is not a database, changing neither', async () => {
    ResultsDb.open(path).close();
    const raw = openSqlite(path);
    raw.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 'x')").run();
    raw.close();
    expect(() => ResultsDb.open(path)).to.throw(InvalidArgumentError, /schema version 99, newer/);
    const junk = join(dir, 'junk.db');
    await writeFile(junk, 'this is not sqlite, just some text that is long enough to be a header of a file');
    expect(() => ResultsDb.open(junk)).to.throw(/not a SQLite database/);
  });

  it('stores a finished trial and reads it back as a trial record with its timeline', () => {
    const db = ResultsDb.open(path);
    const spec = fakeSpec();
    const plans = expandMatrix(spec);
    const runId = db.createRun(spec, plans);
    expect(db.trials(runId).map((t) => t.status)).to.deep.equal(plans.map(() => 'pending'));
    const id = plans[0]?.id as string;
    db.markRunning(runId, id, 'vm-0');
    db.completeTrial(runId, id, outcome());
    const [rec] = db.records(runId);
    expect(rec?.cpuSamples).to.have.length(3);
    expect(rec?.workloadScore).to.equal(1234.5);
    expect(rec?.migration?.totalTimeMs).to.equal(1000);
    expect(rec?.migration?.raw.big).to.equal('12345678901234567890');
    expect(db.timelines(runId)).to.deep.equal([
      { experimentId: 'unit', workload: 'dhrystone', trial: 0, samples: outcome().timeline },
    ]);
    expect(() => db.markRunning(runId, id, 'vm-0')).to.throw(StateError, /done/);
    db.close();
  });

  it('stores the migration’s pre-copy rounds and reads them back with the timeline', () => {
    const db = ResultsDb.open(path);
    const spec = fakeSpec();
    const plans = expandMatrix(spec);
    const runId = db.createRun(spec, plans);
    const id = plans[0]?.id as string;
    db.markRunning(runId, id, 'vm-0');
    const base = outcome();
    const rounds = [
      {
        iteration: 1,
        startMs: 0,
        endMs: 600,
        transferredBytes: 100,
        remainingBytes: 30,
        dirtiedBytes: 30,
        dirtyRateBps: 50,
      },
      { iteration: 2, startMs: 600, endMs: 900, transferredBytes: 30, remainingBytes: 5 },
    ];
    const migration = { ...(base.record.migration as NonNullable<TrialOutcome['record']['migration']>), rounds };
    db.completeTrial(runId, id, { ...base, record: { ...base.record, migration } });
    expect(db.timelines(runId)[0]?.rounds).to.deep.equal(rounds);
    expect(db.records(runId)[0]?.migration?.rounds).to.deep.equal(rounds);
    db.close();
  });

  it('upgrades a version-1 database to the current schema on open, keeping its trials', () => {
    const raw = openSqlite(path);
    raw.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const v1 = SCHEMA_MIGRATIONS[0] as (typeof SCHEMA_MIGRATIONS)[number];
    raw.exec(v1.sql);
    raw.prepare("INSERT INTO schema_migrations VALUES (1, ?, 'x')").run(v1.name);
    raw.close();
    const db = ResultsDb.open(path);
    expect(db.schemaVersion()).to.equal(SCHEMA_VERSION);
    const spec = fakeSpec();
    const plans = expandMatrix(spec);
    const runId = db.createRun(spec, plans);
    const id = plans[0]?.id as string;
    db.markRunning(runId, id, 'vm-0');
    db.completeTrial(runId, id, outcome());
    expect(db.timelines(runId)).to.have.length(1);
    db.close();
  });

  it('writes nothing of a trial whose transaction fails half-way', () => {
    const db = ResultsDb.open(path);
    const spec = fakeSpec();
    const plans = expandMatrix(spec);
    const runId = db.createRun(spec, plans);
    const id = plans[0]?.id as string;
    db.markRunning(runId, id, 'vm-0');
    const bad = outcome();
    // The last timeline sample violates NOT NULL after the samples and migration rows were inserted.
    const broken = { ...bad, timeline: [...(bad.timeline ?? []), { tMs: null } as never] };
    expect(() => db.completeTrial(runId, id, broken)).to.throw(/NOT NULL/);
    const raw = openSqlite(path);
    expect(raw.prepare('SELECT COUNT(*) AS n FROM cpu_samples').get()).to.deep.equal({ n: 0 });
    expect(raw.prepare('SELECT COUNT(*) AS n FROM migration_results').get()).to.deep.equal({ n: 0 });
    expect(raw.prepare('SELECT status FROM trials WHERE trial_id = ?').get(id)).to.deep.equal({ status: 'running' });
    raw.close();
    db.close();
  });

  it('keeps the WAL next to the database while open and folds it in on close', () => {
    const db = ResultsDb.open(path);
    db.createRun(fakeSpec(), expandMatrix(fakeSpec()));
    expect(existsSync(`${path}-wal`)).to.equal(true);
    db.close();
    expect(existsSync(`${path}-wal`)).to.equal(false);
  });
});

describe('withRoundRates', () => {
  it('gives each timeline sample the dirty rate of the pre-copy round it falls in, keeping the driver’s value elsewhere', () => {
    const s = (tMs: number) => ({
      tMs,
      transferredBytes: 0,
      remainingBytes: 0,
      dirtyRateBps: 0,
      iteration: 1,
      hostCpuPercent: 0,
    });
    const out = withRoundRates(
      [s(10), s(700), s(950)],
      [
        { iteration: 1, startMs: 0, endMs: 600, transferredBytes: 1, remainingBytes: 1, dirtyRateBps: 50 },
        { iteration: 2, startMs: 600, endMs: 900, transferredBytes: 1, remainingBytes: 1, dirtyRateBps: 70 },
      ],
    );
    expect(out.map((x) => x.dirtyRateBps)).to.deep.equal([50, 70, 0]);
  });
});
