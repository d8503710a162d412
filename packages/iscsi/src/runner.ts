/** Options of one command run. */
export interface RunOptions {
  /** Written to the command's standard input, then stdin is closed. */
  readonly input?: string | Buffer;
  /** Extra environment variables (not secret: they may be logged). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Secret environment variables. A local run puts them in the child's environment; an ssh run
   * sends them over the ssh channel's stdin, never on a command line. Their values are redacted.
   */
  readonly secretEnv?: Readonly<Record<string, string>>;
  /** Strings to redact from errors and logs (e.g. a password a tool only takes in argv). */
  readonly secrets?: readonly string[];
  /** Kill the command after this many milliseconds (default: the runner's). */
  readonly timeoutMs?: number;
}

/** What a successful run produced. */
export interface RunResult {
  /** Standard output, decoded as UTF-8. */
  readonly stdout: string;
  /** Standard error, decoded as UTF-8. */
  readonly stderr: string;
  /** Raw standard output, for binary data. */
  readonly stdoutBytes: Buffer;
}

/** A log sink; it only ever receives redacted text. */
export type RunLogger = (line: string) => void;

/**
 * Runs one program with an argument array, locally or on another host. Implementations never
 * go through a local shell, reject with `CommandFailedError` on a non-zero exit and with core's
 * `TimeoutError` when `timeoutMs` passes, and redact secrets from everything they report.
 */
export interface CommandRunner {
  /** Where commands run, for messages (e.g. `local`, `ssh root@host`). */
  readonly description: string;
  /**
   * Runs `command` with `args` (no shell).
   * @throws {@link CommandFailedError} `E_COMMAND_FAILED` when the program cannot start or exits non-zero.
   * @throws {@link @virtmig/core!TimeoutError} `E_TIMEOUT` when `options.timeoutMs` passes first.
   */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}
