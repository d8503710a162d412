import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, NotFoundError, StateError, UnsupportedError } from '@virtmig/core';

/** Root of the repository this CLI was built in (the lab and guest scripts live there). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** One host of `scripts/lab/lab status --json`. */
export interface LabHost {
  readonly name: string;
  readonly running: boolean;
  readonly pid: number | null;
  /** `qemu+unix:///system?socket=...`, usable from this machine. */
  readonly uri: string;
  readonly address: string;
  readonly migrateUri: string;
  readonly domains: readonly unknown[];
  readonly [key: string]: unknown;
}

/** `scripts/lab/lab status --json`. */
export interface LabStatus {
  readonly state: 'running' | 'stopped' | 'partial' | string;
  readonly prefix: string;
  readonly stateDir: string;
  readonly accel: string;
  readonly domainType: 'kvm' | 'qemu';
  readonly hosts: readonly LabHost[];
  readonly link: { readonly subnet: string; readonly shape: unknown };
}

const PREFIX = /^[a-z][a-z0-9]{0,11}$/;

/** The lab prefix to use: the option, else `$VIRTMIG_LAB_PREFIX`, else `vmlab`. Throws `E_INVALID_ARGUMENT` for a bad one. */
export function labPrefix(option?: string): string {
  const p = option ?? process.env.VIRTMIG_LAB_PREFIX ?? 'vmlab';
  if (!PREFIX.test(p))
    throw new InvalidArgumentError(
      '--prefix',
      `must be 1-12 lower-case letters/digits starting with a letter, got ${JSON.stringify(p)}`,
    );
  return p;
}

/** Absolute path of a script under the repository, after checking it is executable. */
export async function repoScript(relative: string): Promise<string> {
  const path = `${REPO_ROOT}${relative}`;
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new UnsupportedError(
      `${relative} (not found at ${path}; the lab commands run from a source checkout)`,
      'cli',
    );
  }
  return path;
}

/**
 * Runs a script of the repository with an argument array (no shell). `progress` receives its
 * stderr line by line as it comes (a cold Xen testbed takes minutes to boot; even the QEMU lab's
 * first `up` takes seconds); resolves to its stdout and stderr; a non-zero exit is `E_STATE`
 * naming `what` and the script's last stderr line.
 */
async function runScript(
  relative: string,
  args: readonly string[],
  what: string,
  progress?: (line: string) => void,
): Promise<{ stdout: string; stderr: string }> {
  const script = await repoScript(relative);
  return new Promise((resolve, reject) => {
    const child = spawn(script, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const emit = (line: string): void => {
      if (line) progress?.(line);
    };
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      stderr += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(emit);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      emit(partial);
      if (code === 0) return resolve({ stdout, stderr });
      const tail = stderr.trim().split('\n').at(-1) || `exit ${code}`;
      reject(new StateError(`${what} failed: ${tail}`, { exitCode: code }));
    });
  });
}

/**
 * Runs `scripts/lab/lab --prefix P ARGS...`; `progress` gets its log lines as they come.
 * @throws {@link @virtmig/core!StateError} `E_STATE` when the script fails, with its last log line.
 */
export async function runLab(
  prefix: string,
  args: readonly string[],
  progress?: (line: string) => void,
): Promise<{ stdout: string; stderr: string }> {
  return runScript('scripts/lab/lab', ['--prefix', labPrefix(prefix), ...args], `lab ${args[0] ?? ''}`, progress);
}

/** The lab's status as JSON. */
export async function labStatus(prefix: string): Promise<LabStatus> {
  return JSON.parse((await runLab(prefix, ['status', '--json'])).stdout) as LabStatus;
}

/** A lab host by name (`a`/`b`, also `A`/`B`); throws `E_NOT_FOUND` when there is no such host, `E_STATE` when it is down. */
export function labHost(status: LabStatus, name: string): LabHost {
  const host = status.hosts.find((h) => h.name === name.toLowerCase());
  if (!host)
    throw new NotFoundError(
      'lab host',
      name,
      `no lab host "${name}" (the lab has ${status.hosts.map((h) => h.name).join(', ')})`,
    );
  if (!host.running)
    throw new StateError(`lab host "${host.name}" of lab "${status.prefix}" is not running; run \`virtmig lab up\``, {
      host: host.name,
    });
  return host;
}

/** True for a lab host name (`a` or `b`, as scripts/lab/lab names its two hosts) rather than a libvirt URI. */
export function isLabHostName(s: string): boolean {
  return /^[ab]$/i.test(s);
}

/** A one-screen summary of the lab status. */
export function formatLabStatus(s: LabStatus): string {
  const lines = [`lab ${s.prefix}: ${s.state} (${s.accel}, domain type ${s.domainType}), state in ${s.stateDir}`];
  for (const h of s.hosts) {
    lines.push(
      `  ${h.name}  ${h.running ? `running pid ${h.pid}` : 'stopped'}  ${h.uri}  migrate ${h.migrateUri}  domains ${h.domains.length}`,
    );
  }
  lines.push(`  link ${s.link.subnet} ${s.link.shape ? `shaped ${JSON.stringify(s.link.shape)}` : 'unshaped'}`);
  return lines.join('\n');
}

/** Which lab a `lab` command drives: the local two-host QEMU lab or the nested Xen testbed. */
export type LabKind = 'qemu' | 'xen';

/** Checks `--kind`: `qemu` (default) or `xen`; throws `E_INVALID_ARGUMENT` otherwise. */
export function labKind(option?: string): LabKind {
  const kind = option ?? 'qemu';
  if (kind !== 'qemu' && kind !== 'xen') {
    throw new InvalidArgumentError('--kind', `must be qemu or xen, got ${JSON.stringify(kind)}`);
  }
  return kind;
}

/** One host of `scripts/xenlab/xenlab status --json` (`storage`, `xen-a`, `xen-b`). */
export interface XenlabHost {
  readonly name: string;
  readonly running: boolean;
  readonly pid: number | null;
  readonly sshPort: number;
  /** `xen+tls://127.0.0.1:PORT/system?pkipath=...` (the Xen hosts only). */
  readonly uri?: string;
  readonly migrationAddress?: string;
  readonly [key: string]: unknown;
}

/** `scripts/xenlab/xenlab status --json`. */
export interface XenlabStatus {
  readonly state: string;
  readonly stateDir: string;
  readonly accel: string;
  readonly hosts: readonly XenlabHost[];
  readonly link: { readonly shape: string | null };
  readonly [key: string]: unknown;
}

/**
 * Runs `scripts/xenlab/xenlab ARGS...`; `progress` gets its log lines as they come; resolves to stdout.
 * @throws {@link @virtmig/core!StateError} `E_STATE` when the script fails, with its last log line.
 */
export async function runXenlab(args: readonly string[], progress?: (line: string) => void): Promise<string> {
  return (await runScript('scripts/xenlab/xenlab', args, `xenlab ${args[0] ?? ''}`, progress)).stdout;
}

/** The Xen testbed's status as JSON. */
export async function xenlabStatus(): Promise<XenlabStatus> {
  return JSON.parse(await runXenlab(['status', '--json'])) as XenlabStatus;
}

/** A one-screen summary of the Xen testbed's status. */
export function formatXenlabStatus(s: XenlabStatus): string {
  const lines = [`xenlab: ${s.state} (${s.accel}), state in ${s.stateDir}`];
  for (const h of s.hosts) {
    const where = h.uri ? `  ${h.uri}  migrate tcp://${h.migrationAddress}` : '';
    lines.push(`  ${h.name}  ${h.running ? `running pid ${h.pid}` : 'stopped'}  ssh 127.0.0.1:${h.sshPort}${where}`);
  }
  lines.push(`  migration link ${s.link.shape ? `shaped ${s.link.shape}` : 'unshaped'}`);
  return lines.join('\n');
}
