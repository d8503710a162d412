import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { validateTrialRecord } from '@virtmig/analysis';
import { abortableSleep, ResultsDb, runExperiment, SimulatedGuestProvider, validateSpec } from '@virtmig/bench';
import { connectFake, FakeNetwork } from '@virtmig/testing';
import { HostCpuSampler } from '@virtmig/workloads';
import { expect } from 'chai';
import { EXIT } from '../src/index.js';

const run = promisify(execFile);
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');

async function virtmig(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A results database with migrating trials of three workloads, made by the runner on fake hosts. */
async function fakeResults(path: string): Promise<void> {
  const network = new FakeNetwork({ bandwidthBps: 2e9, progressIntervalMs: 5 });
  const host = new HostCpuSampler();
  const spec = validateSpec({
    name: 'cli-fake',
    driver: 'fake',
    hosts: [{ source: 'fake:///a', destination: 'fake:///b' }],
    guest: { image: 'none' },
    workloads: ['dhrystone', 'linpack', 'livermore'],
    matrix: { ramMiB: [128, 256], vcpus: [1], capPercent: [50, 100], hostCores: [2], trials: 2 },
    migration: { enabled: true },
    sampling: { intervalMs: 10 },
    durations: { warmupMs: 0, measureMs: 30 },
  });
  const db = ResultsDb.open(path);
  await runExperiment({
    db,
    spec,
    env: {
      connect: (uri) => connectFake(uri, { network }),
      hostPairs: async (s) => (typeof s.hosts === 'string' ? [] : [...s.hosts]),
      guests: async () => new SimulatedGuestProvider(),
      readHostCpu: () => host.read(),
      now: () => performance.now(),
      sleep: abortableSleep,
    },
  });
  for (const [i, r] of db.records().entries()) validateTrialRecord(r, `records[${i}]`);
  db.close();
}

describe('virtmig run, report, recommend', function () {
  this.timeout(60_000);
  let dir: string;
  let resultsDb: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-bench-'));
    resultsDb = join(dir, 'fake.db');
    await fakeResults(resultsDb);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('run executes a spec on libvirt test hosts and prints the summary as JSON', async () => {
    const spec = join(dir, 'test.yaml');
    await writeFile(
      spec,
      [
        'name: cli-test',
        'driver: test',
        'hosts: [{source: "test:///default", destination: "test:///default"}]',
        'guest: {image: none}',
        'workloads: [dhrystone]',
        'matrix: {ramMiB: [64], vcpus: [1], capPercent: [0], hostCores: [1], trials: 2}',
        'sampling: {intervalMs: 10}',
        'durations: {warmupMs: 0, measureMs: 20}',
      ].join('\n'),
    );
    const db = join(dir, 'run.db');
    const r = await virtmig('run', spec, '--db', db, '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    expect(JSON.parse(r.stdout)).to.include({
      experiment: 'cli-test',
      total: 2,
      done: 2,
      failed: 0,
      interrupted: false,
    });
    const again = await virtmig('run', spec, '--db', db, '--resume', '--json');
    expect(JSON.parse(again.stdout)).to.include({ done: 2, ranNow: 0, resumed: true });
  });

  it('run refuses a bad spec with exit 2, naming the field path, and creates no database', async () => {
    const spec = join(dir, 'bad.json');
    await writeFile(
      spec,
      JSON.stringify({
        name: 'b',
        hosts: 'lab',
        workloads: ['dhrystone'],
        matrix: { ramMiB: [128], vcpus: [0], capPercent: [50], trials: 1 },
      }),
    );
    const db = join(dir, 'bad.db');
    const r = await virtmig('run', spec, '--db', db);
    expect(r.code).to.equal(EXIT.USAGE);
    expect(r.stderr).to.equal('virtmig: matrix.vcpus[0]: must be >= 1\n');
    expect(existsSync(db)).to.equal(false);
    expect((await virtmig('run')).code).to.equal(EXIT.USAGE);
    expect((await virtmig('run', '--preset', 'nope')).stderr).to.contain('unknown preset "nope"');
  });

  it('report prints the study tables as Markdown and writes the HTML report, CSV tables and SVG figures', async () => {
    const md = await virtmig('report', resultsDb);
    expect(md.code, md.stderr).to.equal(EXIT.OK);
    expect(md.stdout).to.contain('| Cap (%) |');
    const out = join(dir, 'rep', 'report.html');
    const r = await virtmig('report', resultsDb, '--out', out, '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    const j = JSON.parse(r.stdout);
    expect(j.trials).to.equal(24);
    expect(j.files.html).to.equal(out);
    const html = await readFile(out, 'utf8');
    expect(html).to.match(/^<!DOCTYPE html>/);
    expect((html.match(/<svg/g) ?? []).length).to.be.at.least(3);
    expect(html).to.contain('Recommendation');
    const files = (await readdir(join(dir, 'rep', 'report-files'))).sort();
    expect(files.filter((f) => f.endsWith('.csv'))).to.have.length(j.tables.length);
    expect(files).to.include.members(['figure-cpu-vs-cap.svg', 'figure-migration.svg']);
    expect((await virtmig('report', join(dir, 'missing.db'))).code).to.equal(EXIT.NOT_FOUND);
  });

  it('recommend says which VM to migrate and why, for each policy, and refuses bad flags with exit 2', async () => {
    const r = await virtmig('recommend', resultsDb, '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    const j = JSON.parse(r.stdout);
    expect(j.recommendation).to.include({ kind: 'migrate', policy: 'study', source: 'host-a', destination: 'host-b' });
    expect(j.recommendation.reason).to.contain('above the 65.0 % threshold');
    expect(j.others.map((o: { policy: string }) => o.policy)).to.deep.equal([
      'minimum-migration-time',
      'maximum-correlation',
      'random',
      'workload-balance',
    ]);
    const mmt = await virtmig('recommend', resultsDb, '--policy', 'mmt');
    expect(mmt.stdout).to.match(/^minimum-migration-time: migrate vm-\w+ from host-a to host-b\n {2}why: /);
    const high = JSON.parse((await virtmig('recommend', resultsDb, '--threshold', '100', '--json')).stdout);
    expect(high.thresholdPercent).to.equal(100);
    expect(high.recommendation.reason).to.contain('above the 100.0 % threshold');
    expect((await virtmig('recommend', resultsDb, '--policy', 'best')).code).to.equal(EXIT.USAGE);
    expect((await virtmig('recommend', resultsDb, '--threshold', '0')).code).to.equal(EXIT.USAGE);
  });

  it('has --help for run, report and recommend with the exit codes', async () => {
    for (const cmd of ['run', 'report', 'recommend']) {
      const r = await virtmig(cmd, '--help');
      expect(r.code).to.equal(EXIT.OK);
      expect(r.stdout).to.contain(`Usage: virtmig ${cmd}`);
      expect(r.stdout).to.contain('Exit codes: 0 ok');
    }
  });
});
