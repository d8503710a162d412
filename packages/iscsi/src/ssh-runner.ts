import { InvalidArgumentError } from '@virtmig/core';
import { LocalRunner } from './local-runner.js';
import type { CommandRunner, RunOptions, RunResult } from './runner.js';

/**
 * Quotes one word for a POSIX shell: wrapped in single quotes, each embedded `'` written as
 * `'\''`. Inside single quotes a POSIX shell gives no character a special meaning, so any
 * string (spaces, `$`, backquotes, `;`, newlines) reaches the remote program unchanged.
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new InvalidArgumentError('argument', 'contains a NUL byte');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Host key checking as passed to `ssh -o StrictHostKeyChecking=`. */
export type HostKeyPolicy = 'yes' | 'accept-new' | 'no';

/** Options of an {@link SshRunner}. */
export interface SshRunnerOptions {
  /** Remote host name or address. */
  readonly host: string;
  /** Remote user (`ssh -l`). Default: ssh's own. */
  readonly user?: string;
  /** Remote port (`ssh -p`). Default: ssh's own. */
  readonly port?: number;
  /** Private key file (`ssh -i`). */
  readonly identityFile?: string;
  /** Default `yes`: an unknown or changed host key fails the command. */
  readonly strictHostKeyChecking?: HostKeyPolicy;
  /** `ssh -o UserKnownHostsFile=`. */
  readonly knownHostsFile?: string;
  /** Further `-o Key=Value` options, e.g. `{ ConnectTimeout: '5' }`. */
  readonly sshOptions?: Readonly<Record<string, string>>;
  /** The ssh program. Default `ssh`. */
  readonly sshCommand?: string;
  /** Runs the local `ssh` process. Default: a new {@link LocalRunner}. */
  readonly local?: CommandRunner;
}

const HOST = /^[A-Za-z0-9_.:%[\]-]+$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPT_KEY = /^[A-Za-z][A-Za-z0-9]*$/;
const OPT_VALUE = /^[A-Za-z0-9_.,:@/+=%~-]+$/;

/**
 * Runs commands on another host through the `ssh` client. The local side is an argument array
 * (no local shell); the remote side is a command line each of whose words is quoted with
 * {@link shellQuote}, so the remote login shell must be a POSIX shell. Secret environment
 * variables travel on the channel's stdin, read by the remote shell with `IFS= read -r`, and
 * never appear on either command line.
 */
export class SshRunner implements CommandRunner {
  readonly description: string;
  private readonly options: SshRunnerOptions;
  private readonly local: CommandRunner;

  constructor(options: SshRunnerOptions) {
    if (!HOST.test(options.host) || options.host.startsWith('-')) {
      throw new InvalidArgumentError('host', `not a host name or address: ${JSON.stringify(options.host)}`);
    }
    if (options.user !== undefined && !USER.test(options.user)) {
      throw new InvalidArgumentError('user', `not a user name: ${JSON.stringify(options.user)}`);
    }
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
      throw new InvalidArgumentError('port', `must be an integer in [1, 65535], got ${JSON.stringify(options.port)}`);
    }
    for (const [k, v] of Object.entries(options.sshOptions ?? {})) {
      if (!OPT_KEY.test(k) || !OPT_VALUE.test(v)) {
        throw new InvalidArgumentError('sshOptions', `bad ssh option ${JSON.stringify(`${k}=${v}`)}`);
      }
    }
    for (const [field, path] of [
      ['identityFile', options.identityFile],
      ['knownHostsFile', options.knownHostsFile],
    ] as const) {
      if (path !== undefined && (!path.startsWith('/') || /[\0\n\r]/.test(path))) {
        throw new InvalidArgumentError(field, 'must be an absolute path without NUL or newline');
      }
    }
    this.options = options;
    this.local = options.local ?? new LocalRunner();
    this.description = `ssh ${options.user ? `${options.user}@` : ''}${options.host}`;
  }

  /** The local `ssh` argument list (without the program) that runs `remoteCommand`. */
  sshArgs(remoteCommand: string): string[] {
    const o = this.options;
    const args = ['-T', '-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${o.strictHostKeyChecking ?? 'yes'}`];
    if (o.knownHostsFile !== undefined) args.push('-o', `UserKnownHostsFile=${o.knownHostsFile}`);
    if (o.identityFile !== undefined) args.push('-i', o.identityFile);
    if (o.port !== undefined) args.push('-p', String(o.port));
    if (o.user !== undefined) args.push('-l', o.user);
    for (const [k, v] of Object.entries(o.sshOptions ?? {})) args.push('-o', `${k}=${v}`);
    args.push('--', o.host, remoteCommand);
    return args;
  }

  /**
   * The remote command line: secret variables are read from stdin (one line each, in order),
   * exported, then the program replaces the shell.
   */
  static remoteCommand(
    command: string,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
    secretNames: readonly string[] = [],
  ): string {
    const parts: string[] = [];
    for (const name of secretNames) {
      if (!ENV_NAME.test(name))
        throw new InvalidArgumentError('secretEnv', `bad variable name ${JSON.stringify(name)}`);
      parts.push(`IFS= read -r ${name} && export ${name} && `);
    }
    const assignments = Object.entries(env).map(([k, v]) => {
      if (!ENV_NAME.test(k)) throw new InvalidArgumentError('env', `bad variable name ${JSON.stringify(k)}`);
      return `${k}=${shellQuote(v)} `;
    });
    return `${parts.join('')}exec ${assignments.length ? `env ${assignments.join('')}` : ''}${[command, ...args].map(shellQuote).join(' ')}`;
  }

  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const secretEnv = options.secretEnv ?? {};
    const names = Object.keys(secretEnv);
    for (const v of Object.values(secretEnv)) {
      if (/[\n\r\0]/.test(v)) throw new InvalidArgumentError('secretEnv', 'a secret value contains a newline or NUL');
    }
    const remote = SshRunner.remoteCommand(command, args, options.env, names);
    const preamble = names.map((n) => `${secretEnv[n]}\n`).join('');
    const input =
      options.input === undefined
        ? preamble
        : Buffer.concat([
            Buffer.from(preamble),
            Buffer.isBuffer(options.input) ? options.input : Buffer.from(options.input),
          ]);
    const runOptions: RunOptions = {
      input,
      secrets: [...(options.secrets ?? []), ...Object.values(secretEnv)],
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    };
    return this.local.run(this.options.sshCommand ?? 'ssh', this.sshArgs(remote), runOptions);
  }
}
