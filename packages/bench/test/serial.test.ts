import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  CommandConsoleWatcher,
  ConsoleLog,
  type ConsoleSource,
  expandMatrix,
  LabGuestProvider,
  SerialWatcher,
  validateSpec,
} from '../src/index.js';

describe('serial console', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-serial-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stamps heartbeats with host time as they are appended, across partial lines, and finds the largest gap', async () => {
    const log = join(dir, 'g.log');
    await writeFile(log, '');
    const w = new SerialWatcher(log, 5);
    await w.start();
    await appendFile(log, 'VIRTMIG BOOT 2500\r\nHB 0 2600\nHB 1 27');
    await w.waitFor('hb0', () => w.beats.length === 1, 2000);
    await new Promise((r) => setTimeout(r, 120));
    await appendFile(log, '00\nHB 2 2800\n');
    await w.waitFor('hb2', () => w.beats.length === 3, 2000);
    await w.stop();
    expect(w.beats.map((b) => [b.seq, b.guestMs])).to.deep.equal([
      [0, 2600],
      [1, 2700],
      [2, 2800],
    ]);
    expect(w.lines.map((l) => l.text)).to.deep.equal(['VIRTMIG BOOT 2500']);
    const gap = w.largestGap(0, Number.POSITIVE_INFINITY) as number;
    expect(gap).to.be.within(100, 1000);
    expect(w.largestGap(-2, -1)).to.equal(undefined);
  });

  it('puts the workload on the kernel command line and averages the verified results of the measure window', async () => {
    const spec = validateSpec({
      name: 's',
      hosts: 'lab',
      workloads: [{ name: 'dhrystone', seconds: 2 }],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 },
    });
    const plan = expandMatrix(spec)[0];
    const provider = new LabGuestProvider({ image: { kernel: '/k', initrd: '/i' }, logDir: dir, bootTimeoutMs: 2000 });
    const g = await provider.prepare(
      plan as NonNullable<typeof plan>,
      spec.workloads[0] as NonNullable<(typeof spec.workloads)[0]>,
      'vm-1',
    );
    expect(g.config).to.deep.include({
      name: 'vm-1',
      memoryMiB: 128,
      vcpus: 1,
      kernel: '/k',
      initrd: '/i',
      serialLog: join(dir, 'vm-1.log'),
    });
    expect(g.config.cmdline).to.equal(
      'console=ttyS0 quiet virtmig.workload=dhrystone virtmig.args="--seconds 2" virtmig.instances=1',
    );
    // Captured from a lab guest (dhrystone at cap 50 % under TCG).
    const lines = [
      'WL {"workload":"dhrystone","score":300.12193328305028,"unit":"DMIPS","seconds":2.0860426729999997,"verified":true,"cpus":[0],"dhrystones_per_second":527314.23677831935,"runs":1100000,"cpu_seconds":1.7725054149999999}',
      'WL {"workload":"dhrystone","score":302.49497536626905,"unit":"DMIPS","seconds":2.0696778819999997,"verified":true,"cpus":[0],"dhrystones_per_second":531483.67171853466,"runs":1100000,"cpu_seconds":1.8053261630000002}',
      'WL {"workload":"dhrystone","score":244.36922758793253,"unit":"DMIPS","seconds":2.0961590470000004,"verified":true,"cpus":[0],"dhrystones_per_second":429356.73287199746,"runs":900000,"cpu_seconds":1.415919269}',
    ];
    await appendFile(
      join(dir, 'vm-1.log'),
      `VIRTMIG BOOT 3730\nVIRTMIG WORKLOAD dhrystone --seconds 2\nHB 0 3800\n${lines[0]}\n`,
    );
    await g.waitReady();
    g.markMeasureStart();
    await appendFile(join(dir, 'vm-1.log'), `${lines[1]}\nWL {"torn\n${lines[2]}\n`);
    await new Promise((r) => setTimeout(r, 100));
    const score = g.score();
    await g.close();
    expect(score?.unit).to.equal('DMIPS');
    expect(score?.runs).to.equal(2);
    expect(score?.score).to.be.closeTo((302.49497536626905 + 244.36922758793253) / 2, 1e-9);
  });

  it('fails the boot wait when the guest reports an error or stays silent', async () => {
    const spec = validateSpec({
      name: 's',
      hosts: 'lab',
      workloads: ['livermore'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 },
    });
    const plan = expandMatrix(spec)[0] as NonNullable<ReturnType<typeof expandMatrix>[0]>;
    const provider = new LabGuestProvider({ image: { kernel: '/k', initrd: '/i' }, logDir: dir, bootTimeoutMs: 200 });
    const silent = await provider.prepare(plan, spec.workloads[0] as NonNullable<(typeof spec.workloads)[0]>, 'vm-2');
    const t = await silent.waitReady().catch((e: unknown) => e);
    await silent.close();
    expect((t as { code?: string }).code).to.equal('E_TIMEOUT');
    const broken = await provider.prepare(plan, spec.workloads[0] as NonNullable<(typeof spec.workloads)[0]>, 'vm-3');
    await appendFile(join(dir, 'vm-3.log'), 'VIRTMIG ERROR workload livermore not in image\nHB 0 1\n');
    const b = await broken.waitReady().catch((e: unknown) => e);
    await broken.close();
    expect((b as Error).message).to.equal('guest vm-3 reported: VIRTMIG ERROR workload livermore not in image');
  });

  it('follows a console through commands on two hosts: lines stamped on arrival, a heartbeat both deliver counted once, stop ends the commands', async () => {
    // Two "hosts": the source prints heartbeats 0-2, the destination 2-4 (2 seen on both).
    const host = (seqs: number[], delayMs: number) => [
      process.execPath,
      '-e',
      `(async () => { for (const n of ${JSON.stringify(seqs)}) { console.log('HB ' + n + ' ' + n * 100); await new Promise((r) => setTimeout(r, ${delayMs})); } console.log('VIRTMIG WORKLOAD x'); setInterval(() => {}, 1000); })()`,
    ];
    const w = new CommandConsoleWatcher([host([0, 1, 2], 20), host([2, 3, 4], 60)], 5);
    await w.start();
    await w.waitFor('both hosts done', () => w.beats.length === 5 && w.lines.length === 2, 10_000);
    await w.stop();
    expect(w.beats.map((b) => b.seq).sort()).to.deep.equal([0, 1, 2, 3, 4]);
    expect(w.lines.map((l) => l.text)).to.deep.equal(['VIRTMIG WORKLOAD x', 'VIRTMIG WORKLOAD x']);
    const arrivals = w.beats.map((b) => b.hostMs);
    expect(arrivals.every((t, i) => i === 0 || t >= (arrivals[i - 1] as number))).to.equal(true);
  });

  it('uses the console source it is given: its device on the kernel command line and no serial log in the config', async () => {
    const spec = validateSpec({
      name: 's',
      hosts: 'lab',
      workloads: [{ name: 'dhrystone', seconds: 2 }],
      matrix: { ramMiB: [128], vcpus: [2], capPercent: [50], trials: 1 },
    });
    const plan = expandMatrix(spec)[0] as NonNullable<ReturnType<typeof expandMatrix>[0]>;
    const log = new ConsoleLog(5);
    const opened: string[] = [];
    const console: ConsoleSource = {
      device: 'hvc0',
      open: async (domain) => {
        opened.push(domain);
        return { watcher: Object.assign(log, { start: async () => {}, stop: async () => {} }) };
      },
    };
    const provider = new LabGuestProvider({
      image: { kernel: '/k', initrd: '/i' },
      logDir: dir,
      bootTimeoutMs: 2000,
      console,
    });
    const g = await provider.prepare(plan, spec.workloads[0] as NonNullable<(typeof spec.workloads)[0]>, 'xen-1');
    expect(opened).to.deep.equal(['xen-1']);
    expect(g.config).to.not.have.property('serialLog');
    expect(g.config.cmdline).to.equal(
      'console=hvc0 quiet virtmig.workload=dhrystone virtmig.args="--seconds 2" virtmig.instances=2',
    );
    log.push('VIRTMIG WORKLOAD dhrystone --seconds 2', 1);
    log.push('HB 0 10', 2);
    await g.waitReady();
    await g.close();
  });
});
