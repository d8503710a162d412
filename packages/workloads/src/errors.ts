import { VirtmigError } from '@virtmig/core';

/**
 * An external command (make, a workload binary) exited non-zero or was killed.
 * `details` carries the argv, exit code or signal and the tail of its stderr.
 */
export class CommandFailedError extends VirtmigError {
  /** Exit code, or null when a signal ended the process. */
  readonly exitCode: number | null;
  /** The signal that ended the process, if any. */
  readonly signal: NodeJS.Signals | null;
  /** The last lines the command wrote to stderr. */
  readonly stderrTail: string;

  constructor(
    what: string,
    argv: readonly string[],
    exitCode: number | null,
    signal: NodeJS.Signals | null,
    stderrTail: string,
    details: Record<string, unknown> = {},
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    const reason = CommandFailedError.reason(stderrTail);
    super('E_COMMAND_FAILED', `${what} ${how}${reason ? `: ${reason}` : ''}`, {
      argv: [...argv],
      exitCode,
      signal,
      stderrTail,
      ...details,
    });
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }

  /**
   * The line of stderr that says why: the first `program: ...` line (the workloads and make put the
   * reason first and usage help after it), else the last line.
   */
  static reason(stderr: string): string {
    const lines = stderr.split('\n').filter((l) => l.trim().length > 0);
    return (lines.find((l) => /^[A-Za-z][\w.-]*: /.test(l)) ?? lines[lines.length - 1] ?? '').trim();
  }
}

/** Exit code the workload binaries use when their result failed verification. */
export const EXIT_VERIFY_FAILED = 1;
/** Exit code the workload binaries use for a usage error. */
export const EXIT_USAGE = 2;

/** A workload ran to the end but its computation failed its own verification (exit code 1). */
export class WorkloadVerificationError extends CommandFailedError {}
