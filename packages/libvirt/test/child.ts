import { spawn } from 'node:child_process';

/** What a child Node process did: exit code, signal, output and how long after `mark` it exited. */
export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the first stdout line equal to `mark` to the exit (or null). */
  readonly exitAfterMarkMs: number | null;
}

const INDEX = new URL('../src/index.js', import.meta.url).href;

/**
 * Runs an ES module body in a fresh Node process, with `lib` bound to this package's built index,
 * so a crash (SIGSEGV) fails the test instead of killing mocha. Killed after `timeoutMs`.
 */
export function runChild(
  body: string,
  options: { mark?: string; timeoutMs?: number; gc?: boolean } = {},
): Promise<ChildRun> {
  const source = `const lib = await import(${JSON.stringify(INDEX)});\n${body}`;
  const args = [...(options.gc ? ['--expose-gc'] : []), '--input-type=module', '-e', source];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let markAt: number | null = null;
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (markAt === null && options.mark !== undefined && stdout.split('\n').includes(options.mark))
        markAt = Date.now();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, exitAfterMarkMs: markAt === null ? null : Date.now() - markAt });
    });
  });
}
