import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DiskConfig, StateError } from '@virtmig/core';
import type { LabStorage, LabStorageStatus } from '@virtmig/iscsi';
import { expect } from 'chai';
import sinon from 'sinon';
import {
  disksFor,
  type ExperimentSpec,
  expandMatrix,
  type GuestProvider,
  LabGuestProvider,
  labDiskFor,
  ResultsDb,
  runExperiment,
  SimulatedGuestProvider,
  validateSpec,
} from '../src/index.js';
import { fakeEnv, fakeSpec, fastNetwork } from './helpers.js';

const LAB_DISK: DiskConfig = {
  kind: 'iscsi',
  portal: '10.77.0.1:3260',
  iqn: 'iqn.2026-11.org.virtmig:lab.vmlab.disk',
  lun: 1,
  initiatorIqn: 'iqn.2026-11.org.virtmig:lab.vmlab.host-a',
  format: 'raw',
  target: 'vda',
  chap: { username: 'virtmig-vmlab', secretUuid: '0b3c4a52-3f0e-4e8e-9d47-5d6f0c1b2a39' },
};
const ZEROS_MD5 = 'b6d81b360a5672d80c27430f39153e2c';

const labSpec = (storage: Record<string, unknown>): ExperimentSpec =>
  validateSpec({
    name: 'disk',
    hosts: 'lab',
    storage,
    workloads: [{ name: 'dhrystone', seconds: 2 }],
    matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 },
    migration: { enabled: true },
  });

/** A LabStorage double whose `up` reports `chap` as it is already served. */
function storageDouble(servedChap: boolean) {
  const status: LabStorageStatus = {
    state: 'running',
    prefix: 'vmlab',
    chap: servedChap ? { username: 'virtmig-vmlab', secretUuid: '0b3c4a52-3f0e-4e8e-9d47-5d6f0c1b2a39' } : null,
  };
  const up = sinon.stub().resolves(status);
  const disk = sinon.stub().resolves(LAB_DISK);
  return { double: { up, disk } as unknown as LabStorage, up, disk };
}

describe('shared storage in trials', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-storage-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("attaches the environment's disk, else the spec's LUN, and refuses iSCSI storage with neither", () => {
    expect(disksFor({ kind: 'iscsi', chap: true }, LAB_DISK)).to.deep.equal([LAB_DISK]);
    expect(
      disksFor({ kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.dev.virtmig:lun', lun: 2 }),
    ).to.deep.equal([{ kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.dev.virtmig:lun', lun: 2 }]);
    expect(disksFor({ kind: 'none' })).to.deep.equal([]);
    expect(() => disksFor({ kind: 'iscsi', chap: true }))
      .to.throw("is required unless the lab's shared disk is served")
      .with.property('field', 'storage.portal');
    expect(() => new SimulatedGuestProvider({ kind: 'iscsi' }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it("serves the lab's disk with the spec's CHAP setting and hands out host a's disk", async () => {
    const { double, up, disk } = storageDouble(true);
    expect(await labDiskFor(labSpec({ kind: 'iscsi', chap: true }), async () => double)).to.deep.equal(LAB_DISK);
    expect(up.args).to.deep.equal([[{ chap: true }]]);
    expect(disk.args).to.deep.equal([['a']]);
    const plain = storageDouble(false);
    await labDiskFor(labSpec({ kind: 'iscsi' }), async () => plain.double);
    expect(plain.up.args).to.deep.equal([[{ chap: false }]]);
  });

  it('leaves the lab storage alone when the spec has no storage or names its own LUN', async () => {
    const factory = sinon.stub().rejects(new Error('must not be called'));
    expect(await labDiskFor(labSpec({ kind: 'none' }), factory)).to.equal(undefined);
    const own = validateSpec({
      ...{ name: 'own', hosts: 'lab', workloads: ['dhrystone'] },
      storage: { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.dev.virtmig:lun', lun: 0 },
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 },
    });
    expect(await labDiskFor(own, factory)).to.equal(undefined);
    expect(factory.called).to.equal(false);
  });

  it('refuses a lab disk already served with the other CHAP setting instead of using it', async () => {
    const { double, disk } = storageDouble(false);
    const e = await labDiskFor(labSpec({ kind: 'iscsi', chap: true }), async () => double).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(StateError);
    expect((e as Error).message).to.contain('already runs with CHAP off');
    expect(disk.called).to.equal(false);
  });

  it('boots a lab guest on the disk with virtmig.disk and waits for its first read before it is ready', async () => {
    const spec = labSpec({ kind: 'iscsi', chap: true });
    const plan = expandMatrix(spec)[0] as NonNullable<ReturnType<typeof expandMatrix>[0]>;
    const workload = spec.workloads[0] as NonNullable<(typeof spec.workloads)[0]>;
    const provider = new LabGuestProvider({
      image: { kernel: '/k', initrd: '/i' },
      logDir: dir,
      bootTimeoutMs: 2000,
      storage: spec.storage,
      disk: LAB_DISK,
    });
    const g = await provider.prepare(plan, workload, 'vm-d');
    expect(g.config.disks).to.deep.equal([LAB_DISK]);
    expect(g.config.cmdline).to.equal(
      'console=ttyS0 quiet virtmig.workload=dhrystone virtmig.args="--seconds 2" virtmig.instances=1 virtmig.disk=vda',
    );
    const log = join(dir, 'vm-d.log');
    let ready = false;
    const waiting = g.waitReady().then(() => {
      ready = true;
    });
    await appendFile(log, 'VIRTMIG BOOT 3000\nVIRTMIG WORKLOAD dhrystone --seconds 2\nHB 0 3100\n');
    await new Promise((r) => setTimeout(r, 100));
    expect(ready).to.equal(false);
    await appendFile(log, `VIRTMIG DISK vda 524288\nDISK 0 ${ZEROS_MD5}\n`);
    await waiting;
    await g.close();
    const none = await new LabGuestProvider({
      image: { kernel: '/k', initrd: '/i' },
      logDir: dir,
      bootTimeoutMs: 10,
    }).prepare(plan, workload, 'vm-n');
    expect(none.config.cmdline).to.not.contain('virtmig.disk');
    expect(none.checkAfterMigration).to.equal(undefined);
    await none.close();
  });

  it('passes the post-migration check only after two reads on the destination with the md5 read before', async () => {
    const spec = labSpec({ kind: 'iscsi' });
    const plan = expandMatrix(spec)[0] as NonNullable<ReturnType<typeof expandMatrix>[0]>;
    const workload = spec.workloads[0] as NonNullable<(typeof spec.workloads)[0]>;
    const provider = new LabGuestProvider({
      image: { kernel: '/k', initrd: '/i' },
      logDir: dir,
      bootTimeoutMs: 1000,
      storage: spec.storage,
      disk: LAB_DISK,
    });
    const boot = `VIRTMIG WORKLOAD dhrystone --seconds 2\nHB 0 1\nDISK 0 ${ZEROS_MD5}\nDISK 1 ${ZEROS_MD5}\n`;

    const good = await provider.prepare(plan, workload, 'vm-ok');
    await appendFile(join(dir, 'vm-ok.log'), boot);
    await good.waitReady();
    const from = performance.now();
    const to = from + 1;
    await new Promise((r) => setTimeout(r, 30));
    let done = false;
    const check = (good.checkAfterMigration as NonNullable<typeof good.checkAfterMigration>)(from, to).then(() => {
      done = true;
    });
    await appendFile(join(dir, 'vm-ok.log'), `DISK 2 ${ZEROS_MD5}\n`);
    await new Promise((r) => setTimeout(r, 100));
    expect(done).to.equal(false);
    await appendFile(join(dir, 'vm-ok.log'), `DISK 3 ${ZEROS_MD5}\n`);
    await check;
    await good.close();

    const changed = await provider.prepare(plan, workload, 'vm-bad');
    await appendFile(join(dir, 'vm-bad.log'), boot);
    await changed.waitReady();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 30));
    await appendFile(join(dir, 'vm-bad.log'), `DISK 2 ${ZEROS_MD5}\nDISK 3 0123456789abcdef0123456789abcdef\n`);
    const e = await (changed.checkAfterMigration as NonNullable<typeof changed.checkAfterMigration>)(t, t).catch(
      (x: unknown) => x,
    );
    await changed.close();
    expect(e).to.be.instanceOf(StateError);
    expect((e as Error).message).to.equal(
      `guest vm-bad read vda as md5 0123456789abcdef0123456789abcdef (read 3) after the migration, ${ZEROS_MD5} (read 1) before`,
    );

    const silent = await provider.prepare(plan, workload, 'vm-silent');
    await appendFile(join(dir, 'vm-silent.log'), boot);
    await silent.waitReady();
    const s = performance.now();
    const timeout = await (silent.checkAfterMigration as NonNullable<typeof silent.checkAfterMigration>)(s, s).catch(
      (x: unknown) => x,
    );
    await silent.close();
    expect((timeout as { code?: string }).code).to.equal('E_TIMEOUT');
  });

  it("fails a trial whose guest does not pass the post-migration check, after the migration's time window", async function () {
    this.timeout(20_000);
    const db = ResultsDb.open(join(dir, 'r.db'));
    try {
      const network = fastNetwork();
      const spec = fakeSpec({
        workloads: ['dhrystone'],
        matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 2 },
      });
      const windows: [number, number][] = [];
      const base = fakeEnv(network);
      const guests: GuestProvider = {
        prepare: async (plan, workload, domain) => {
          const g = await new SimulatedGuestProvider().prepare(plan, workload, domain);
          return {
            ...g,
            checkAfterMigration: async (fromMs: number, toMs: number) => {
              windows.push([fromMs, toMs]);
              if (windows.length === 2) throw new StateError(`guest ${domain} lost its disk`);
            },
          };
        },
      };
      const summary = await runExperiment({ db, spec, env: { ...base, guests: async () => guests } });
      expect(summary).to.include({ done: 1, failed: 1 });
      const failed = db.trials(summary.runId).find((t) => t.status === 'failed');
      expect(failed?.error).to.contain('lost its disk');
      expect(windows).to.have.length(2);
      for (const [from, to] of windows) expect(to).to.be.greaterThan(from);
    } finally {
      db.close();
    }
  });
});
