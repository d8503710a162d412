import { VirtmigError } from '@virtmig/core';

/**
 * An external command exited non-zero, was killed, or could not be started.
 * `argv` and `stderr` have every secret the caller declared replaced by `***`.
 */
export class CommandFailedError extends VirtmigError {
  /** Program and arguments, secrets redacted. */
  readonly argv: readonly string[];
  /** Exit status, or null when the process did not exit normally (signal, spawn failure). */
  readonly exitCode: number | null;
  /** Signal that ended the process, if any. */
  readonly signal: string | null;
  /** Standard error (or the spawn failure), secrets redacted. */
  readonly stderr: string;

  constructor(argv: readonly string[], exitCode: number | null, signal: string | null, stderr: string) {
    const how =
      exitCode !== null ? `exited with status ${exitCode}` : signal ? `was killed by ${signal}` : 'could not run';
    const firstLine = stderr.trim().split('\n').slice(-1)[0] ?? '';
    super('E_COMMAND_FAILED', `${argv[0] ?? 'command'} ${how}${firstLine ? `: ${firstLine}` : ''}`, {
      argv: [...argv],
      exitCode,
      signal,
      stderr,
    });
    this.argv = Object.freeze([...argv]);
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderr = stderr;
  }
}
