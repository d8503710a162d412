import {
  type ChapCredentials,
  type DiscoveredTarget,
  InvalidArgumentError,
  type Portal,
  type StorageInitiator,
} from '@virtmig/core';
import { type IscsiLsTarget, parseIscsiLs, parseQemuIoDump, parseReadCapacity16 } from './libiscsi-parse.js';
import type { CommandRunner, RunOptions } from './runner.js';
import {
  assertAbsolutePath,
  assertChapCredentials,
  assertIscsiName,
  assertLun,
  assertPortal,
  type ChapLimits,
  formatPortal,
} from './validate.js';

/** Where a LUN is. */
export interface LunAddress {
  /** Portal the target is reached on. */
  readonly portal: Portal;
  /** Target IQN. */
  readonly iqn: string;
  /** LUN number. */
  readonly lun: number;
}

/** CHAP to present: one-way (`chap`) and, for mutual CHAP, what the target must answer with. */
export interface InitiatorAuth {
  /** One-way CHAP the initiator presents. */
  readonly chap?: ChapCredentials;
  /** Mutual CHAP: the credentials the target must answer with. */
  readonly mutual?: ChapCredentials;
}

/** Options of a {@link LibiscsiInitiator}. */
export interface LibiscsiInitiatorOptions {
  /** Runs the libiscsi tools, locally or on another host. */
  readonly runner: CommandRunner;
  /** Initiator name presented to targets (`-i`). */
  readonly initiatorIqn: string;
  /** CHAP secret length limits of the target in use. Default 12 to 255 characters. */
  readonly chapLimits?: ChapLimits;
  /** Timeout per tool run (ms). */
  readonly timeoutMs?: number;
}

/** Largest single read or write through qemu-io this adapter does. */
export const MAX_IO_BYTES = 16 * 1024 * 1024;

/**
 * {@link StorageInitiator} in user space: libiscsi's tools (`iscsi-ls`, `iscsi-readcapacity16`)
 * for discovery and capacity, QEMU's iSCSI block driver (`qemu-io`, which uses libiscsi) for
 * writing and reading data. No kernel initiator is needed. CHAP secrets reach libiscsi through
 * its `LIBISCSI_CHAP_*` environment variables and QEMU through a mode-0600 secret file, never
 * through a URL or an argument.
 */
export class LibiscsiInitiator implements StorageInitiator {
  readonly kind = 'libiscsi';
  readonly initiatorIqn: string;
  private readonly runner: CommandRunner;
  private readonly chapLimits: ChapLimits;
  private readonly timeoutMs: number | undefined;

  constructor(options: LibiscsiInitiatorOptions) {
    assertIscsiName(options.initiatorIqn, 'initiatorIqn');
    this.initiatorIqn = options.initiatorIqn;
    this.runner = options.runner;
    this.chapLimits = options.chapLimits ?? {};
    this.timeoutMs = options.timeoutMs;
  }

  private checkAuth(auth: InitiatorAuth): void {
    if (auth.chap !== undefined) assertChapCredentials(auth.chap, 'chap', this.chapLimits);
    if (auth.mutual !== undefined) {
      if (auth.chap === undefined)
        throw new InvalidArgumentError('mutual', 'mutual CHAP needs one-way CHAP credentials too');
      assertChapCredentials(auth.mutual, 'mutual', this.chapLimits);
    }
  }

  private checkLun(a: LunAddress): void {
    assertPortal(a.portal);
    assertIscsiName(a.iqn);
    assertLun(a.lun);
  }

  private libiscsiOptions(auth: InitiatorAuth): RunOptions {
    const env: Record<string, string> = {};
    const secretEnv: Record<string, string> = {};
    if (auth.chap) {
      env.LIBISCSI_CHAP_USERNAME = auth.chap.username;
      secretEnv.LIBISCSI_CHAP_PASSWORD = auth.chap.password;
    }
    if (auth.mutual) {
      env.LIBISCSI_CHAP_TARGET_USERNAME = auth.mutual.username;
      secretEnv.LIBISCSI_CHAP_TARGET_PASSWORD = auth.mutual.password;
    }
    return { env, secretEnv, ...(this.timeoutMs !== undefined ? { timeoutMs: this.timeoutMs } : {}) };
  }

  /** SendTargets discovery (iSCSI discovery sessions carry no CHAP on tgt). */
  async discover(portal: Portal): Promise<DiscoveredTarget[]> {
    assertPortal(portal);
    const r = await this.runner.run(
      'iscsi-ls',
      ['-i', this.initiatorIqn, `iscsi://${formatPortal(portal)}`],
      this.libiscsiOptions({}),
    );
    return parseIscsiLs(r.stdout).map((t) => ({ iqn: t.iqn, portal: t.portal }));
  }

  /** Discovery plus a login to every target to list its LUNs (`iscsi-ls -s`). */
  async listLuns(portal: Portal, auth: InitiatorAuth = {}): Promise<IscsiLsTarget[]> {
    assertPortal(portal);
    this.checkAuth(auth);
    const r = await this.runner.run(
      'iscsi-ls',
      ['-s', '-i', this.initiatorIqn, `iscsi://${formatPortal(portal)}`],
      this.libiscsiOptions(auth),
    );
    return parseIscsiLs(r.stdout);
  }

  async capacity(portal: Portal, iqn: string, lun: number, chap?: ChapCredentials): Promise<number> {
    return this.capacityOf({ portal, iqn, lun }, chap ? { chap } : {});
  }

  /** Capacity in bytes (READ CAPACITY 16), with optional one-way or mutual CHAP. */
  async capacityOf(address: LunAddress, auth: InitiatorAuth = {}): Promise<number> {
    this.checkLun(address);
    this.checkAuth(auth);
    const url = `iscsi://${formatPortal(address.portal)}/${address.iqn}/${address.lun}`;
    const r = await this.runner.run('iscsi-readcapacity16', ['-i', this.initiatorIqn, url], this.libiscsiOptions(auth));
    return parseReadCapacity16(r.stdout).totalBytes;
  }

  /** Writes `data` at byte `offset` of the LUN through QEMU's iSCSI driver (one-way CHAP only: QEMU has no mutual CHAP). */
  async write(address: LunAddress, offset: number, data: Buffer, chap?: ChapCredentials): Promise<void> {
    this.checkIo(address, offset, data.length, chap);
    // qemu-io opens its pattern file by name, and /dev/stdin cannot be opened when stdin is a
    // socket (as Node's child stdin is), so the data goes through a temporary file.
    const file = await this.tempFile(data);
    try {
      await this.qemuIo(address, chap, `write -q -s ${file} ${offset} ${data.length}`);
    } finally {
      await this.runner.run('rm', ['-f', '--', file]);
    }
  }

  /** Reads `length` bytes at byte `offset` of the LUN through QEMU's iSCSI driver. */
  async read(address: LunAddress, offset: number, length: number, chap?: ChapCredentials): Promise<Buffer> {
    this.checkIo(address, offset, length, chap);
    const out = await this.qemuIo(address, chap, `read -v ${offset} ${length}`);
    return parseQemuIoDump(out, offset, length);
  }

  private checkIo(address: LunAddress, offset: number, length: number, chap: ChapCredentials | undefined): void {
    this.checkLun(address);
    this.checkAuth(chap ? { chap } : {});
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new InvalidArgumentError('offset', 'must be a non-negative integer');
    if (!Number.isInteger(length) || length < 1 || length > MAX_IO_BYTES) {
      throw new InvalidArgumentError('length', `must be an integer in [1, ${MAX_IO_BYTES}]`);
    }
  }

  private async qemuIo(a: LunAddress, chap: ChapCredentials | undefined, command: string): Promise<string> {
    const opts = [
      'driver=iscsi',
      'transport=tcp',
      `portal=${formatPortal(a.portal)}`,
      `target=${a.iqn}`,
      `lun=${a.lun}`,
      `initiator-name=${this.initiatorIqn}`,
    ];
    const run = (extra: string[], image: string[]) =>
      this.runner.run('qemu-io', [...extra, '--image-opts', [...opts, ...image].join(','), '-c', command], {
        ...(chap ? { secrets: [chap.password] } : {}),
        ...(this.timeoutMs !== undefined ? { timeoutMs: this.timeoutMs } : {}),
      });
    if (!chap) return (await run([], [])).stdout;
    const file = await this.tempFile(chap.password, [chap.password]);
    try {
      return (
        await run(['--object', `secret,id=chap0,file=${file}`], [`user=${chap.username}`, 'password-secret=chap0'])
      ).stdout;
    } finally {
      await this.runner.run('rm', ['-f', '--', file]);
    }
  }

  /**
   * A mode-0600 file (mktemp's default) on the runner's host holding exactly `content`: a
   * secret gets no trailing newline, which QEMU would take as part of it. The content travels
   * on stdin.
   */
  private async tempFile(content: string | Buffer, secrets: readonly string[] = []): Promise<string> {
    const file = (await this.runner.run('mktemp', ['-t', 'virtmig-iscsi.XXXXXXXX'])).stdout.trim();
    assertAbsolutePath(file, 'mktemp output');
    try {
      await this.runner.run('dd', [`of=${file}`, 'status=none'], { input: content, secrets });
    } catch (e) {
      await this.runner.run('rm', ['-f', '--', file]);
      throw e;
    }
    return file;
  }
}
