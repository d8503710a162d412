// Runs last: `xenlab down` stops every guest of the lab and leaves no process or state behind.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { xenlab, xenlabStatus } from '../../scripts/xenlab/harness.mjs';

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

describe('xenlab down', function () {
  this.timeout(120_000);
  it('stops every lab QEMU and removes the state directory', async () => {
    const { stateDir } = await xenlabStatus();
    await xenlab('down');
    expect(await labQemus(stateDir)).to.deep.equal([]);
    expect(existsSync(stateDir)).to.equal(false);
    expect((await xenlabStatus()).state).to.equal('stopped');
  });
});
