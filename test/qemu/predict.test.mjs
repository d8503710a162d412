// `virtmig predict` and `recommend --live` on a guest that virtmig did not create: defined and
// started with plain `virsh define` + `virsh start`, no kernel command line, no virtmig tags.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expandMatrix, ResultsDb, validateSpec } from '@virtmig/bench';
import { expect } from 'chai';
import { ensureLab, prefix, virtmig } from './helpers.mjs';

const run = promisify(execFile);
const MiB = 1024 * 1024;

function plainXml(name, type) {
  return `<domain type='${type}'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices><serial type='pty'/></devices></domain>`;
}

/** A results database with one migrated trial of another workload, so nothing matches the plain guest by workload. */
function writeDb(path, sourceUri, destinationUri) {
  const spec = validateSpec({
    name: 'predict-lab',
    driver: 'fake',
    hosts: [{ source: 'fake:///a', destination: 'fake:///b' }],
    guest: { image: 'none' },
    workloads: ['dhrystone'],
    matrix: { ramMiB: [128], vcpus: [1], capPercent: [0], hostCores: [2], trials: 1 },
    migration: { enabled: true },
    sampling: { intervalMs: 10 },
    durations: { warmupMs: 0, measureMs: 30 },
  });
  const db = ResultsDb.open(path);
  try {
    const plans = expandMatrix(spec);
    const runId = db.createRun(spec, plans);
    const id = plans[0].id;
    db.markRunning(runId, id, 'vm-0');
    db.completeTrial(runId, id, {
      record: {
        experimentId: 'predict-lab',
        workload: 'dhrystone',
        ramMiB: 128,
        vcpus: 1,
        capPercent: 0,
        hostCores: 2,
        trial: 0,
        cpuSamples: [{ tMs: 0, domainPercentOfHost: 50, domainPercentOfCpu: 100, hostPercent: 50 }],
        workloadScore: 1,
        workloadScoreUnit: 'DMIPS',
        migration: {
          domain: 'vm-0',
          sourceUri,
          destinationUri,
          startedAt: '2026-01-01T00:00:00.000Z',
          endedAt: '2026-01-01T00:00:02.000Z',
          totalTimeMs: 2000,
          downtimeMs: 200,
          downtimeSource: 'hypervisor',
          postCopy: false,
          memoryBandwidthBps: 60 * MiB,
          stages: { precopyRounds: [{ startMs: 0, endMs: 1500 }] },
          raw: {},
        },
      },
      timeline: [],
      heartbeatGapMs: 200,
    });
    db.finishRun(runId, 'finished');
  } finally {
    db.close();
  }
}

describe('predictions for a plain virsh guest on the lab', function () {
  this.timeout(300_000);
  const name = `plain-${process.pid % 10000}`;
  const off = `plainoff-${process.pid % 10000}`;
  let status;
  let dir;
  let A;
  const virsh = (...args) => run('virsh', ['-c', A, ...args]);
  before(async () => {
    status = await ensureLab();
    A = status.hosts[0].uri;
    dir = await mkdtemp(join(tmpdir(), 'vm-predict-'));
    for (const n of [name, off]) {
      await writeFile(join(dir, `${n}.xml`), plainXml(n, status.domainType));
      await virsh('define', join(dir, `${n}.xml`));
    }
    await virsh('start', name);
  });
  after(async () => {
    for (const n of [name, off]) {
      await virsh('destroy', n).catch(() => undefined);
      await virsh('undefine', n).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('virtmig predict measures the running guest and prints total time and downtime with interval and model', async () => {
    const r = await virtmig(
      'predict',
      name,
      '--from',
      'a',
      '--to',
      'b',
      '--prefix',
      prefix,
      '--bandwidth',
      '100',
      '--json',
    );
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout);
    expect(report.link).to.deep.equal({ bytesPerSecond: 100 * MiB, source: 'flag' });
    expect(report.measured.dirtyRate.mode).to.equal('page-sampling');
    expect(report.measured.memoryMiB).to.equal(128);
    expect(report.prediction.kind).to.equal('converges');
    expect(report.prediction.model).to.equal('precopy-uncalibrated');
    expect(report.prediction.totalTimeMs).to.be.greaterThan(0);
    expect(report.prediction.totalTimeIntervalMs.low).to.be.at.most(report.prediction.totalTimeMs);
    expect(report.prediction.warnings.map((w) => w.code)).to.include('uncalibrated');
  });

  it('virtmig predict without a known link rate exits 2 naming --bandwidth; on a shut-off guest it fails with E_STATE', async () => {
    const noLink = await virtmig('predict', name, '--from', 'a', '--to', 'b', '--prefix', prefix);
    if (status.link.shape === null) {
      expect(noLink.code).to.equal(2);
      expect(noLink.stderr).to.match(/--bandwidth/);
    }
    const r = await virtmig('predict', off, '--from', 'a', '--to', 'b', '--prefix', prefix, '--bandwidth', '100');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/shutoff/);
  });

  it('recommend --live gives the plain guest expected costs from the model (link rate: the database throughput)', async () => {
    const db = join(dir, 'results.db');
    writeDb(db, status.hosts[0].uri, status.hosts[1].uri);
    const r = await virtmig(
      'recommend',
      db,
      '--live',
      '--hosts',
      `${status.hosts[0].uri},${status.hosts[1].uri}`,
      '--json',
    );
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    const vm = out.cluster.hosts.flatMap((h) => h.vms).find((v) => v.name === name);
    expect(vm, JSON.stringify(out.cluster)).to.not.equal(undefined);
    expect(vm.expectedTotalTimeMs).to.be.greaterThan(0);
    expect(vm.expectedDowntimeMs).to.be.at.least(0);
  });
});
