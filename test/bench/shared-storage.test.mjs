// An experiment whose spec asks for shared storage, end to end on the real lab: `virtmig run`
// of a one-trial spec with `storage: {kind: iscsi, chap: true}` serves the lab's shared disk
// (tgtd in the lab, CHAP secret on both libvirt daemons), boots the guest from nothing but the
// LUN's network disk with `virtmig.disk=vda`, live-migrates it and stores the trial. The test
// follows the guest's serial log and where the guest runs while the run goes on, so it can tell
// the disk reads made on host a from those made on host b. Own lab (prefix vmbenchlun, or
// $VIRTMIG_TEST_LAB_PREFIX); the storage and the lab are taken down at the end.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { ResultsDb, SerialWatcher } from '@virtmig/bench';
import { expect } from 'chai';
import { buildGuest, lab, labJson, repoRoot, virsh } from '../../scripts/lab/harness.mjs';
import { tgtdProcesses } from '../processes.mjs';

const run = promisify(execFile);
// Own lab prefix, or $VIRTMIG_TEST_LAB_PREFIX so that two checkouts can run it side by side.
const prefix = process.env.VIRTMIG_TEST_LAB_PREFIX ?? 'vmbenchlun';
const bin = join(repoRoot, 'packages/cli/dist/src/bin.js');
const MiB = 1 << 20;

/** The guest's `DISK <seq> <md5>` lines with the host time the test read them. */
const diskReads = (watcher) =>
  watcher.lines.flatMap((l) =>
    l.parsed.kind === 'disk-read' ? [{ seq: l.parsed.seq, md5: l.parsed.md5, hostMs: l.hostMs }] : [],
  );

const runningOn = async (uri) =>
  (await virsh(uri, ['list', '--name', '--state-running'])).trim().split('\n').filter(Boolean);

describe('experiment with shared storage on the real lab: the guest runs from the lab LUN with CHAP and migrates', function () {
  this.timeout(360_000);
  let dir;
  let env;
  let status;

  async function virtmig(...args) {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
        env,
        timeout: 300_000,
        maxBuffer: 8 << 20,
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtmig-bench-lun-'));
    // The runner keeps serial logs under os.tmpdir(); a private one makes this run's log easy to find.
    await mkdir(join(dir, 'tmp'));
    env = { ...process.env, VIRTMIG_LAB_PREFIX: prefix, TMPDIR: join(dir, 'tmp') };
    await buildGuest();
    await lab(['--prefix', prefix, 'down']);
    status = await labJson(['--prefix', prefix, 'up']);
  });

  after(async () => {
    await virtmig('storage', 'down');
    await lab(['--prefix', prefix, 'down']);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the trial on the LUN: same disk content read on a and on b, the migration stored', async () => {
    const [ha, hb] = status.hosts;
    const spec = join(dir, 'lun.yaml');
    await writeFile(
      spec,
      [
        'name: lab-lun',
        'hosts: lab',
        'storage: {kind: iscsi, chap: true}',
        'workloads: [dhrystone]',
        'matrix: {ramMiB: [128], vcpus: [1], capPercent: [100], hostCores: [2], trials: 1}',
        'migration: {enabled: true}',
        'sampling: {intervalMs: 500}',
        'durations: {warmupMs: 500, measureMs: 3000}',
      ].join('\n'),
    );
    const db = join(dir, 'lun.db');
    const logDir = join(dir, 'tmp', 'virtmig-serial');
    const child = virtmig('run', spec, '--db', db, '--json', '--keep-logs');
    let finished = false;
    child.then(() => {
      finished = true;
    });

    // Follow the run: the serial log once the runner creates it, the guest's XML once it runs on
    // a, and the first moment libvirt reports it running on b (the switch-over happened).
    let watcher;
    let xml;
    let domain;
    let lastOnA = 0;
    let firstOnB;
    const t0 = performance.now();
    while (!finished && performance.now() - t0 < 300_000) {
      if (!watcher && existsSync(logDir)) {
        const logs = await readdir(logDir);
        if (logs.length === 1) {
          domain = logs[0].replace(/\.log$/, '');
          watcher = new SerialWatcher(join(logDir, logs[0]), 10);
          await watcher.start();
        }
      }
      if (domain) {
        const [onA, onB] = await Promise.all([runningOn(ha.uri), runningOn(hb.uri)]).catch(() => [[], []]);
        if (onA.includes(domain)) {
          lastOnA = performance.now();
          xml ??= await virsh(ha.uri, ['dumpxml', domain]).catch(() => undefined);
        }
        if (onB.includes(domain)) firstOnB ??= performance.now();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await child;
    await watcher?.stop();
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.include({ total: 1, done: 1, failed: 0 });

    // The stored trial and its migration.
    const results = ResultsDb.open(db);
    try {
      const [rec] = results.records();
      expect(rec).to.include({ experimentId: 'lab-lun', workload: 'dhrystone', ramMiB: 128, capPercent: 100 });
      expect(rec.workloadScore).to.be.greaterThan(0);
      const m = rec.migration;
      expect(m.sourceUri).to.equal(ha.uri);
      expect(m.destinationUri).to.equal(hb.uri);
      expect(m.totalTimeMs).to.be.within(300, 120_000);
      expect(m.downtimeMs).to.be.within(1, 10_000);
      console.log(
        `      migration on the LUN: total ${m.totalTimeMs} ms, downtime ${m.downtimeMs} ms (${m.downtimeSource ?? 'hypervisor'}), sent ${Math.round(m.dataTransferredBytes / MiB)} MiB`,
      );
      const [trial] = results.trials(results.runs()[0].runId);
      expect(trial).to.include({ status: 'done', attempts: 1, domain });
    } finally {
      results.close();
    }

    // The guest's only disk was the lab LUN, over the lab link, with CHAP from a libvirt secret.
    const storage = JSON.parse((await virtmig('storage', 'status', '--json')).stdout);
    expect(xml, 'the guest was never seen running on a').to.be.a('string');
    expect(xml).to.contain(`<source protocol='iscsi' name='${storage.iqn}/${storage.lun}'`);
    expect(xml).to.contain(`<host name='10.77.0.1' port='3260'/>`);
    expect(xml).to.contain(`<iqn name='iqn.2026-11.org.virtmig:lab.${prefix}.host-a'/>`);
    expect(xml).to.match(
      new RegExp(`<auth username='virtmig-${prefix}'>\\s*<secret type='iscsi' uuid='${storage.chap.secretUuid}'/>`),
    );
    expect(xml).to.contain('virtmig.disk=vda');

    // The serial log: one boot, the 256 MiB disk, its first MiB read with one md5 throughout,
    // on a before the switch-over and on b after it.
    expect(firstOnB, 'the guest was never seen running on b').to.be.a('number');
    const lines = watcher.lines.map((l) => l.text);
    expect(lines.filter((l) => l.startsWith('VIRTMIG ERROR'))).to.deep.equal([]);
    expect(lines.filter((l) => l.startsWith('VIRTMIG BOOT'))).to.have.length(1);
    expect(lines).to.include(`VIRTMIG DISK vda ${(256 * MiB) / 512}`);
    const reads = diskReads(watcher);
    expect(reads.map((d) => d.seq)).to.deep.equal(reads.map((_, i) => i));
    const onA = reads.filter((d) => d.hostMs <= lastOnA);
    const onB = reads.filter((d) => d.hostMs > firstOnB);
    console.log(
      `      DISK reads: ${onA.length} while on a, ${onB.length} after the switch to b, ${reads.length} in all`,
    );
    expect(onA.length).to.be.at.least(3);
    expect(onB.length).to.be.at.least(1);
    expect(new Set(reads.map((d) => d.md5))).to.have.property('size', 1);
    expect(onB[0].md5).to.equal(onA[0].md5);

    // The guest is gone from both hosts; the disk stays up for the next run, like the lab.
    for (const h of status.hosts) expect((await virsh(h.uri, ['list', '--all', '--name'])).trim()).to.equal('');
    expect(storage).to.include({ state: 'running', portal: '10.77.0.1:3260' });
    expect(storage.sessions).to.deep.equal([]);
  });

  it('takes the storage and the lab down, leaving no tgtd, LUN file or libvirt secret', async () => {
    const before = JSON.parse((await virtmig('storage', 'status', '--json')).stdout);
    for (const h of status.hosts)
      expect((await virsh(h.uri, ['secret-list'])).trim()).to.contain(before.chap.secretUuid);
    const down = await virtmig('storage', 'down', '--json');
    expect(down.code, down.stderr).to.equal(0);
    expect(JSON.parse(down.stdout).removed).to.include(join(status.stateDir, 'storage', 'lun1.img'));
    for (const h of status.hosts) expect((await virsh(h.uri, ['secret-list'])).trim()).to.equal('');
    await lab(['--prefix', prefix, 'down']);
    expect(await tgtdProcesses(join(status.stateDir, 'storage'))).to.deep.equal([]);
    expect(existsSync(`/run/tgtd/socket.${before.tgtd.controlPort}`)).to.equal(false);
    expect(existsSync(join(status.stateDir, 'storage'))).to.equal(false);
    expect((await labJson(['--prefix', prefix, 'status'])).state).to.equal('stopped');
  });
});
