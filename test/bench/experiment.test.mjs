// The experiment end to end on the real lab: `virtmig run` of a one-trial spec with a live
// migration between the lab's two libvirt hosts, the results database it writes, and
// `virtmig report` rendering the HTML report, loaded in headless Chromium. It runs its own lab
// (prefix vmbenchit) and always takes it down again.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ResultsDb } from '@virtmig/bench';
import { expect } from 'chai';
import puppeteer from 'puppeteer-core';
import { lab, repoRoot, virsh } from '../../scripts/lab/harness.mjs';

const run = promisify(execFile);
const prefix = 'vmbenchit';
const env = { ...process.env, VIRTMIG_LAB_PREFIX: prefix };
const bin = join(repoRoot, 'packages/cli/dist/src/bin.js');

async function virtmig(...args) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env,
      timeout: 240_000,
      maxBuffer: 8 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('experiment on the real lab: run, results database, report', function () {
  this.timeout(300_000);
  let dir;
  let status;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtmig-bench-it-'));
    await lab(['--prefix', prefix, 'down']);
    status = JSON.parse(await lab(['--prefix', prefix, 'up', '--json']));
  });

  after(async () => {
    await lab(['--prefix', prefix, 'down']);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs one trial with a real live migration and stores it completely', async () => {
    const spec = join(dir, 'tiny.yaml');
    await writeFile(
      spec,
      [
        'name: lab-tiny',
        'hosts: lab',
        'workloads: [linpack]',
        'matrix: {ramMiB: [128], vcpus: [1], capPercent: [50], hostCores: [2], trials: 1}',
        'migration: {enabled: true}',
        'sampling: {intervalMs: 500}',
        'durations: {warmupMs: 500, measureMs: 3000}',
      ].join('\n'),
    );
    const db = join(dir, 'tiny.db');
    const r = await virtmig('run', spec, '--db', db, '--json');
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.include({ total: 1, done: 1, failed: 0 });

    const results = ResultsDb.open(db);
    try {
      const [rec] = results.records();
      expect(rec).to.include({ experimentId: 'lab-tiny', workload: 'linpack', ramMiB: 128, capPercent: 50 });
      expect(rec.cpuSamples).to.have.length(6);
      const cpu = rec.cpuSamples.reduce((s, x) => s + x.domainPercentOfCpu, 0) / rec.cpuSamples.length;
      // The cgroup cap holds the busy guest near 50 % of one CPU.
      expect(cpu).to.be.within(35, 55);
      expect(rec.workloadScoreUnit).to.equal('MFLOPS');
      expect(rec.workloadScore).to.be.greaterThan(0);
      const m = rec.migration;
      expect(m.sourceUri).to.equal(status.hosts[0].uri);
      expect(m.destinationUri).to.equal(status.hosts[1].uri);
      expect(m.totalTimeMs).to.be.within(300, 60_000);
      expect(m.downtimeMs).to.be.within(1, 10_000);
      expect(m.dataTransferredBytes).to.be.greaterThan(10 << 20);
      const [tl] = results.timelines();
      expect(tl.samples.length).to.be.greaterThan(3);
      const [trial] = results.trials(results.runs()[0].runId);
      expect(trial).to.include({ status: 'done', attempts: 1 });
    } finally {
      results.close();
    }
    // The guest was removed from both hosts.
    for (const h of status.hosts) expect((await virsh(h.uri, ['list', '--all', '--name'])).trim()).to.equal('');
  });

  it('virtmig report writes an HTML report that loads in Chromium without errors and shows its figures', async () => {
    const out = join(dir, 'report.html');
    const r = await virtmig('report', join(dir, 'tiny.db'), '--out', out);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`report: ${out}`);
    const browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      const problems = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
      expect(problems).to.deep.equal([]);
      const svgs = await page.$$eval('svg', (all) => all.map((s) => s.getBoundingClientRect().width));
      expect(svgs.length).to.be.at.least(3);
      for (const w of svgs) expect(w).to.be.greaterThan(200);
      expect(await page.$eval('h1', (e) => e.textContent)).to.equal('virtmig report: lab-tiny');
    } finally {
      await browser.close();
    }
    expect((await readFile(out, 'utf8')).length).to.be.greaterThan(10_000);
  });
});
