// Fast checks of scripts/xenlab/xenlab that boot nothing (a private, empty state directory).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { repoRoot } from '../../scripts/xenlab/harness.mjs';

const run = promisify(execFile);
const bin = `${repoRoot}scripts/xenlab/xenlab`;

async function xl(...args) {
  try {
    const { stdout, stderr } = await run(bin, args);
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('xenlab command line (no guests)', () => {
  let dir;
  let g;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xenlab-cli-'));
    g = ['--state-dir', join(dir, 'state'), '--port-base', '40100'];
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('status --json of a lab that never ran says stopped and lists the three hosts with their ports', async () => {
    const r = await xl(...g, 'status', '--json');
    expect(r.code).to.equal(0);
    const s = JSON.parse(r.stdout);
    expect(s.state).to.equal('stopped');
    expect(s.hosts.map((h) => [h.name, h.running, h.sshPort])).to.deep.equal([
      ['storage', false, 40105],
      ['xen-a', false, 40101],
      ['xen-b', false, 40103],
    ]);
    expect(s.hosts[1].uri).to.equal(`xen+tls://127.0.0.1:40102/system?pkipath=${join(dir, 'state')}/pki/client`);
  });

  it('refuses an unknown accelerator, a bad port base and an unknown command without touching the state directory', async () => {
    for (const args of [
      ['--accel', 'hvf', 'status'],
      ['--port-base', '80', 'status'],
      ['--port-base', 'x', 'status'],
      ['frobnicate'],
    ]) {
      const r = await xl(...g, ...args);
      expect(r.code, args.join(' ')).to.not.equal(0);
    }
    expect((await xl(...g, 'status')).stdout.trim()).to.equal('xenlab: stopped');
  });

  it('shape refuses to run without a lab', async () => {
    const r = await xl(...g, 'shape', '--rate', '1gbit');
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('not running');
  });

  it('down of a lab that is not running succeeds and leaves no state directory', async () => {
    const r = await xl(...g, 'down');
    expect(r.code).to.equal(0);
    expect((await xl(...g, 'status', '--json')).stdout).to.contain('"state":"stopped"');
  });
});
