import { spawn } from 'node:child_process';
import { AbortedError, InvalidArgumentError, NotFoundError, TimeoutError } from '@virtmig/core';

/** What a finished child process left behind. */
export interface ProcessOutcome {
  /** Standard output, decoded as UTF-8. */
  readonly stdout: string;
  /** Standard error, decoded as UTF-8. */
  readonly stderr: string;
  /** Exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended it, or null. */
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  /** Working directory of the child. */
  readonly cwd?: string;
  /** Kill the child (SIGKILL) and throw `E_TIMEOUT` after this many ms. */
  readonly timeoutMs?: number;
  /** Kill the child and throw `E_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Called with each complete line the child writes to stderr. */
  readonly onStderrLine?: (line: string) => void;
}

/** Keeps only the end of a long stderr for error messages. */
export const STDERR_TAIL_CHARS = 4000;

/**
 * Runs argv (no shell) to completion and collects its output. Rejects only when the process
 * could not be started, timed out or was aborted; a non-zero exit is the caller's to judge.
 */
export function runProcess(argv: readonly string[], options: RunProcessOptions = {}): Promise<ProcessOutcome> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new InvalidArgumentError('argv', 'must name a command'));
  if (options.signal?.aborted) return Promise.reject(new AbortedError(file));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let failure: Error | undefined;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (stderr.length > 4 * STDERR_TAIL_CHARS) stderr = stderr.slice(-STDERR_TAIL_CHARS);
      if (!options.onStderrLine) return;
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onStderrLine(line);
    });
    const kill = (err: Error) => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => kill(new TimeoutError(file, options.timeoutMs ?? 0)), options.timeoutMs)
        : undefined;
    const onAbort = () => kill(new AbortedError(file, { cause: options.signal?.reason }));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(
        err.code === 'ENOENT' ? new NotFoundError('command', file, `command not found: ${file}`, { cause: err }) : err,
      );
    });
    child.on('close', (exitCode, signal) => {
      cleanup();
      if (failure) return reject(failure);
      if (pending && options.onStderrLine) options.onStderrLine(pending);
      resolvePromise({ stdout, stderr: stderr.slice(-STDERR_TAIL_CHARS), exitCode, signal });
    });
  });
}
