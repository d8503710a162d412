import { execFile } from 'node:child_process';
import { TimeoutError } from '@virtmig/core';
import { CommandFailedError } from './errors.js';
import { redact, redactAll } from './redact.js';
import type { CommandRunner, RunLogger, RunOptions, RunResult } from './runner.js';

/** Options of a {@link LocalRunner}. */
export interface LocalRunnerOptions {
  /** Default timeout per command (ms). Default 60 000. */
  readonly timeoutMs?: number;
  /** Receives one redacted line per command run. */
  readonly logger?: RunLogger;
  /** Largest stdout/stderr kept (bytes). Default 64 MiB. */
  readonly maxBuffer?: number;
}

/** Runs commands on this machine with `child_process.execFile` (no shell). */
export class LocalRunner implements CommandRunner {
  readonly description = 'local';
  private readonly timeoutMs: number;
  private readonly logger: RunLogger | undefined;
  private readonly maxBuffer: number;

  constructor(options: LocalRunnerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.logger = options.logger;
    this.maxBuffer = options.maxBuffer ?? 64 * 1024 * 1024;
  }

  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const secretEnv = options.secretEnv ?? {};
    const secrets = [...(options.secrets ?? []), ...Object.values(secretEnv)];
    const argv = redactAll([command, ...args], secrets);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    this.logger?.(`run ${argv.join(' ')}`);
    return new Promise<RunResult>((resolve, reject) => {
      const child = execFile(
        command,
        [...args],
        {
          encoding: 'buffer',
          env: { ...process.env, ...options.env, ...secretEnv },
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: this.maxBuffer,
          windowsHide: true,
        },
        (error, stdoutBytes, stderrBytes) => {
          const stdout = stdoutBytes.toString('utf8');
          const stderr = stderrBytes.toString('utf8');
          if (!error) {
            resolve({ stdout, stderr, stdoutBytes });
            return;
          }
          const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: unknown };
          if (e.killed && e.signal === 'SIGKILL' && timeoutMs > 0) {
            reject(new TimeoutError(argv.join(' '), timeoutMs));
            return;
          }
          const exitCode = typeof e.code === 'number' ? e.code : null;
          const detail = stderr || (exitCode === null && e.signal == null ? String(e.message) : '');
          this.logger?.(`failed ${argv[0]}: ${redact(detail, secrets).trim()}`);
          reject(new CommandFailedError(argv, exitCode, e.signal ?? null, redact(detail, secrets)));
        },
      );
      child.stdin?.on('error', () => {
        // The child may exit without reading its input (EPIPE); its exit status reports that.
      });
      child.stdin?.end(options.input ?? '');
    });
  }
}
