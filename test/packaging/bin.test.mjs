// The committed `virtmig` bin: npm links it at install time, before dist/ is built.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ROOT } from './registry.mjs';

describe('the virtmig bin', () => {
  it('says how to build when @virtmig/cli is not built, and exits 4 (a required component is missing)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'virtmig-bin-'));
    try {
      await mkdir(join(dir, 'bin'));
      await copyFile(join(ROOT, 'packages', 'cli', 'bin', 'virtmig.js'), join(dir, 'bin', 'virtmig.js'));
      const err = await promisify(execFile)(process.execPath, [join(dir, 'bin', 'virtmig.js'), '--help']).then(
        () => null,
        (e) => e,
      );
      expect(err?.code).to.equal(4);
      expect(err.stderr).to.include('run `npm run build` at the repository root');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs the built CLI when dist/ exists', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(ROOT, 'packages', 'cli', 'bin', 'virtmig.js'),
      '--help',
    ]);
    expect(stdout).to.match(/^Usage: virtmig/);
  });
});
