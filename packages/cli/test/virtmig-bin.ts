import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');

/** What one run of the `virtmig` binary ended with. */
export interface VirtmigRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `virtmig` binary with `args`; resolves with its exit code and streams, never rejects. */
export async function virtmig(...args: string[]): Promise<VirtmigRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
