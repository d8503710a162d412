// Simulated runs from the CLI and exclusive runs, with real processes and no lab: `virtmig run`
// on a `driver: fake` spec writes a database flagged simulated and a report that says so, and a
// second `virtmig run` on a database a live runner holds is refused with that runner's pid.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ResultsDb } from '@virtmig/bench';
import { expect } from 'chai';
import { repoRoot } from '../../scripts/lab/harness.mjs';

const run = promisify(execFile);
const bin = join(repoRoot, 'packages/cli/dist/src/bin.js');

async function virtmig(...args) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 180_000, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function fakeSpec(name, measureMs) {
  return [
    `name: ${name}`,
    'driver: fake',
    'hosts: [{source: "fake:///a", destination: "fake:///b"}]',
    'guest: {image: none}',
    'workloads: [dhrystone]',
    'matrix: {ramMiB: [64], vcpus: [1], capPercent: [50, 100], hostCores: [2], trials: 1}',
    'migration: {enabled: true}',
    'sampling: {intervalMs: 50}',
    `durations: {warmupMs: 0, measureMs: ${measureMs}}`,
    '',
  ].join('\n');
}

/** Waits until `test` holds, polling every 100 ms. */
async function until(test, ms, what) {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('virtmig run without a lab: simulated runs, one runner per database', function () {
  this.timeout(300_000);
  let dir;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtmig-simulated-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a driver: fake spec with no lab into a database flagged simulated and a report with the simulated banner', async () => {
    const spec = join(dir, 'fake.yaml');
    await writeFile(spec, fakeSpec('sim-dry-run', 150));
    const db = join(dir, 'sim.db');
    const r = await virtmig('run', spec, '--db', db, '--json');
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).to.include({ done: 2, total: 2, failed: 0, simulated: true });
    const rdb = ResultsDb.open(db, { readonly: true });
    try {
      const [stored] = rdb.runs();
      expect(stored).to.include({ simulated: true, status: 'finished', environmentId: summary.environmentId });
      const [env] = rdb.environments();
      expect(env.environment.simulated).to.equal(true);
      expect(env.environment.hosts.map((h) => h.accelerator)).to.deep.equal(['simulated', 'simulated']);
      expect(rdb.records()[0].migration.totalTimeMs).to.be.greaterThan(0);
    } finally {
      rdb.close();
    }
    const html = join(dir, 'report.html');
    const rep = await virtmig('report', db, '--out', html);
    expect(rep.code, rep.stderr).to.equal(0);
    expect(rep.stdout).to.match(/^SIMULATED:/);
    const page = await readFile(html, 'utf8');
    expect(page).to.include('<p class="simulated" id="simulated">Simulated run');
    expect(page).to.match(/<h1>[^<]*\(simulated\)<\/h1>/);
    // The Method section lists the environment: hosts, versions, accelerator, virtmig's build.
    expect(page).to.include(`Environment ${summary.environmentId} (simulated)`);
    expect(page).to.match(
      /<td class="text">Fake 1\.0\.0<\/td><td class="text">9\.0\.0<\/td><td class="text">simulated<\/td>/,
    );
    expect(page).to.match(/virtmig 0\.1\.0, commit [0-9a-f]{40}/);
  });

  it("refuses a second run on a database a live runner holds, naming its pid, and takes over a killed runner's lock", async () => {
    const spec = join(dir, 'long.yaml');
    await writeFile(spec, fakeSpec('sim-long', 60_000));
    const db = join(dir, 'long.db');
    const first = spawn(process.execPath, [bin, 'run', spec, '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] });
    let firstErr = '';
    first.stderr.on('data', (d) => {
      firstErr += d;
    });
    const firstExit = new Promise((resolve) => first.on('exit', (code, signal) => resolve(signal ?? code)));
    try {
      // The lock is taken once the database exists and holds its run.
      await until(
        async () => {
          try {
            const rdb = ResultsDb.open(db, { readonly: true });
            try {
              return rdb.runs().length > 0;
            } finally {
              rdb.close();
            }
          } catch {
            return false;
          }
        },
        60_000,
        `the first runner to start (stderr: ${firstErr})`,
      );
      const second = await virtmig('run', spec, '--db', db);
      expect(second.code).to.equal(1);
      expect(second.stderr).to.match(new RegExp(`is being run by process ${first.pid}\\b`));
      const resumed = await virtmig('run', spec, '--db', db, '--resume');
      expect(resumed.code).to.equal(1);
      expect(resumed.stderr).to.include(`process ${first.pid}`);
      const rdb = ResultsDb.open(db, { readonly: true });
      try {
        expect(rdb.runs(), 'the refused runs created no run').to.have.length(1);
      } finally {
        rdb.close();
      }
    } finally {
      first.kill('SIGKILL');
    }
    expect(await firstExit).to.equal('SIGKILL');
    // Its lock row stays behind; the next runner checks the pid, finds it dead, and takes over.
    await writeFile(spec, fakeSpec('sim-long', 150));
    const third = await virtmig('run', join(dir, 'long.yaml'), '--db', db);
    expect(third.code, third.stderr).to.equal(0);
    expect(third.stderr).to.include(`taking over the run lock of process ${first.pid}`);
  });
});
