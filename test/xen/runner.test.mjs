// The experiment runner on the Xen testbed: `virtmig run` of a one-trial spec with `hosts: xenlab`
// and `driver: xen` starts a PV domU running Dhrystone on xen-a (guest console followed over ssh),
// caps it with the credit scheduler, samples its CPU and live-migrates it to xen-b; the record in
// the results database carries the migration with downtime, and the guest is gone afterwards.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ResultsDb } from '@virtmig/bench';
import { expect } from 'chai';
import { ensureXenlab, hostOf, openBoth, repoRoot } from '../../scripts/xenlab/harness.mjs';

const run = promisify(execFile);

describe('xenlab: the experiment runner (virtmig run, hosts: xenlab)', function () {
  this.timeout(900_000);
  let dir;
  let status;

  before(async () => {
    status = await ensureXenlab();
    dir = await mkdtemp(join(tmpdir(), 'virtmig-xen-run-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs one trial: capped Dhrystone domU on xen-a migrated to xen-b, a complete record, nothing left behind', async () => {
    const spec = join(dir, 'xen-tiny.yaml');
    await writeFile(
      spec,
      [
        'name: xen-tiny',
        'driver: xen',
        'hosts: xenlab',
        'workloads: [{name: dhrystone, seconds: 5}]',
        'matrix: {ramMiB: [128], vcpus: [1], capPercent: [50], hostCores: [1], trials: 1}',
        'migration: {enabled: true}',
        'sampling: {intervalMs: 1000}',
        'durations: {warmupMs: 2000, measureMs: 6000}',
        'guest: {bootTimeoutMs: 300000}',
      ].join('\n'),
    );
    const db = join(dir, 'xen-tiny.db');
    let out;
    try {
      out = await run(
        process.execPath,
        [`${repoRoot}packages/cli/dist/src/bin.js`, 'run', spec, '--db', db, '--json'],
        {
          timeout: 840_000,
          maxBuffer: 8 << 20,
        },
      );
    } catch (e) {
      throw new Error(`virtmig run exited ${e.code}: ${e.stderr}`);
    }
    expect(JSON.parse(out.stdout)).to.include({ total: 1, done: 1, failed: 0 });

    const results = ResultsDb.open(db);
    try {
      const [rec] = results.records();
      expect(rec).to.include({ experimentId: 'xen-tiny', workload: 'dhrystone', ramMiB: 128, capPercent: 50 });
      expect(rec.cpuSamples.length).to.be.at.least(5);
      const cpu = rec.cpuSamples.reduce((s, x) => s + x.domainPercentOfCpu, 0) / rec.cpuSamples.length;
      // The credit cap holds the busy domU near 50 % of the host's one pCPU.
      expect(cpu).to.be.within(25, 62);
      expect(rec.workloadScoreUnit).to.equal('DMIPS');
      expect(rec.workloadScore).to.be.greaterThan(0);
      const m = rec.migration;
      expect(m.sourceUri).to.equal(hostOf(status, 'xen-a').uri);
      expect(m.destinationUri).to.equal(hostOf(status, 'xen-b').uri);
      expect(m.totalTimeMs).to.be.within(1000, 600_000);
      expect(m.downtimeMs).to.be.within(1, m.totalTimeMs);
      expect(['heartbeat', 'events']).to.include(m.downtimeSource);
      console.log(
        `      xenlab trial: CPU ${cpu.toFixed(1)} % at cap 50, ${rec.workloadScore.toFixed(0)} DMIPS, migration ${m.totalTimeMs} ms, downtime ${m.downtimeMs} ms (${m.downtimeSource})`,
      );
    } finally {
      results.close();
    }
    const hosts = await openBoth(status);
    try {
      for (const h of hosts) {
        expect((await h.listDomains()).map((d) => d.name).filter((n) => n !== 'Domain-0')).to.deep.equal([]);
      }
    } finally {
      for (const h of hosts) await h.close();
    }
  });
});
