import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ChapCredentials,
  type DiskConfig,
  type DriverRegistry,
  InvalidArgumentError,
  isSecretCapable,
  isVirtmigError,
  NotFoundError,
  ParseError,
  type SecretCapable,
  StateError,
  TimeoutError,
  UnsupportedError,
} from '@virtmig/core';
import { CommandFailedError } from './errors.js';
import { LibiscsiInitiator } from './libiscsi-initiator.js';
import { LocalRunner } from './local-runner.js';
import { assertNetnsName, NetnsRunner } from './netns-runner.js';
import type { CommandRunner } from './runner.js';
import { freeControlPort, TGTD_SOCKET_DIR } from './tgt-daemon.js';
import type { TgtTarget } from './tgtadm-parse.js';
import { TgtadmTarget } from './tgtadm-target.js';
import { assertAbsolutePath, assertHost, assertPort, assertSizeBytes, formatPortal } from './validate.js';

/** The parts of `scripts/lab/lab status --json` that {@link LabStorage.forLab} reads. */
export interface LabStatusLike {
  /** Lab prefix (`vmlab`). */
  readonly prefix: string;
  /** The lab's state directory. */
  readonly stateDir: string;
  /** The lab's hosts. */
  readonly hosts: readonly {
    /** Host name in the lab (`a`, `b`). */
    readonly name: string;
    /** libvirt URI reachable from this machine. */
    readonly uri?: string;
    /** Network namespace the host lives in. */
    readonly netns?: string;
    /** The host's address on the lab network. */
    readonly address?: string;
  }[];
}

/** The lab's shared disk is LUN 1 (tgt's LUN 0 is its controller). */
export const LAB_STORAGE_LUN = 1;
/** Default size of the lab's shared disk: 256 MiB, sparse. */
export const LAB_STORAGE_DEFAULT_SIZE = 256 * 1024 * 1024;
/** Largest disk `up` creates (the file is sparse, but a guest may fill it). */
export const LAB_STORAGE_MAX_SIZE = 64 * 1024 * 1024 * 1024;

/** One lab host that uses the shared disk. */
export interface LabStorageHost {
  /** Host name in the lab (`a`, `b`): names its initiator IQN. */
  readonly name: string;
  /** libvirt URI reachable from this machine; the CHAP secret is defined there. */
  readonly uri?: string;
  /** Network namespace the host lives in; {@link LabStorage.initiator} runs its tools there. */
  readonly netns?: string;
}

/** A connection to one host's libvirt that keeps secrets; {@link LabStorage} closes it when done. */
export type SecretHost = SecretCapable & {
  /** Closes the connection. */
  close(): Promise<void>;
};

/**
 * Opens a {@link SecretHost} for a lab host's libvirt URI: how {@link LabStorage} defines the
 * CHAP secret without a tool's command line. {@link secretHostsVia} makes one from a driver registry.
 */
export type SecretHostConnector = (uri: string) => Promise<SecretHost>;

/**
 * A {@link SecretHostConnector} over a driver registry: connects with the registry's driver for
 * the URI and checks that the host keeps secrets.
 * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` (from the returned function) when the driver is not {@link @virtmig/core!SecretCapable} or its host keeps no secrets; the connection is closed first.
 */
export function secretHostsVia(registry: DriverRegistry): SecretHostConnector {
  return async (uri) => {
    const h = await registry.connect(uri);
    if (isSecretCapable(h) && h.capabilities.secrets) return h;
    await h.close();
    throw new UnsupportedError('secrets (the CHAP secret of the lab storage needs them)', h.driver);
  };
}

/** Options of a {@link LabStorage}. */
export interface LabStorageOptions {
  /** Lab prefix (`vmlab`): names the IQNs and the libvirt secret's usage. */
  readonly prefix: string;
  /** The lab's state directory; the storage keeps its files in `STATE/storage`. */
  readonly stateDir: string;
  /** Network namespace tgtd runs in (the guests' QEMUs must reach the portal from their hosts). */
  readonly netns: string;
  /** Portal address inside that namespace, e.g. host a's veth address 10.77.0.1. */
  readonly address: string;
  /** Portal port. Default 3260. */
  readonly port?: number;
  /** The hosts allowed on the target (ACL by initiator IQN) and given the CHAP secret. */
  readonly hosts: readonly LabStorageHost[];
  /** Runs tgtd, tgtadm and the file commands. Default: a {@link LocalRunner}. */
  readonly runner?: CommandRunner;
  /**
   * Connects to a host's libvirt to define, and later undefine, the CHAP secret there (e.g.
   * {@link secretHostsVia}, or `(uri) => QemuHypervisor.open(uri)`). Needed for `up({ chap: true })`
   * and for `down` of a disk served with CHAP.
   */
  readonly secrets?: SecretHostConnector;
  /** How long tgtd may take to answer and listen. Default 10 s. */
  readonly readyTimeoutMs?: number;
}

/** Options of {@link LabStorage.up}. */
export interface LabStorageUpOptions {
  /** Size of the LUN's sparse backing file. Default {@link LAB_STORAGE_DEFAULT_SIZE}. */
  readonly sizeBytes?: number;
  /** One-way CHAP with a generated secret, also defined as a libvirt secret on every host. Default false. */
  readonly chap?: boolean;
}

/** What {@link LabStorage.status} reports. No secret value ever appears here. */
export interface LabStorageStatus {
  /** `running`: tgtd answers and serves the LUN; `partial`: some of it is left (run `down`); `stopped`: nothing. */
  readonly state: 'running' | 'partial' | 'stopped';
  /** Lab prefix the storage was brought up for. */
  readonly prefix: string;
  /** Portal as `host:port`, as a domain's iSCSI disk takes it. */
  readonly portal?: string;
  /** Network namespace tgtd runs in. */
  readonly netns?: string;
  /** Target IQN. */
  readonly iqn?: string;
  /** LUN number of the shared disk on the target. */
  readonly lun?: number;
  /** Path of the LUN's sparse backing file. */
  readonly backingFile?: string;
  /** Size of the LUN in bytes. */
  readonly sizeBytes?: number;
  /** The private tgtd serving the target. */
  readonly tgtd?: {
    /** tgtd's process id, or null when it is not known. */
    readonly pid: number | null;
    /** tgtd's control port (`tgtadm -C`). */
    readonly controlPort: number;
    /** Whether tgtd answers on that port. */
    readonly running: boolean;
  };
  /** Initiator IQN of each host, all of them in the target's ACL. */
  readonly initiators?: readonly {
    /** Lab host name. */
    readonly host: string;
    /** Its initiator IQN. */
    readonly iqn: string;
  }[];
  /** CHAP user and the libvirt secret (same UUID on every host), or null without CHAP. */
  readonly chap?: {
    /** CHAP user name. */
    readonly username: string;
    /** UUID of the libvirt `iscsi` secret holding the CHAP secret. */
    readonly secretUuid: string;
  } | null;
  /** ACL entries tgt reports for the target. */
  readonly acl?: readonly string[];
  /** Logged-in initiators (one per QEMU or tool using the disk). */
  readonly sessions?: readonly {
    /** Initiator IQN of the session. */
    readonly initiator: string;
    /** Address the initiator connected from. */
    readonly address: string;
  }[];
  /** What is missing when the state is `partial`. */
  readonly problems?: readonly string[];
}

/** What `STATE/storage/storage.json` holds: everything `down` needs, except the secret. */
interface StoredState {
  readonly version: 1;
  readonly prefix: string;
  readonly netns: string;
  readonly portal: { readonly host: string; readonly port: number };
  readonly iqn: string;
  readonly lun: number;
  readonly backingFile: string;
  readonly sizeBytes: number;
  readonly controlPort: number;
  readonly pid: number | null;
  readonly initiators: readonly { readonly host: string; readonly iqn: string }[];
  readonly chap: { readonly username: string; readonly secretUuid: string } | null;
  /** Hosts the secret was defined on. */
  readonly secretHosts: readonly string[];
}

const PREFIX = /^[a-z][a-z0-9]{0,31}$/;
const HOST_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const URI = /^[a-z][a-z0-9+]*:\/\/[^\s'"`\\]*$/;
/** Naming authority of the IQNs the lab uses. */
const IQN_BASE = 'iqn.2026-11.org.virtmig';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The lab's shared disk served from tgt: a private tgtd in a lab network namespace (started with
 * `nsenter --net=/run/netns/NS tgtd -C N -p PIDFILE`, so it outlives the process that started
 * it and a later `down` stops it), one target with a file-backed LUN (sparse file under the lab
 * state directory), an ACL with each lab host's initiator IQN, and optional one-way CHAP whose
 * generated secret is kept in a mode-0600 file and defined as a libvirt `iscsi` secret on every
 * host through the {@link @virtmig/core!SecretCapable} connections the caller's
 * {@link SecretHostConnector} opens, so domain XML only carries the secret's UUID and the value
 * never reaches a command line. Every command runs through the {@link CommandRunner} with
 * argument arrays; the state lives in `STATE/storage`.
 */
export class LabStorage {
  /** Lab prefix: names the IQNs and the libvirt secret's usage. */
  readonly prefix: string;
  /** The lab's state directory; the storage keeps its files in `STATE/storage`. */
  readonly stateDir: string;
  /** Network namespace tgtd runs in. */
  readonly netns: string;
  /** Portal address inside that namespace. */
  readonly address: string;
  /** Portal port. */
  readonly port: number;
  /** The hosts allowed on the target and given the CHAP secret. */
  readonly hosts: readonly LabStorageHost[];
  private readonly runner: CommandRunner;
  private readonly readyTimeoutMs: number;
  private readonly secrets: SecretHostConnector | undefined;

  constructor(options: LabStorageOptions) {
    if (typeof options.prefix !== 'string' || !PREFIX.test(options.prefix)) {
      throw new InvalidArgumentError(
        'prefix',
        `must be a lower-case letter then letters/digits, got ${JSON.stringify(options.prefix)}`,
      );
    }
    assertAbsolutePath(options.stateDir, 'stateDir');
    assertNetnsName(options.netns);
    assertHost(options.address, 'address');
    const port = options.port ?? 3260;
    assertPort(port);
    if (!Array.isArray(options.hosts) || options.hosts.length === 0) {
      throw new InvalidArgumentError('hosts', 'must list at least one lab host');
    }
    const names = new Set<string>();
    options.hosts.forEach((h, i) => {
      if (typeof h?.name !== 'string' || !HOST_NAME.test(h.name)) {
        throw new InvalidArgumentError(
          `hosts[${i}].name`,
          `must be lower-case letters, digits and "-", got ${JSON.stringify(h?.name)}`,
        );
      }
      if (names.has(h.name)) throw new InvalidArgumentError(`hosts[${i}].name`, `duplicate host ${h.name}`);
      names.add(h.name);
      if (h.uri !== undefined && (typeof h.uri !== 'string' || !URI.test(h.uri))) {
        throw new InvalidArgumentError(
          `hosts[${i}].uri`,
          `must be a libvirt URI without whitespace or quotes, got ${JSON.stringify(h.uri)}`,
        );
      }
      if (h.netns !== undefined) assertNetnsName(h.netns, `hosts[${i}].netns`);
    });
    this.prefix = options.prefix;
    this.stateDir = options.stateDir.replace(/\/+$/, '') || '/';
    this.netns = options.netns;
    this.address = options.address;
    this.port = port;
    this.hosts = options.hosts.map((h) => ({ ...h }));
    if (options.secrets !== undefined && typeof options.secrets !== 'function')
      throw new InvalidArgumentError('secrets', 'must be a function that opens a SecretHost for a libvirt URI');
    this.runner = options.runner ?? new LocalRunner({ timeoutMs: 30_000 });
    this.secrets = options.secrets;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  }

  /**
   * The shared disk of a local lab (docs/lab.md), from its status JSON: tgtd in host a's network
   * namespace on host a's veth address, so both hosts' QEMUs reach it over the lab link (the root
   * namespace's loopback is out of their reach); every host in the ACL and given the secret.
   */
  static forLab(
    status: LabStatusLike,
    options: Pick<LabStorageOptions, 'runner' | 'port' | 'readyTimeoutMs' | 'secrets'> = {},
  ): LabStorage {
    const serving = status.hosts.find((h) => h.name === 'a') ?? status.hosts[0];
    if (serving?.netns === undefined || serving.address === undefined) {
      throw new InvalidArgumentError('status.hosts', `lab ${status.prefix} reports no host namespace and address`);
    }
    return new LabStorage({
      ...options,
      prefix: status.prefix,
      stateDir: status.stateDir,
      netns: serving.netns,
      address: serving.address,
      hosts: status.hosts.map((h) => ({
        name: h.name,
        ...(h.uri !== undefined ? { uri: h.uri } : {}),
        ...(h.netns !== undefined ? { netns: h.netns } : {}),
      })),
    });
  }

  /** `STATE/storage`: state file, secret, LUN file, tgtd's pid file. */
  get dir(): string {
    return join(this.stateDir, 'storage');
  }

  /** The target's IQN. */
  get iqn(): string {
    return `${IQN_BASE}:lab.${this.prefix}.disk`;
  }

  /** The sparse file behind the LUN. */
  get backingFile(): string {
    return join(this.dir, `lun${LAB_STORAGE_LUN}.img`);
  }

  /** Initiator IQN a lab host presents (its QEMUs and its tools). */
  initiatorIqn(host: string): string {
    if (typeof host !== 'string' || !HOST_NAME.test(host))
      throw new InvalidArgumentError('host', `bad host name ${JSON.stringify(host)}`);
    return `${IQN_BASE}:lab.${this.prefix}.host-${host}`;
  }

  private get stateFile(): string {
    return join(this.dir, 'storage.json');
  }

  private get secretFile(): string {
    return join(this.dir, 'chap.secret');
  }

  private get pidFile(): string {
    return join(this.dir, 'tgtd.pid');
  }

  private async readState(): Promise<StoredState | undefined> {
    let text: string;
    try {
      text = await readFile(this.stateFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let s: StoredState;
    try {
      s = JSON.parse(text) as StoredState;
    } catch {
      throw new ParseError(this.stateFile, 'not JSON');
    }
    if (s?.version !== 1 || !Number.isInteger(s.controlPort) || typeof s.iqn !== 'string') {
      throw new ParseError(this.stateFile, 'not a version-1 lab storage state');
    }
    return s;
  }

  private async writeState(s: StoredState): Promise<void> {
    await writeFile(this.stateFile, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  }

  private tgtadm(s: StoredState): TgtadmTarget {
    return new TgtadmTarget({ runner: this.runner, controlPort: s.controlPort });
  }

  private async tgtdAnswers(controlPort: number): Promise<boolean> {
    try {
      await this.runner.run('tgtadm', ['-C', String(controlPort), '--mode', 'system', '--op', 'show'], {
        timeoutMs: 5000,
      });
      return true;
    } catch (e) {
      if (e instanceof CommandFailedError || e instanceof TimeoutError) return false;
      throw e;
    }
  }

  /** True while `pid` is a live (not zombie) process. */
  private async alive(pid: number | null): Promise<boolean> {
    if (pid === null) return false;
    try {
      const { stdout } = await this.runner.run('ps', ['-o', 'stat=', '-p', String(pid)]);
      return stdout.trim() !== '' && !stdout.trim().startsWith('Z');
    } catch (e) {
      if (e instanceof CommandFailedError) return false;
      throw e;
    }
  }

  /** True when `pid` is the tgtd this storage started (a recycled pid must never be killed). */
  private async isOurTgtd(pid: number, controlPort: number): Promise<boolean> {
    try {
      const { stdout } = await this.runner.run('cat', [`/proc/${pid}/cmdline`]);
      const argv = stdout.split('\0');
      return argv[0]?.endsWith('tgtd') === true && argv.includes(String(controlPort)) && argv.includes(this.pidFile);
    } catch (e) {
      if (e instanceof CommandFailedError) return false;
      throw e;
    }
  }

  private async listening(): Promise<boolean> {
    const { stdout } = await new NetnsRunner(this.netns, this.runner).run('ss', [
      '-Hltn',
      'sport',
      '=',
      `:${this.port}`,
    ]);
    return stdout.trim() !== '';
  }

  /**
   * Serves the shared disk. Idempotent: when it already runs, its status is returned and nothing
   * changes; a half-started one (a crash, a killed tgtd) is cleaned up first. A failure part-way
   * removes whatever this call started.
   */
  async up(options: LabStorageUpOptions = {}): Promise<LabStorageStatus> {
    const sizeBytes = options.sizeBytes ?? LAB_STORAGE_DEFAULT_SIZE;
    assertSizeBytes(sizeBytes);
    if (sizeBytes % 512 !== 0 || sizeBytes > LAB_STORAGE_MAX_SIZE) {
      throw new InvalidArgumentError(
        'sizeBytes',
        `must be a multiple of 512 up to ${LAB_STORAGE_MAX_SIZE}, got ${sizeBytes}`,
      );
    }
    if (options.chap !== undefined && typeof options.chap !== 'boolean')
      throw new InvalidArgumentError('chap', 'must be a boolean');
    const current = await this.status();
    if (current.state === 'running') return current;
    if (current.state === 'partial') await this.down();
    for (const h of this.hosts) {
      if (options.chap && h.uri === undefined)
        throw new InvalidArgumentError('hosts', `CHAP needs a libvirt URI for host ${h.name}`);
    }
    if (options.chap && this.secrets === undefined)
      throw new InvalidArgumentError('secrets', 'CHAP needs a SecretHostConnector to define the secret on each host');
    if (await this.listening()) {
      throw new StateError(
        `something already listens on ${formatPortal({ host: this.address, port: this.port })} in netns ${this.netns}`,
        {
          netns: this.netns,
          port: this.port,
        },
      );
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const controlPort = freeControlPort();
    const chap = options.chap ? { username: `virtmig-${this.prefix}`, secretUuid: randomUUID() } : null;
    let state: StoredState = {
      version: 1,
      prefix: this.prefix,
      netns: this.netns,
      portal: { host: this.address, port: this.port },
      iqn: this.iqn,
      lun: LAB_STORAGE_LUN,
      backingFile: this.backingFile,
      sizeBytes,
      controlPort,
      pid: null,
      initiators: this.hosts.map((h) => ({ host: h.name, iqn: this.initiatorIqn(h.name) })),
      chap,
      secretHosts: [],
    };
    // Written before anything starts, so `down` can always find what a failed `up` left.
    await this.writeState(state);
    try {
      state = { ...state, pid: await this.startTgtd(controlPort) };
      await this.writeState(state);
      const target = this.tgtadm(state);
      await target.createTarget(state.iqn);
      await target.addLun(state.iqn, state.lun, state.backingFile, sizeBytes);
      for (const i of state.initiators) await target.allowInitiator(state.iqn, i.iqn);
      if (chap) {
        const password = generateSecret(32);
        await writeFile(this.secretFile, password, { mode: 0o600 });
        await target.setChap(state.iqn, { username: chap.username, password });
        for (const h of this.hosts) {
          await this.defineSecret(h, chap.secretUuid, password);
          state = { ...state, secretHosts: [...state.secretHosts, h.name] };
          await this.writeState(state);
        }
      }
    } catch (e) {
      await this.down().catch(() => undefined);
      throw e;
    }
    return this.status();
  }

  private async startTgtd(controlPort: number): Promise<number> {
    await rm(this.pidFile, { force: true });
    // Without -f tgtd daemonizes (its own session, stdio on /dev/null), so the caller is not kept
    // waiting and tgtd outlives a CLI invocation; its pid comes back through the pid file.
    await new NetnsRunner(this.netns, this.runner).run('tgtd', [
      '-C',
      String(controlPort),
      '-p',
      this.pidFile,
      '--iscsi',
      `portal=${formatPortal({ host: this.address, port: this.port })}`,
    ]);
    const deadline = Date.now() + this.readyTimeoutMs;
    let pid: number | null = null;
    while (Date.now() < deadline) {
      pid ??= await this.readPid();
      if (pid !== null && (await this.tgtdAnswers(controlPort)) && (await this.listening())) return pid;
      if (pid !== null && !(await this.alive(pid)))
        throw new StateError(`tgtd exited at start-up (netns ${this.netns}, control port ${controlPort})`);
      await sleep(50);
    }
    throw new TimeoutError(
      `tgtd start in netns ${this.netns} on ${formatPortal({ host: this.address, port: this.port })}`,
      this.readyTimeoutMs,
    );
  }

  private async readPid(): Promise<number | null> {
    try {
      const text = (await readFile(this.pidFile, 'utf8')).trim();
      return /^[0-9]+$/.test(text) ? Number(text) : null;
    } catch {
      return null;
    }
  }

  /** Opens `host`'s secret store, runs `fn` and closes it whatever happens. */
  private async withSecretHost<T>(uri: string, fn: (h: SecretHost) => Promise<T>): Promise<T> {
    const connect = this.secrets;
    if (!connect) throw new InvalidArgumentError('secrets', 'the CHAP secret needs a SecretHostConnector');
    const h = await connect(uri);
    try {
      return await fn(h);
    } finally {
      await h.close();
    }
  }

  // The value goes to libvirt through virSecretSetValue: never in argv, a file or a log.
  private async defineSecret(host: LabStorageHost, uuid: string, password: string): Promise<void> {
    await this.withSecretHost(host.uri as string, async (h) => {
      // A secret of this usage left by a killed `up` holds the usage id another UUID now needs.
      const stale = await h.lookupSecretByUsage('iscsi', this.secretUsage).catch((e: unknown) => {
        if (isVirtmigError(e, 'E_NOT_FOUND')) return undefined;
        throw e;
      });
      if (stale && stale.uuid !== uuid) await h.undefineSecret(stale.uuid);
      await h.defineSecret({
        usageType: 'iscsi',
        usageId: this.secretUsage,
        uuid,
        description: `virtmig lab ${this.prefix}: CHAP secret of the shared disk`,
        private: true,
      });
      await h.setSecretValue(uuid, password);
    });
  }

  /** The libvirt secret's usage id (unique per daemon). */
  get secretUsage(): string {
    return `virtmig-lab-${this.prefix}-disk`;
  }

  /**
   * Stops serving: deletes the target (ending sessions), stops tgtd (orderly, then SIGKILL to its
   * process group), removes its socket files, undefines the libvirt secrets on hosts that still
   * run, and removes the LUN file, the secret and the state. Safe to call when nothing runs.
   * Resolves to what it removed.
   */
  async down(): Promise<{
    /** One line per removed piece: the target, tgtd, the backing file, each secret. */
    readonly removed: readonly string[];
  }> {
    const s = await this.readState();
    if (!s) {
      await rm(this.dir, { recursive: true, force: true });
      return { removed: [] };
    }
    if (s.chap && s.secretHosts.length > 0 && this.secrets === undefined)
      throw new InvalidArgumentError(
        'secrets',
        'the disk was served with CHAP: down needs a SecretHostConnector to undefine the secrets',
      );
    const removed: string[] = [];
    const pid = s.pid ?? (await this.readPid());
    if (await this.tgtdAnswers(s.controlPort)) {
      const target = this.tgtadm(s);
      const t = (await target.showTargets()).find((x) => x.iqn === s.iqn);
      const tgtadm = (args: string[]) => this.runner.run('tgtadm', ['-C', String(s.controlPort), ...args]);
      if (t) {
        await tgtadm(['--lld', 'iscsi', '--mode', 'target', '--op', 'delete', '--force', '--tid', String(t.tid)]);
        removed.push(`target ${s.iqn}`);
      }
      await tgtadm(['--mode', 'system', '--op', 'delete']).catch(() => undefined);
    }
    if (pid !== null) {
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && (await this.alive(pid))) await sleep(50);
      if ((await this.alive(pid)) && (await this.isOurTgtd(pid, s.controlPort))) {
        // tgtd ignores SIGTERM; its worker shares its process group.
        await this.runner.run('kill', ['-KILL', '--', `-${pid}`]).catch(() => undefined);
        const killDeadline = Date.now() + 2000;
        while (Date.now() < killDeadline && (await this.alive(pid))) await sleep(50);
      }
      if (await this.alive(pid)) throw new StateError(`tgtd ${pid} did not stop`, { pid });
      removed.push(`tgtd ${pid}`);
    }
    await this.runner.run('rm', [
      '-f',
      '--',
      `${TGTD_SOCKET_DIR}/socket.${s.controlPort}`,
      `${TGTD_SOCKET_DIR}/socket.${s.controlPort}.lock`,
      s.backingFile,
    ]);
    removed.push(s.backingFile);
    if (s.chap) {
      for (const name of s.secretHosts) {
        const uri = this.hosts.find((h) => h.name === name)?.uri;
        if (uri === undefined) continue;
        const uuid = s.chap.secretUuid;
        let h: SecretHost;
        try {
          h = await (this.secrets as SecretHostConnector)(uri);
        } catch (e) {
          // A host whose daemon is gone took its secrets with it (they live in the lab's state).
          if (isVirtmigError(e)) continue;
          throw e;
        }
        try {
          await h.undefineSecret(uuid);
          removed.push(`secret ${uuid} on ${name}`);
        } catch (e) {
          if (!isVirtmigError(e, 'E_NOT_FOUND')) throw e;
        } finally {
          await h.close();
        }
      }
    }
    await rm(this.dir, { recursive: true, force: true });
    return { removed };
  }

  /** What runs, read from the state file and from tgtd itself. */
  async status(): Promise<LabStorageStatus> {
    const s = await this.readState();
    if (!s) return { state: 'stopped', prefix: this.prefix };
    const problems: string[] = [];
    const answers = await this.tgtdAnswers(s.controlPort);
    const running = answers && (await this.alive(s.pid));
    let target: TgtTarget | undefined;
    if (answers) target = (await this.tgtadm(s).showTargets()).find((x) => x.iqn === s.iqn);
    if (!running) problems.push('tgtd is not running');
    else if (!target) problems.push(`target ${s.iqn} is missing`);
    else if (!target.luns.some((l) => l.lun === s.lun && l.backingStorePath === s.backingFile))
      problems.push(`LUN ${s.lun} is missing`);
    if (s.chap && s.secretHosts.length !== this.hosts.filter((h) => h.uri !== undefined).length)
      problems.push('the libvirt secret is not defined on every host');
    if (!existsSync(s.backingFile)) problems.push(`backing file ${s.backingFile} is missing`);
    return {
      state: problems.length === 0 ? 'running' : 'partial',
      prefix: s.prefix,
      portal: formatPortal(s.portal),
      netns: s.netns,
      iqn: s.iqn,
      lun: s.lun,
      backingFile: s.backingFile,
      sizeBytes: s.sizeBytes,
      tgtd: { pid: s.pid, controlPort: s.controlPort, running },
      initiators: s.initiators,
      chap: s.chap,
      acl: target?.acls ?? [],
      sessions: (target?.sessions ?? []).map((x) => ({
        initiator: x.initiator,
        address: x.connections[0]?.address ?? '',
      })),
      ...(problems.length ? { problems } : {}),
    };
  }

  private async runningState(): Promise<StoredState> {
    const s = await this.readState();
    if (!s)
      throw new NotFoundError(
        'lab storage',
        this.prefix,
        `the shared disk of lab ${this.prefix} is not up; run \`virtmig storage up\``,
      );
    return s;
  }

  /**
   * The iSCSI disk a domain defined on `host` gets: portal, target, LUN, that host's initiator
   * IQN and, with CHAP, the user and the libvirt secret's UUID (never the password).
   */
  async disk(host: string, target = 'vda'): Promise<DiskConfig> {
    const s = await this.runningState();
    const i = s.initiators.find((x) => x.host === host);
    if (!i) throw new NotFoundError('lab host', host, `host ${host} is not a client of the shared disk`);
    return {
      kind: 'iscsi',
      portal: formatPortal(s.portal),
      iqn: s.iqn,
      lun: s.lun,
      initiatorIqn: i.iqn,
      format: 'raw',
      target,
      ...(s.chap ? { chap: { username: s.chap.username, secretUuid: s.chap.secretUuid } } : {}),
    };
  }

  /** The CHAP credentials, when CHAP is on (read from the 0600 file; keep them out of logs). */
  async chapCredentials(): Promise<ChapCredentials | undefined> {
    const s = await this.runningState();
    if (!s.chap) return undefined;
    return { username: s.chap.username, password: await readFile(this.secretFile, 'utf8') };
  }

  /**
   * A libiscsi/QEMU initiator that runs in `host`'s network namespace and presents that host's
   * IQN: reads and writes the LUN the way that host's QEMUs reach it.
   */
  initiator(host: string): LibiscsiInitiator {
    const h = this.hosts.find((x) => x.name === host);
    if (!h) throw new NotFoundError('lab host', host);
    return new LibiscsiInitiator({
      runner: new NetnsRunner(h.netns ?? this.netns, this.runner),
      initiatorIqn: this.initiatorIqn(host),
      timeoutMs: 30_000,
    });
  }
}

/** `length` characters from [A-Za-z0-9], uniformly (rejection sampling over random bytes). */
export function generateSecret(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += SECRET_ALPHABET[b % 62];
    }
  }
  return out;
}
