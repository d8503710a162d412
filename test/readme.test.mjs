// The README's SDK example, run exactly as written (its code block is plain ES module code).
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README', () => {
  it('runs its SDK example as written and sees the lifecycle events', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'README has a ts example').to.be.a('string');
    // Written inside the repo so its imports resolve through the workspace's node_modules.
    const file = join(root, 'test', '.readme-example.mjs');
    writeFileSync(file, code);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 60_000 });
      expect(stdout).to.match(/state: 'running'/);
      // Events arrive from libvirt's event loop; the example prints them last.
      expect(stdout).to.match(/'vm1 defined'.*'vm1 started'.*'vm1 stopped'.*'vm1 undefined'/s);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
