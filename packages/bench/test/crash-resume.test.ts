import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { openSqlite } from '../src/sqlite.js';
import { fakeSpecInput } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/run-child.js', import.meta.url));

function start(spec: string, db: string): { child: ChildProcess; exited: Promise<number | string> } {
  const child = spawn(process.execPath, [CHILD, spec, db], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? (code as number))),
  );
  return { child, exited };
}

interface TrialState {
  trialId: string;
  status: string;
  attempts: number;
  samples: number;
  migrations: number;
  timeline: number;
}

function snapshot(db: string): TrialState[] {
  // A kill before the child created its database is a crash point too: nothing was stored.
  if (!existsSync(db)) return [];
  const raw = openSqlite(db, { readonly: true });
  try {
    // So is a kill after the file was created and before the schema's first step committed.
    if (!raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'trials'").get()) return [];
    return raw
      .prepare(
        `SELECT t.trial_id AS trialId, t.status, t.attempts,
           (SELECT COUNT(*) FROM cpu_samples c WHERE c.run_id = t.run_id AND c.trial_id = t.trial_id) AS samples,
           (SELECT COUNT(*) FROM migration_results m WHERE m.run_id = t.run_id AND m.trial_id = t.trial_id) AS migrations,
           (SELECT COUNT(*) FROM timeline_samples s WHERE s.run_id = t.run_id AND s.trial_id = t.trial_id) AS timeline
         FROM trials t ORDER BY t.seq`,
      )
      .all() as TrialState[];
  } finally {
    raw.close();
  }
}

/** Every trial is complete (samples and migration) or has no data at all; at most one runs. */
function expectConsistent(states: readonly TrialState[], samplesPerTrial: number): void {
  for (const s of states) {
    if (s.status === 'done') {
      expect(s.samples, s.trialId).to.equal(samplesPerTrial);
      expect(s.migrations, s.trialId).to.equal(1);
      expect(s.timeline, s.trialId).to.be.greaterThan(0);
    } else {
      expect([s.samples, s.migrations, s.timeline], s.trialId).to.deep.equal([0, 0, 0]);
    }
  }
  expect(states.filter((s) => s.status === 'running').length).to.be.at.most(1);
}

describe('crash and resume (child process, SIGKILL at a random point)', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-crash-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends with the same trials as an uninterrupted run, each exactly once, and no partial rows at any kill', async () => {
    const spec = join(dir, 'spec.json');
    await writeFile(
      spec,
      JSON.stringify(
        fakeSpecInput({
          matrix: { ramMiB: [128, 256], vcpus: [1, 2], capPercent: [50, 100], hostCores: [2], trials: 2 },
        }),
      ),
    );
    const samplesPerTrial = 3;

    const cleanDb = join(dir, 'clean.db');
    const t0 = performance.now();
    expect(await start(spec, cleanDb).exited).to.equal(0);
    const cleanMs = performance.now() - t0;
    const clean = snapshot(cleanDb);
    expect(clean).to.have.length(2 * 2 * 2 * 2 * 2);
    expectConsistent(clean, samplesPerTrial);
    expect(clean.every((s) => s.status === 'done' && s.attempts === 1)).to.equal(true);

    const crashDb = join(dir, 'crash.db');
    const kills: number[] = [];
    let interruptedMidTrial = 0;
    for (let round = 0; round < 6; round++) {
      const { child, exited } = start(spec, crashDb);
      const delay = Math.round(cleanMs * (0.15 + Math.random() * 0.45));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      const how = await exited;
      kills.push(delay);
      if (how !== 'SIGKILL') break;
      const states = snapshot(crashDb);
      expectConsistent(states, samplesPerTrial);
      if (states.some((s) => s.status === 'running')) interruptedMidTrial++;
    }
    expect(await start(spec, crashDb).exited).to.equal(0);
    const resumed = snapshot(crashDb);
    expectConsistent(resumed, samplesPerTrial);

    const shape = (s: readonly TrialState[]) =>
      s.map(({ trialId, status, samples, migrations }) => ({ trialId, status, samples, migrations }));
    expect(shape(resumed), `kills after ${kills.join(', ')} ms`).to.deep.equal(shape(clean));
    expect(interruptedMidTrial, `kills after ${kills.join(', ')} ms`).to.be.greaterThan(0);
    // Only a trial caught mid-way by a kill ran twice.
    expect(resumed.reduce((n, s) => n + s.attempts, 0)).to.be.at.most(resumed.length + kills.length);
    const runs = openSqlite(crashDb, { readonly: true });
    expect(runs.prepare('SELECT COUNT(*) AS n, MIN(status) AS status FROM runs').get()).to.deep.equal({
      n: 1,
      status: 'finished',
    });
    runs.close();
  });
});
