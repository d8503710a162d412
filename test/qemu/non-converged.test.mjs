// A trial whose guest dirties memory faster than its bandwidth limit carries it, run by the real
// `virtmig run` on the lab: the spec's timeout aborts the migration, the guest kept running on
// the source, and the trial is recorded as done with `nonConverged`, not as failed.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ResultsDb } from '@virtmig/bench';
import { expect } from 'chai';
import { ensureLab, openHosts, prefix, repoRoot } from './helpers.mjs';

const run = promisify(execFile);

describe('virtmig run on the lab: a migration that does not converge', function () {
  this.timeout(600_000);
  let dir;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtmig-nc-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends at the spec timeout with the guest on the source and records the trial as non-converged', async () => {
    const status = await ensureLab();
    const spec = {
      name: 'non-converged',
      driver: 'qemu',
      hosts: 'lab',
      // 32 MiB/s over a 48 MiB working set against an 8 MiB/s limit: lambda 4.
      workloads: [{ name: 'dirtier', label: 'dirtier-32', seconds: 3600, options: { wssMb: 48, rateMbps: 32 } }],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [0], hostCores: [2], trials: 1 },
      migration: { enabled: true, bandwidthMiBps: 8, timeoutMs: 10_000 },
      sampling: { intervalMs: 500 },
      durations: { warmupMs: 500, measureMs: 1000 },
    };
    const file = join(dir, 'spec.json');
    const db = join(dir, 'r.db');
    await writeFile(file, JSON.stringify(spec));
    await run(process.execPath, [`${repoRoot}packages/cli/dist/src/bin.js`, 'run', file, '--db', db], {
      env: { ...process.env, VIRTMIG_LAB_PREFIX: prefix },
      timeout: 540_000,
      maxBuffer: 8 << 20,
    });
    const results = ResultsDb.open(db, { readonly: true, mustExist: true });
    try {
      const [runRow] = results.runs();
      expect(runRow?.status).to.equal('finished');
      const [record] = results.records();
      expect(record?.workload).to.equal('dirtier-32');
      expect(record?.workloadOptions).to.deep.equal({ wssMb: 48, rateMbps: 32 });
      expect(record?.migration).to.equal(undefined);
      expect(record?.nonConverged?.timeoutMs).to.equal(10_000);
      expect(record?.nonConverged?.sourceUri).to.equal(status.hosts[0].uri);
      // The limit, give or take what TCG and a busy machine leave of it.
      expect(record?.nonConverged?.memoryBandwidthBps).to.be.within(2 * 2 ** 20, 9 * 2 ** 20);
      expect(results.timelines()[0]?.samples.length).to.be.greaterThan(5);
    } finally {
      results.close();
    }
    const hosts = await openHosts(status);
    try {
      for (const h of hosts) expect(await h.listDomains()).to.deep.equal([]);
    } finally {
      for (const h of hosts) await h.close();
    }
  });
});
