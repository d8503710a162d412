// `virtmig run` on hosts given only by their libvirt URIs (no `lab` keyword): the runner puts the
// guest image on both hosts through libvirt (a storage pool, virStorageVolUpload) and reads the
// guest's console over the connections (virDomainOpenConsole), with no serial log file and no
// path of this machine in the domain. Two trials, each with a live migration; the image is sent
// once per host and reused.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ResultsDb } from '@virtmig/bench';
import { expect } from 'chai';
import { virsh } from '../../scripts/lab/harness.mjs';
import { ensureLab, repoRoot } from './helpers.mjs';

const run = promisify(execFile);
const POOL = 'virtmig-images';

describe('virtmig run on hosts given by URI: image uploaded and console read through libvirt (real lab)', function () {
  this.timeout(600_000);
  let dir;
  let status;

  before(async () => {
    status = await ensureLab();
    dir = await mkdtemp(join(tmpdir(), 'virtmig-remote-run-'));
  });
  after(async () => {
    for (const h of status?.hosts ?? []) {
      const vols = await virsh(h.uri, ['vol-list', '--pool', POOL]).catch(() => '');
      for (const v of vols.split('\n').map((l) => l.trim().split(/\s+/)[0])) {
        if (v?.startsWith('virtmig-')) await virsh(h.uri, ['vol-delete', '--pool', POOL, v]).catch(() => {});
      }
      await virsh(h.uri, ['pool-destroy', POOL]).catch(() => {});
      await virsh(h.uri, ['pool-undefine', POOL]).catch(() => {});
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs two migrating trials whose guests boot an uploaded image and report heartbeats over console streams', async () => {
    const [a, b] = status.hosts;
    const spec = join(dir, 'remote.json');
    await writeFile(
      spec,
      JSON.stringify({
        name: 'remote-uris',
        driver: 'qemu',
        hosts: [
          {
            source: a.uri,
            destination: b.uri,
            migrateUri: `tcp://${b.address}`,
            connectOptions: { domainType: status.domainType },
          },
        ],
        workloads: ['dhrystone'],
        matrix: { ramMiB: [96], vcpus: [1], capPercent: [50], hostCores: [2], trials: 2 },
        migration: { enabled: true },
        sampling: { intervalMs: 500 },
        durations: { warmupMs: 500, measureMs: 2000 },
      }),
    );
    const db = join(dir, 'remote.db');
    const bin = join(repoRoot, 'packages/cli/dist/src/bin.js');
    const { stdout } = await run(process.execPath, [bin, 'run', spec, '--db', db, '--json'], {
      timeout: 540_000,
      maxBuffer: 8 << 20,
    });
    expect(JSON.parse(stdout)).to.include({ total: 2, done: 2, failed: 0 });

    const results = ResultsDb.open(db, { readonly: true });
    try {
      const records = results.records();
      expect(records).to.have.length(2);
      for (const r of records) {
        expect(r.workloadScore, 'the score came back over the console stream').to.be.greaterThan(0);
        expect(r.migration?.destinationUri).to.equal(b.uri);
      }
    } finally {
      results.close();
    }
    // The image is on both hosts once (kernel and initrd, each with its completion marker).
    for (const h of [a, b]) {
      const vols = (await virsh(h.uri, ['vol-list', '--pool', POOL]))
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0])
        .filter((n) => n?.startsWith('virtmig-'));
      expect(vols, h.name).to.have.length(4);
    }
  });
});
