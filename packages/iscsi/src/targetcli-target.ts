import { createHash } from 'node:crypto';
import type { ChapCredentials, Portal, StorageTarget, TargetInfo } from '@virtmig/core';
import { ensureBackingFile, removeFiles } from './backing-file.js';
import type { CommandRunner } from './runner.js';
import {
  parseTargetcliFileio,
  parseTargetcliGet,
  parseTargetcliIscsi,
  type TargetcliTargetView,
} from './targetcli-parse.js';
import {
  assertAbsolutePath,
  assertChapCredentials,
  assertIscsiName,
  assertLun,
  assertPortal,
  assertSizeBytes,
  type ChapLimits,
} from './validate.js';

/** Options of a {@link TargetcliTarget}. */
export interface TargetcliTargetOptions {
  /** Where `targetcli` runs (a host with LIO: configfs and target_core_mod). */
  readonly runner: CommandRunner;
  /** CHAP secret length limits of LIO. Default 12 to 255 characters. */
  readonly chapLimits?: ChapLimits;
}

/** Name of the fileio storage object backing a LUN: short, stable, and legal in targetcli paths. */
export function backstoreName(iqn: string, lun: number): string {
  return `virtmig_${createHash('sha256').update(iqn).digest('hex').slice(0, 12)}_l${lun}`;
}

/**
 * {@link StorageTarget} over LIO's `targetcli` (targetcli-fb). Each call is one targetcli
 * process (about 2.5 s of Python start-up each). LIO keeps CHAP per node ACL, so target-level
 * CHAP is applied to every ACL of the target, present and added later, and the TPG's
 * `authentication` attribute is switched on. targetcli only takes secrets as `password=` words
 * of its command line; they are redacted from errors and logs.
 */
export class TargetcliTarget implements StorageTarget {
  readonly kind = 'targetcli';
  private readonly runner: CommandRunner;
  private readonly chapLimits: ChapLimits;
  private readonly targets = new Set<string>();
  private readonly backstores = new Set<string>();
  private readonly files = new Set<string>();
  private readonly chap = new Map<string, { oneWay?: ChapCredentials; mutual?: ChapCredentials }>();

  constructor(options: TargetcliTargetOptions) {
    this.runner = options.runner;
    this.chapLimits = options.chapLimits ?? {};
  }

  private targetcli(args: readonly string[], secrets: readonly string[] = []) {
    return this.runner.run('targetcli', args, { secrets });
  }

  private tpg(iqn: string): string {
    return `/iscsi/${iqn}/tpg1`;
  }

  async createTarget(iqn: string): Promise<void> {
    assertIscsiName(iqn);
    await this.targetcli(['/iscsi', 'create', iqn]);
    this.targets.add(iqn);
  }

  async deleteTarget(iqn: string): Promise<void> {
    assertIscsiName(iqn);
    await this.targetcli(['/iscsi', 'delete', iqn]);
    this.targets.delete(iqn);
    this.chap.delete(iqn);
  }

  async addLun(iqn: string, lun: number, backingFile: string, sizeBytes?: number): Promise<void> {
    assertIscsiName(iqn);
    assertLun(lun);
    assertAbsolutePath(backingFile, 'backingFile');
    if (sizeBytes !== undefined) assertSizeBytes(sizeBytes);
    const name = backstoreName(iqn, lun);
    const created = await ensureBackingFile(this.runner, backingFile, sizeBytes);
    if (created) this.files.add(backingFile);
    await this.targetcli(['/backstores/fileio', 'create', `name=${name}`, `file_or_dev=${backingFile}`]);
    this.backstores.add(name);
    await this.targetcli([`${this.tpg(iqn)}/luns`, 'create', `/backstores/fileio/${name}`, `lun=${lun}`]);
  }

  async removeLun(iqn: string, lun: number): Promise<void> {
    assertIscsiName(iqn);
    assertLun(lun);
    await this.targetcli([`${this.tpg(iqn)}/luns`, 'delete', `lun=${lun}`]);
    const name = backstoreName(iqn, lun);
    if (this.backstores.delete(name)) await this.targetcli(['/backstores/fileio', 'delete', name]);
  }

  /** Creates a node ACL (mapping every LUN) and gives it the target's CHAP settings. */
  async allowInitiator(iqn: string, initiatorIqn: string): Promise<void> {
    assertIscsiName(iqn);
    assertIscsiName(initiatorIqn, 'initiatorIqn');
    await this.targetcli([`${this.tpg(iqn)}/acls`, 'create', initiatorIqn]);
    const c = this.chap.get(iqn);
    if (c?.oneWay) await this.setAclAuth(iqn, initiatorIqn, 'userid', 'password', c.oneWay);
    if (c?.mutual) await this.setAclAuth(iqn, initiatorIqn, 'mutual_userid', 'mutual_password', c.mutual);
  }

  /** Deletes a node ACL. */
  async disallowInitiator(iqn: string, initiatorIqn: string): Promise<void> {
    assertIscsiName(iqn);
    assertIscsiName(initiatorIqn, 'initiatorIqn');
    await this.targetcli([`${this.tpg(iqn)}/acls`, 'delete', initiatorIqn]);
  }

  private setAclAuth(iqn: string, acl: string, userKey: string, passKey: string, c: ChapCredentials) {
    return this.targetcli(
      [`${this.tpg(iqn)}/acls/${acl}`, 'set', 'auth', `${userKey}=${c.username}`, `${passKey}=${c.password}`],
      [c.password],
    );
  }

  async setChap(iqn: string, credentials: ChapCredentials): Promise<void> {
    assertIscsiName(iqn);
    assertChapCredentials(credentials, 'credentials', this.chapLimits);
    await this.applyChap(iqn, 'oneWay', credentials);
  }

  async setMutualChap(iqn: string, credentials: ChapCredentials): Promise<void> {
    assertIscsiName(iqn);
    assertChapCredentials(credentials, 'credentials', this.chapLimits);
    await this.applyChap(iqn, 'mutual', credentials);
  }

  private async applyChap(iqn: string, kind: 'oneWay' | 'mutual', c: ChapCredentials): Promise<void> {
    const view = await this.show(iqn);
    await this.targetcli([this.tpg(iqn), 'set', 'attribute', 'authentication=1']);
    for (const acl of view?.acls ?? []) {
      if (kind === 'oneWay') await this.setAclAuth(iqn, acl.initiator, 'userid', 'password', c);
      else await this.setAclAuth(iqn, acl.initiator, 'mutual_userid', 'mutual_password', c);
    }
    this.chap.set(iqn, { ...this.chap.get(iqn), [kind]: c });
  }

  /** Adds a portal to the target's TPG. */
  async addPortal(iqn: string, portal: Portal): Promise<void> {
    assertIscsiName(iqn);
    assertPortal(portal);
    await this.targetcli([`${this.tpg(iqn)}/portals`, 'create', portal.host, String(portal.port)]);
  }

  /** Removes a portal from the target's TPG (e.g. the 0.0.0.0:3260 targetcli adds by default). */
  async removePortal(iqn: string, portal: Portal): Promise<void> {
    assertIscsiName(iqn);
    assertPortal(portal);
    await this.targetcli([`${this.tpg(iqn)}/portals`, 'delete', portal.host, String(portal.port)]);
  }

  /** Every iSCSI target as targetcli lists it. */
  async showTargets(): Promise<TargetcliTargetView[]> {
    return parseTargetcliIscsi((await this.targetcli(['ls', '/iscsi'])).stdout);
  }

  private async show(iqn: string): Promise<TargetcliTargetView | undefined> {
    return (await this.showTargets()).find((t) => t.iqn === iqn);
  }

  /**
   * Lists targets with LUN sizes from the fileio backstores and CHAP user names read from each
   * ACL that has authentication (passwords are never requested).
   */
  async listTargets(): Promise<TargetInfo[]> {
    const targets = await this.showTargets();
    const fileio = parseTargetcliFileio((await this.targetcli(['ls', '/backstores/fileio'])).stdout);
    const out: TargetInfo[] = [];
    for (const t of targets) {
      const chapUsers = new Set<string>();
      let mutualChapUser: string | undefined;
      for (const acl of t.acls.filter((a) => a.auth !== 'none')) {
        const got = parseTargetcliGet(
          (
            await this.targetcli([
              `/iscsi/${t.iqn}/tpg${t.tpg}/acls/${acl.initiator}`,
              'get',
              'auth',
              'userid',
              'mutual_userid',
            ])
          ).stdout,
        );
        if (got.userid) chapUsers.add(got.userid);
        if (got.mutual_userid) mutualChapUser = got.mutual_userid;
      }
      out.push({
        iqn: t.iqn,
        luns: t.luns.map((l) => {
          const so = fileio.find((f) => f.name === l.storageObject);
          return { lun: l.lun, backingStore: l.path ?? so?.path ?? '', sizeBytes: so?.sizeBytes ?? 0 };
        }),
        allowedInitiators: t.acls.map((a) => a.initiator),
        allowedAddresses: [],
        chapUsers: [...chapUsers],
        ...(mutualChapUser !== undefined ? { mutualChapUser } : {}),
      });
    }
    return out;
  }

  /** Deletes the targets, fileio backstores and backing files this adapter created. */
  async teardown(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const iqn of this.targets) await attempt(() => this.targetcli(['/iscsi', 'delete', iqn]));
    this.targets.clear();
    this.chap.clear();
    for (const name of this.backstores) await attempt(() => this.targetcli(['/backstores/fileio', 'delete', name]));
    this.backstores.clear();
    await attempt(() => removeFiles(this.runner, [...this.files]));
    this.files.clear();
    if (errors.length > 0) throw errors[0];
  }
}
