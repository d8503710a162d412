// Shared pieces of the bad-input corpus tests: a canary program that proves nothing ran, a
// snapshot of a directory tree that proves nothing was created or changed, and the CLI runner.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built CLI entry point. */
export const cliBin = join(root, 'packages', 'cli', 'dist', 'src', 'bin.js');

/**
 * A temporary directory holding an executable canary: running it (as a program named in a URI,
 * a spec or a flag) writes `ran` beside it. `ran()` says whether it ran; `dispose()` removes it.
 */
export function makeCanary() {
  const dir = mkdtempSync(join(tmpdir(), 'virtmig-canary-'));
  const program = join(dir, 'canary');
  const marker = join(dir, 'ran');
  writeFileSync(program, `#!/bin/sh\necho "$0 $*" >> '${marker}'\nexit 0\n`);
  chmodSync(program, 0o755);
  return {
    dir,
    program,
    ran: () => existsSync(marker),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every file and directory below `dir` with its content hash (directories: `dir`), sorted. */
export function snapshotTree(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.push(`${relative(dir, p)}/ dir`);
        walk(p);
      } else {
        out.push(`${relative(dir, p)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/**
 * Runs the virtmig CLI with `args` (an argument array, no shell) in `cwd`; resolves with
 * `{ code, stdout, stderr }` whatever the exit code.
 */
export function runCli(args, { cwd = root, env = process.env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliBin, ...args], { cwd, env, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
