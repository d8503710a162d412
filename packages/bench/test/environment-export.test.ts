import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError, StateError } from '@virtmig/core';
import { expect } from 'chai';
import {
  acceleratorOf,
  ResultsDb,
  repoPath,
  runExperiment,
  SCHEMA_MIGRATIONS,
  TIDY_TABLES,
  type TidyTable,
} from '../src/index.js';
import { openSqlite } from '../src/sqlite.js';
import { fakeEnv, fakeSpec, fastNetwork } from './helpers.js';

const column = (t: TidyTable, name: string) => t.rows.map((r) => r[t.columns.findIndex((c) => c.name === name)]);

describe('environment capture, tidy tables and the run lock', function () {
  this.timeout(30_000);
  let dir: string;
  let db: ResultsDb;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-env-'));
    db = ResultsDb.open(join(dir, 'r.db'));
  });
  afterEach(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("records each host's versions, CPU, memory and accelerator, and virtmig's version and commit, on the run and every trial", async () => {
    const spec = fakeSpec({
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 2 },
    });
    const summary = await runExperiment({ db, spec, env: fakeEnv(fastNetwork()) });
    expect(summary.simulated).to.equal(true);
    expect(summary.environmentId).to.match(/^env-[0-9a-f]{16}$/);
    const run = db.run(summary.runId);
    expect(run).to.include({ simulated: true, environmentId: summary.environmentId });
    const [stored, ...more] = db.environments(summary.runId);
    expect(more).to.deep.equal([]);
    const e = stored?.environment;
    expect(e?.simulated).to.equal(true);
    expect(e?.linkShaping).to.equal('unknown');
    expect(e?.hosts.map((h) => `${h.pair}/${h.role} ${h.uri}`)).to.deep.equal([
      '0/source fake:///a',
      '0/destination fake:///b',
    ]);
    expect(e?.hosts[0]).to.include({
      hypervisorType: 'Fake',
      hypervisorVersion: '1.0.0',
      libvirtVersion: '9.0.0',
      cpuModel: 'Fake x86_64 CPU',
      cpus: 4,
      memoryKiB: 16_384 * 1024,
      accelerator: 'simulated',
      kernel: null,
    });
    const pkg = JSON.parse(readFileSync(repoPath('packages/bench/package.json'), 'utf8')) as { version: string };
    expect(e?.virtmigVersion).to.equal(pkg.version);
    const head = execFileSync('git', ['-C', repoPath(''), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(e?.virtmigCommit?.replace(/-dirty$/, '')).to.equal(head);
    expect(column(db.tidy('trials'), 'environment_id')).to.deep.equal([summary.environmentId, summary.environmentId]);
    // The same environment again is the same row, not a second one.
    const again = await runExperiment({ db, spec, env: fakeEnv(fastNetwork()) });
    expect(again.environmentId).to.equal(summary.environmentId);
  });

  it('names the accelerator: TCG or KVM for QEMU as the connection chose or the host offers, xen, simulated', () => {
    const kvmCaps =
      "<capabilities><guest><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>";
    const tcgCaps = "<capabilities><guest><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>";
    expect(acceleratorOf('qemu', 'QEMU', kvmCaps, { domainType: 'qemu' })).to.equal('tcg');
    expect(acceleratorOf('qemu', 'QEMU', tcgCaps, { domainType: 'kvm' })).to.equal('kvm');
    expect(acceleratorOf('qemu', 'QEMU', kvmCaps)).to.equal('kvm');
    expect(acceleratorOf('qemu', 'QEMU', tcgCaps)).to.equal('tcg');
    expect(acceleratorOf('xen', 'Xen', '')).to.equal('xen');
    expect(acceleratorOf('test', 'Test', '')).to.equal('simulated');
    expect(acceleratorOf('fake', 'Fake', '')).to.equal('simulated');
  });

  it('upgrades a version-1 database in place: its runs stay, not simulated, with no environment', () => {
    const path = join(dir, 'old.db');
    const raw = openSqlite(path);
    const [v1] = SCHEMA_MIGRATIONS;
    raw.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    raw.exec(v1?.sql ?? '');
    raw.prepare("INSERT INTO schema_migrations VALUES (1, 'v1', 'x')").run();
    raw
      .prepare(
        "INSERT INTO runs VALUES ('old', 'e', ?, 'h', 'finished', 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', NULL)",
      )
      .run(JSON.stringify(fakeSpec()));
    raw.close();
    const upgraded = ResultsDb.open(path);
    try {
      expect(upgraded.run('old')).to.include({ simulated: false, environmentId: null, status: 'finished' });
    } finally {
      upgraded.close();
    }
  });

  it('exports one row per observation with run and environment ids on every row, and leaves out trials that did not run', async () => {
    const spec = fakeSpec({
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50, 100], trials: 1 },
      migration: { enabled: true, cells: { capPercent: [100] } },
    });
    const ac = new AbortController();
    const summary = await runExperiment({
      db,
      spec,
      env: fakeEnv(fastNetwork()),
      signal: ac.signal,
      // Stop after the first trial: the second stays pending and must not appear.
      onProgress: (ev) => ev.kind === 'trial-end' && ac.abort(),
    });
    expect(summary.done).to.equal(1);
    const trials = db.tidy('trials');
    expect(trials.rows).to.have.length(1);
    for (const name of TIDY_TABLES.filter((t) => t !== 'decisions')) {
      const t = db.tidy(name);
      expect(
        t.columns.slice(0, 2).map((c) => c.name),
        name,
      ).to.deep.equal(['run_id', 'environment_id']);
      for (const r of t.rows) expect(r.slice(0, 2), name).to.deep.equal([summary.runId, summary.environmentId]);
    }
    expect(db.tidy('samples').rows).to.have.length(3);
    expect(db.tidy('environments').rows).to.have.length(2);
    expect(column(trials, 'cap_percent')).to.deep.equal([50]);
    expect(column(trials, 'simulated')).to.deep.equal([true]);
    expect(column(trials, 'migrate')).to.deep.equal([false]);
    expect(db.tidy('migrations').rows).to.deep.equal([]);
    expect(db.tidy('migrations').columns.map((c) => c.name)).to.include.members([
      'total_time_ms',
      'downtime_ms',
      'dirty_rate_bytes_per_s',
      'memory_bandwidth_bytes_per_s',
      'ram_mib',
    ]);
  });

  it('refuses to export decisions from a database without that table, and exports them with environment ids when it has one', async () => {
    expect(() => db.tidy('decisions')).to.throw(NotFoundError, /no decisions table/);
    const summary = await runExperiment({
      db,
      spec: fakeSpec({ workloads: ['dhrystone'], matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 } }),
      env: fakeEnv(fastNetwork()),
    });
    const raw = openSqlite(db.path);
    raw.exec('CREATE TABLE decisions (run_id TEXT, step INTEGER, vm TEXT, predicted_ms REAL)');
    raw.prepare("INSERT INTO decisions VALUES (?, 0, 'vm1', 12.5)").run(summary.runId);
    raw.close();
    const t = db.tidy('decisions');
    expect(t.columns).to.deep.equal([
      { name: 'run_id', type: 'text' },
      { name: 'environment_id', type: 'text' },
      { name: 'step', type: 'integer' },
      { name: 'vm', type: 'text' },
      { name: 'predicted_ms', type: 'real' },
    ]);
    expect(t.rows).to.deep.equal([[summary.runId, summary.environmentId, 0, 'vm1', 12.5]]);
  });

  it("refuses a second runner while this process holds the lock, naming its pid, and takes over a dead process's lock", async () => {
    db.acquireRunLock();
    const second = ResultsDb.open(db.path);
    try {
      expect(() => second.acquireRunLock()).to.throw(StateError, new RegExp(`being run by process ${process.pid}\\b`));
      const spec = fakeSpec();
      let thrown: unknown;
      await runExperiment({ db: second, spec, env: fakeEnv(fastNetwork()) }).catch((e: unknown) => {
        thrown = e;
      });
      expect(thrown).to.be.instanceOf(StateError);
      expect(second.runs(), 'a refused run creates no run').to.deep.equal([]);
      db.releaseRunLock();
      // A process that has exited: its pid is free (or taken by a process started later).
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
        encoding: 'utf8',
      });
      const raw = openSqlite(db.path);
      raw
        .prepare('INSERT INTO run_lock VALUES (1, ?, ?, NULL, ?, ?)')
        .run(Number(dead.stdout), hostname(), '1', '2026-01-01T00:00:00Z');
      raw.close();
      expect(second.acquireRunLock().takenOverFrom?.pid).to.equal(Number(dead.stdout));
      second.releaseRunLock();
    } finally {
      second.close();
    }
  });
});
