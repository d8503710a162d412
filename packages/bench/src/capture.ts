import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { promisify } from 'node:util';
import type { Accelerator, HostEnvironment, Hypervisor, LinkShaping, RunEnvironment } from '@virtmig/core';
import { parseUri } from '@virtmig/core';
import { REPO_ROOT, repoPath } from './paths.js';
import type { HostPairSpec } from './spec-types.js';

/** Drivers whose hosts run no real guests: a run on them measures a model, not a machine. */
export const SIMULATED_DRIVERS: ReadonlySet<string> = new Set(['fake', 'test']);

/** What the runner knows about a spec's hosts beyond what their connections report. */
export interface HostsSetting {
  /** The migration link's limit (the lab's `shape` setting), `none`, or `unknown`. */
  readonly linkShaping: LinkShaping | 'none' | 'unknown';
  /** True when the hosts run on this machine's kernel (the local lab's namespaces, `qemu:///system`). */
  readonly localKernel: boolean;
}

/** virtmig's version and commit, as {@link virtmigBuild} finds them. */
export interface VirtmigBuild {
  /** The packages' version (this package's `package.json`). */
  readonly version: string;
  /** `git rev-parse HEAD` of the checkout virtmig runs from, `-dirty` appended for uncommitted changes; null outside one. */
  readonly commit: string | null;
}

let build: Promise<VirtmigBuild> | undefined;

/**
 * virtmig's version and, when it runs from a git checkout, its commit. Only a `.git` at the
 * repository root counts: an installed virtmig inside someone's project must not report that
 * project's commit. Read once per process.
 */
export function virtmigBuild(): Promise<VirtmigBuild> {
  build ??= (async () => {
    const pkg = JSON.parse(readFileSync(repoPath('packages/bench/package.json'), 'utf8')) as { version?: unknown };
    const version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    if (!existsSync(repoPath('.git'))) return { version, commit: null };
    const git = (args: string[]) =>
      promisify(execFile)('git', ['-C', REPO_ROOT, ...args], { timeout: 10_000 }).then((r) => r.stdout.trim());
    try {
      const head = await git(['rev-parse', 'HEAD']);
      const dirty = (await git(['status', '--porcelain', '--untracked-files=no'])) !== '';
      return { version, commit: `${head}${dirty ? '-dirty' : ''}` };
    } catch {
      return { version, commit: null };
    }
  })();
  return build;
}

/**
 * How guests execute on a host: simulated drivers are `simulated`, Xen is `xen`; for QEMU the
 * `domainType` the connection was opened with (the lab's setting: `qemu` is TCG), else KVM when
 * the host's capabilities offer it, as the QEMU driver then uses it.
 */
export function acceleratorOf(
  driver: string,
  hypervisorType: string,
  capabilitiesXml: string,
  connectOptions?: Readonly<Record<string, string | number | boolean>>,
): Accelerator {
  if (SIMULATED_DRIVERS.has(driver) || /^(fake|test)$/i.test(hypervisorType)) return 'simulated';
  if (driver === 'xen' || /xen/i.test(hypervisorType)) return 'xen';
  if (driver === 'qemu' || /qemu|kvm/i.test(hypervisorType)) {
    const type = connectOptions?.domainType;
    if (type === 'qemu') return 'tcg';
    if (type === 'kvm') return 'kvm';
    return /<domain\s+type=['"]kvm['"]/.test(capabilitiesXml) ? 'kvm' : 'tcg';
  }
  return 'unknown';
}

/** Whether a host URI names this machine (no host, or a loopback one) on a driver with real guests. */
export function isLocalUri(uri: string): boolean {
  const parsed = parseUri(uri);
  return !SIMULATED_DRIVERS.has(parsed.driver) && ['', 'localhost', '127.0.0.1', '::1'].includes(parsed.host);
}

/** One connected end of a host pair, for {@link captureEnvironment}. */
export interface CapturedEnd {
  /** Index of the pair. */
  readonly pair: number;
  /** The pair as the spec gives it. */
  readonly spec: HostPairSpec;
  /** The pair's connected source host. */
  readonly source: Hypervisor;
  /** The pair's connected destination host. */
  readonly destination: Hypervisor;
}

async function hostEnvironment(
  pair: CapturedEnd,
  role: 'source' | 'destination',
  setting: HostsSetting,
): Promise<HostEnvironment> {
  const h = pair[role];
  const [info, caps] = await Promise.all([h.hostInfo(), h.capabilitiesXml()]);
  const accelerator = acceleratorOf(h.driver, info.hypervisorType, caps, pair.spec.connectOptions);
  return {
    pair: pair.pair,
    role,
    uri: h.uri,
    driver: h.driver,
    hostname: info.hostname,
    hypervisorType: info.hypervisorType,
    hypervisorVersion: info.hypervisorVersion,
    libvirtVersion: info.libvirtVersion,
    cpuModel: info.model,
    cpus: info.cpus,
    cpuMhz: info.mhz,
    memoryKiB: info.memoryKiB,
    accelerator,
    kernel: accelerator !== 'simulated' && setting.localKernel ? release() : null,
  };
}

/** Asks every connected host what it runs, and adds the runner's machine and virtmig's own build. */
export async function captureEnvironment(
  pairs: readonly CapturedEnd[],
  setting: HostsSetting,
): Promise<RunEnvironment> {
  const hosts: HostEnvironment[] = [];
  for (const p of pairs) {
    hosts.push(await hostEnvironment(p, 'source', setting), await hostEnvironment(p, 'destination', setting));
  }
  const b = await virtmigBuild();
  return {
    simulated: hosts.length > 0 && hosts.every((h) => h.accelerator === 'simulated'),
    virtmigVersion: b.version,
    virtmigCommit: b.commit,
    runner: {
      hostname: hostname(),
      kernel: release(),
      platform: `${process.platform} ${process.arch}`,
      nodeVersion: process.version,
    },
    linkShaping: setting.linkShaping,
    hosts,
  };
}

/** The id of an environment: a hash of its content, so runs in the same environment share it. */
export function environmentId(environment: RunEnvironment): string {
  return `env-${createHash('sha256').update(JSON.stringify(environment)).digest('hex').slice(0, 16)}`;
}
