import {
  assertInt,
  type ChapCredentials,
  NotFoundError,
  type Portal,
  StateError,
  type StorageTarget,
  type TargetInfo,
} from '@virtmig/core';
import { ensureBackingFile, removeFiles } from './backing-file.js';
import type { CommandRunner } from './runner.js';
import {
  parseTgtadmAccounts,
  parseTgtadmPortals,
  parseTgtadmTargets,
  type TgtPortal,
  type TgtTarget,
  tgtTargetToInfo,
} from './tgtadm-parse.js';
import {
  assertAbsolutePath,
  assertChapCredentials,
  assertInitiatorAddress,
  assertIscsiName,
  assertLun,
  assertPortal,
  assertSizeBytes,
  type ChapLimits,
  formatPortal,
} from './validate.js';

/** Options of a {@link TgtadmTarget}. */
export interface TgtadmTargetOptions {
  /** Where `tgtadm` runs. */
  readonly runner: CommandRunner;
  /** tgtd's management port (`tgtadm -C N`); omitted means tgtd's default instance. */
  readonly controlPort?: number;
  /** CHAP secret length limits (default 12-255). */
  readonly chapLimits?: ChapLimits;
  /** tgt backing-store type for new LUNs (default `rdwr`). */
  readonly backingStoreType?: 'rdwr' | 'aio';
}

/**
 * {@link StorageTarget} over tgt's `tgtadm` (the userspace target; runs anywhere, no kernel
 * target needed). CHAP secrets are the one thing tgtadm only takes in argv (`--password`): they
 * are visible in the process table for the few milliseconds tgtadm runs, and are redacted from
 * every error and log line.
 */
export class TgtadmTarget implements StorageTarget {
  readonly kind = 'tgtadm';
  private readonly runner: CommandRunner;
  private readonly controlPort: number | undefined;
  private readonly chapLimits: ChapLimits;
  private readonly bsType: string;
  private readonly targets = new Set<string>();
  private readonly accounts = new Set<string>();
  private readonly files = new Set<string>();
  private readonly portals = new Map<string, Portal>();

  constructor(options: TgtadmTargetOptions) {
    // tgtd parses -C as a signed short.
    if (options.controlPort !== undefined) assertInt(options.controlPort, 'controlPort', 0, 32767);
    this.runner = options.runner;
    this.controlPort = options.controlPort;
    this.chapLimits = options.chapLimits ?? {};
    this.bsType = options.backingStoreType ?? 'rdwr';
  }

  private tgtadm(args: readonly string[], secrets: readonly string[] = []) {
    const control = this.controlPort === undefined ? [] : ['-C', String(this.controlPort)];
    return this.runner.run('tgtadm', [...control, '--lld', 'iscsi', ...args], { secrets });
  }

  /** Every target tgtd serves, as tgtadm prints it. */
  async showTargets(): Promise<TgtTarget[]> {
    return parseTgtadmTargets((await this.tgtadm(['--mode', 'target', '--op', 'show'])).stdout);
  }

  /** One target, or `NotFoundError`. */
  async showTarget(iqn: string): Promise<TgtTarget> {
    assertIscsiName(iqn);
    const t = (await this.showTargets()).find((x) => x.iqn === iqn);
    if (!t) throw new NotFoundError('target', iqn);
    return t;
  }

  private async tid(iqn: string): Promise<number> {
    return (await this.showTarget(iqn)).tid;
  }

  async createTarget(iqn: string): Promise<void> {
    assertIscsiName(iqn);
    const all = await this.showTargets();
    if (all.some((t) => t.iqn === iqn)) throw new StateError(`target ${iqn} already exists`, { iqn });
    const tid = all.reduce((m, t) => Math.max(m, t.tid), 0) + 1;
    await this.tgtadm(['--mode', 'target', '--op', 'new', '--tid', String(tid), '--targetname', iqn]);
    this.targets.add(iqn);
  }

  async deleteTarget(iqn: string): Promise<void> {
    assertIscsiName(iqn);
    await this.tgtadm(['--mode', 'target', '--op', 'delete', '--tid', String(await this.tid(iqn))]);
    this.targets.delete(iqn);
  }

  /** LUN 0 is tgt's own controller LUN, so LUNs start at 1. */
  async addLun(iqn: string, lun: number, backingFile: string, sizeBytes?: number): Promise<void> {
    assertIscsiName(iqn);
    assertLun(lun, 'lun', 1);
    assertAbsolutePath(backingFile, 'backingFile');
    if (sizeBytes !== undefined) assertSizeBytes(sizeBytes);
    const tid = await this.tid(iqn);
    const created = await ensureBackingFile(this.runner, backingFile, sizeBytes);
    try {
      await this.tgtadm([
        '--mode',
        'logicalunit',
        '--op',
        'new',
        '--tid',
        String(tid),
        '--lun',
        String(lun),
        '--backing-store',
        backingFile,
        '--bstype',
        this.bsType,
      ]);
    } catch (e) {
      if (created) await removeFiles(this.runner, [backingFile]);
      throw e;
    }
    if (created) this.files.add(backingFile);
  }

  async removeLun(iqn: string, lun: number): Promise<void> {
    assertIscsiName(iqn);
    assertLun(lun, 'lun', 1);
    const tid = await this.tid(iqn);
    await this.tgtadm(['--mode', 'logicalunit', '--op', 'delete', '--tid', String(tid), '--lun', String(lun)]);
  }

  async allowInitiator(iqn: string, initiatorIqn: string): Promise<void> {
    assertIscsiName(iqn);
    assertIscsiName(initiatorIqn, 'initiatorIqn');
    await this.bind(iqn, 'bind', ['--initiator-name', initiatorIqn]);
  }

  /** Removes an initiator name from the target's ACL. */
  async disallowInitiator(iqn: string, initiatorIqn: string): Promise<void> {
    assertIscsiName(iqn);
    assertIscsiName(initiatorIqn, 'initiatorIqn');
    await this.bind(iqn, 'unbind', ['--initiator-name', initiatorIqn]);
  }

  /**
   * Allows an initiator address, CIDR network or `ALL`. tgt ORs address and name entries: an
   * address entry admits every initiator name from that address.
   */
  async allowAddress(iqn: string, address: string): Promise<void> {
    assertIscsiName(iqn);
    assertInitiatorAddress(address);
    await this.bind(iqn, 'bind', ['--initiator-address', address]);
  }

  private async bind(iqn: string, op: 'bind' | 'unbind', what: string[]): Promise<void> {
    await this.tgtadm(['--mode', 'target', '--op', op, '--tid', String(await this.tid(iqn)), ...what]);
  }

  async setChap(iqn: string, credentials: ChapCredentials): Promise<void> {
    assertIscsiName(iqn);
    assertChapCredentials(credentials, 'credentials', this.chapLimits);
    const tid = await this.tid(iqn);
    await this.account(credentials);
    await this.tgtadm(['--mode', 'account', '--op', 'bind', '--tid', String(tid), '--user', credentials.username]);
  }

  /** tgt keeps one outgoing account per target; a second one is refused by tgtadm. */
  async setMutualChap(iqn: string, credentials: ChapCredentials): Promise<void> {
    assertIscsiName(iqn);
    assertChapCredentials(credentials, 'credentials', this.chapLimits);
    const tid = await this.tid(iqn);
    await this.account(credentials);
    await this.tgtadm([
      '--mode',
      'account',
      '--op',
      'bind',
      '--tid',
      String(tid),
      '--user',
      credentials.username,
      '--outgoing',
    ]);
  }

  /** Creates (or, when this adapter made it, re-creates with a new secret) a tgt account. */
  private async account(c: ChapCredentials): Promise<void> {
    const existing = parseTgtadmAccounts((await this.tgtadm(['--mode', 'account', '--op', 'show'])).stdout);
    if (existing.includes(c.username)) {
      if (!this.accounts.has(c.username)) {
        throw new StateError(`tgt account ${c.username} exists and was not created by this adapter`, {
          user: c.username,
        });
      }
      await this.tgtadm(['--mode', 'account', '--op', 'delete', '--user', c.username]);
    }
    await this.tgtadm(
      ['--mode', 'account', '--op', 'new', '--user', c.username, '--password', c.password],
      [c.password],
    );
    this.accounts.add(c.username);
  }

  /** Adds a listening portal to tgtd (tgt portals are daemon-wide, not per target). */
  async addPortal(portal: Portal): Promise<void> {
    assertPortal(portal);
    await this.tgtadm(['--mode', 'portal', '--op', 'new', '--param', `portal=${formatPortal(portal)}`]);
    this.portals.set(formatPortal(portal), portal);
  }

  /**
   * Removes a listening portal from tgtd.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `portal` is malformed (nothing runs).
   * @throws {@link CommandFailedError} `E_COMMAND_FAILED` when tgtadm fails.
   */
  async removePortal(portal: Portal): Promise<void> {
    assertPortal(portal);
    await this.tgtadm(['--mode', 'portal', '--op', 'delete', '--param', `portal=${formatPortal(portal)}`]);
    this.portals.delete(formatPortal(portal));
  }

  /**
   * tgtd's listening portals.
   * @throws {@link CommandFailedError} `E_COMMAND_FAILED` when tgtadm fails.
   * @throws {@link @virtmig/core!ParseError} `E_PARSE` when its output is not understood.
   */
  async listPortals(): Promise<TgtPortal[]> {
    return parseTgtadmPortals((await this.tgtadm(['--mode', 'portal', '--op', 'show'])).stdout);
  }

  async listTargets(): Promise<TargetInfo[]> {
    return (await this.showTargets()).map(tgtTargetToInfo);
  }

  /**
   * Deletes the targets (forcibly, ending their sessions), accounts and portals this adapter
   * created and the backing files it created. Every step is attempted; the first failure is
   * rethrown at the end.
   */
  async teardown(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    const present = await this.showTargets();
    for (const iqn of this.targets) {
      const t = present.find((x) => x.iqn === iqn);
      if (t)
        await attempt(() => this.tgtadm(['--mode', 'target', '--op', 'delete', '--force', '--tid', String(t.tid)]));
    }
    this.targets.clear();
    for (const user of this.accounts)
      await attempt(() => this.tgtadm(['--mode', 'account', '--op', 'delete', '--user', user]));
    this.accounts.clear();
    for (const p of this.portals.values()) await attempt(() => this.removePortal(p));
    await attempt(() => removeFiles(this.runner, [...this.files]));
    this.files.clear();
    if (errors.length > 0) throw errors[0];
  }
}
