import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import {
  buildWorkloads,
  createWorkload,
  DEFAULT_GUEST_BIN_DIR,
  guestArgv,
  guestCmdline,
  guestInitCmdline,
  guestPackaging,
  runProcess,
  WORKLOAD_NAMES,
} from '../src/index.js';

describe('guest packaging', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    await buildWorkloads();
    dir = await mkdtemp(join(tmpdir(), 'virtmig-guest-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('list every workload binary with its host and guest path', () => {
    const p = guestPackaging();
    expect(p.binaries.map((b) => b.workload)).to.deep.equal([...WORKLOAD_NAMES]);
    for (const b of p.binaries) {
      expect(b.hostPath).to.equal(createWorkload(b.workload).binary);
      expect(b.guestPath).to.equal(`${DEFAULT_GUEST_BIN_DIR}/${b.workload}`);
    }
    expect(p.parameters.map((x) => x.name)).to.include.members([
      'virtmig.seconds',
      'virtmig.iterations',
      'virtmig.n',
      'virtmig.wss_mb',
      'virtmig.rate_mbps',
      'virtmig.progress_ms',
    ]);
  });

  it('refuse a guest directory that is relative or has shell-special characters', () => {
    expect(() => guestPackaging({ guestBinDir: 'bin' })).to.throw(InvalidArgumentError);
    expect(() => guestPackaging({ guestBinDir: '/opt/$(reboot)' })).to.throw(InvalidArgumentError);
  });

  it('turn a kernel command line into the workload argv, ignoring unrelated parameters', () => {
    expect(guestArgv('console=ttyS0 virtmig.workload=linpack virtmig.seconds=30 virtmig.n=300 quiet')).to.deep.equal([
      '/virtmig/bin/linpack',
      '--seconds',
      '30',
      '--n',
      '300',
    ]);
    expect(
      guestArgv('virtmig.heartbeat=1 virtmig.workload=dirtier virtmig.wss_mb=256 virtmig.rate_mbps=50', '/g'),
    ).to.deep.equal(['/g/dirtier', '--wss-mb', '256', '--rate-mbps', '50']);
    expect(guestArgv('console=ttyS0 quiet')).to.equal(undefined);
  });

  it('refuse command lines the workload would refuse', () => {
    expect(() => guestArgv('virtmig.workload=whetstone')).to.throw(InvalidArgumentError);
    expect(() => guestArgv('virtmig.workload=linpack virtmig.seconds=abc')).to.throw(InvalidArgumentError);
    expect(() => guestArgv('virtmig.workload=dhrystone virtmig.n=100')).to.throw(InvalidArgumentError);
    expect(() => guestArgv('virtmig.workload=dhrystone virtmig.seconds=1 virtmig.iterations=5')).to.throw(
      InvalidArgumentError,
    );
  });

  it('build the kernel command line that guestArgv reads back', () => {
    const cmdline = guestCmdline('dirtier', { seconds: 60 }, { wssMb: 128, rateMbps: 25 });
    expect(cmdline).to.equal('virtmig.workload=dirtier virtmig.seconds=60 virtmig.wss_mb=128 virtmig.rate_mbps=25');
    expect(guestArgv(cmdline)).to.deep.equal(
      createWorkload('dirtier', DEFAULT_GUEST_BIN_DIR).argv({ seconds: 60 }, { wssMb: 128, rateMbps: 25 }),
    );
  });

  it('build the virtmig.args form that the lab guest init reads', () => {
    expect(guestInitCmdline('linpack', { seconds: 30 }, { n: 200 })).to.equal(
      'virtmig.workload=linpack virtmig.args="--seconds 30 --n 200"',
    );
    expect(() => guestInitCmdline('linpack', { seconds: 30 }, { wssMb: 1 })).to.throw(InvalidArgumentError);
  });

  async function runLauncher(shell: string[], cmdline: string) {
    const script = join(dir, 'virtmig-run');
    const cmdlineFile = join(dir, 'cmdline');
    await writeFile(script, guestPackaging().launcherScript, { mode: 0o755 });
    await writeFile(cmdlineFile, `${cmdline}\n`);
    const binDir = join(createWorkload('dhrystone').binDir);
    return runProcess(['env', `VIRTMIG_BIN_DIR=${binDir}`, ...shell, script, cmdlineFile]);
  }

  for (const shell of [['busybox', 'sh'], ['/bin/sh']]) {
    it(`start the named workload from a kernel command line with the launcher under ${shell.join(' ')}`, async () => {
      const out = await runLauncher(
        shell,
        'console=ttyS0 virtmig.workload=linpack virtmig.iterations=3 virtmig.n=64 rw',
      );
      expect(out.exitCode, out.stderr).to.equal(0);
      const r = createWorkload('linpack').parse(out.stdout);
      expect(r.verified).to.equal(true);
      expect(r.raw.n).to.equal(64);
      expect(r.raw.repetitions).to.equal(3);
    });

    it(`make the launcher exit 2 without or with an unknown workload under ${shell.join(' ')}`, async () => {
      expect((await runLauncher(shell, 'console=ttyS0')).exitCode).to.equal(2);
      const unknown = await runLauncher(shell, 'virtmig.workload=../../bin/sh');
      expect(unknown.exitCode).to.equal(2);
      expect(unknown.stderr).to.match(/unknown workload/);
    });
  }

  it('pass a bad value through the launcher to the workload, which refuses it with exit 2', async () => {
    const out = await runLauncher(['/bin/sh'], 'virtmig.workload=dirtier virtmig.wss_mb=*');
    expect(out.exitCode).to.equal(2);
    expect(out.stderr).to.match(/--wss-mb needs a number/);
  });
});
