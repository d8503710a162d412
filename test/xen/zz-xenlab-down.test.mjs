// Runs last: `virtmig lab down --kind xen` (scripts/xenlab/xenlab down) stops every guest of the
// lab and leaves no process or state behind.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { repoRoot, xenlabStatus } from '../../scripts/xenlab/harness.mjs';

const run = promisify(execFile);
const virtmig = async (...args) =>
  (await run(process.execPath, [`${repoRoot}packages/cli/dist/src/bin.js`, ...args], { timeout: 600_000 })).stdout;

async function labQemus(stateDir) {
  const found = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (cmdline.includes(`${stateDir}/`)) found.push(`${pid} ${cmdline}`);
    } catch {
      // The process exited while being read.
    }
  }
  return found;
}

describe('virtmig lab --kind xen, then down', function () {
  this.timeout(120_000);
  it('virtmig lab up --kind xen on the running testbed changes nothing and reports both dom0s', async () => {
    const before = await xenlabStatus();
    const status = JSON.parse(await virtmig('lab', 'up', '--kind', 'xen', '--json'));
    expect(status.state).to.equal('running');
    expect(status.hosts.map((h) => [h.name, h.pid])).to.deep.equal(before.hosts.map((h) => [h.name, h.pid]));
    const human = await virtmig('lab', 'status', '--kind', 'xen');
    for (const h of status.hosts.filter((x) => x.uri)) expect(human).to.contain(h.uri);
  });

  it('virtmig lab down --kind xen stops every lab QEMU and removes the state directory', async () => {
    const { stateDir } = await xenlabStatus();
    await virtmig('lab', 'down', '--kind', 'xen');
    expect(await labQemus(stateDir)).to.deep.equal([]);
    expect(existsSync(stateDir)).to.equal(false);
    expect((await xenlabStatus()).state).to.equal('stopped');
  });
});
