import {
  type ChapCredentials,
  type DiscoveredTarget,
  InvalidArgumentError,
  type LoginCapable,
  NotFoundError,
  type Portal,
  StateError,
  type StorageInitiator,
} from '@virtmig/core';
import { CommandFailedError } from './errors.js';
import {
  type IscsiadmSession,
  iscsiadmLoginSucceeded,
  parseIscsiadmAttachedDisks,
  parseIscsiadmNodes,
  parseIscsiadmSessions,
} from './iscsiadm-parse.js';
import type { InitiatorAuth } from './libiscsi-initiator.js';
import type { CommandRunner } from './runner.js';
import {
  assertChapCredentials,
  assertIscsiName,
  assertLun,
  assertPortal,
  assertSafeToken,
  type ChapLimits,
  formatPortal,
} from './validate.js';

/** iscsiadm's exit status for "no records/sessions found" (ISCSI_ERR_NO_OBJS_FOUND). */
export const ISCSIADM_NO_OBJECTS = 21;

/** Options of an {@link IscsiadmInitiator}. */
export interface IscsiadmInitiatorOptions {
  /** Runs iscsiadm, locally or on the initiator's host. */
  readonly runner: CommandRunner;
  /** Initiator name, set on the adapter's own iface record (not the host-wide default). */
  readonly initiatorIqn: string;
  /** Name of the iface record the adapter creates. Default `virtmig`. */
  readonly iface?: string;
  /** CHAP secret length limits of the target in use. Default 12 to 255 characters. */
  readonly chapLimits?: ChapLimits;
}

/**
 * {@link StorageInitiator} and {@link LoginCapable} over open-iscsi's `iscsiadm` (the kernel
 * initiator: needs iscsid and the iscsi_tcp module). It works through its own iface record
 * carrying `initiatorIqn`, so the host's default initiator name is never touched. iscsiadm only
 * takes CHAP secrets as `-v VALUE` arguments of `-o update`; they are redacted from errors and
 * logs, and iscsiadm stores them in its node database (mode 0600 files under /etc/iscsi/nodes).
 */
export class IscsiadmInitiator implements StorageInitiator, LoginCapable {
  readonly kind = 'iscsiadm';
  readonly initiatorIqn: string;
  private readonly runner: CommandRunner;
  private readonly iface: string;
  private readonly chapLimits: ChapLimits;
  private ifaceReady = false;
  private readonly nodes = new Map<string, { portal: Portal; iqn: string }>();

  constructor(options: IscsiadmInitiatorOptions) {
    assertIscsiName(options.initiatorIqn, 'initiatorIqn');
    const iface = options.iface ?? 'virtmig';
    assertSafeToken(iface, 'iface');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(iface))
      throw new InvalidArgumentError('iface', 'may only hold A-Z a-z 0-9 _ . -');
    this.initiatorIqn = options.initiatorIqn;
    this.runner = options.runner;
    this.iface = iface;
    this.chapLimits = options.chapLimits ?? {};
  }

  private iscsiadm(args: readonly string[], secrets: readonly string[] = []) {
    return this.runner.run('iscsiadm', args, { secrets });
  }

  private async ensureIface(): Promise<void> {
    if (this.ifaceReady) return;
    await this.iscsiadm(['-m', 'iface', '-I', this.iface, '-o', 'new']);
    await this.iscsiadm([
      '-m',
      'iface',
      '-I',
      this.iface,
      '-o',
      'update',
      '-n',
      'iface.initiatorname',
      '-v',
      this.initiatorIqn,
    ]);
    this.ifaceReady = true;
  }

  /** SendTargets discovery; iscsiadm also records a node for each target found. */
  async discover(portal: Portal): Promise<DiscoveredTarget[]> {
    assertPortal(portal);
    await this.ensureIface();
    const r = await this.iscsiadm([
      '-m',
      'discovery',
      '-t',
      'sendtargets',
      '-p',
      formatPortal(portal),
      '-I',
      this.iface,
    ]);
    const found = parseIscsiadmNodes(r.stdout);
    for (const n of found) this.nodes.set(`${formatPortal(n.portal)} ${n.iqn}`, { portal: n.portal, iqn: n.iqn });
    return found.map((n) => ({ iqn: n.iqn, portal: n.portal }));
  }

  async login(portal: Portal, iqn: string, chap?: ChapCredentials): Promise<void> {
    await this.loginWith(portal, iqn, chap ? { chap } : {});
  }

  /** Logs in with one-way or mutual CHAP. */
  async loginWith(portal: Portal, iqn: string, auth: InitiatorAuth): Promise<void> {
    assertPortal(portal);
    assertIscsiName(iqn);
    if (auth.chap) assertChapCredentials(auth.chap, 'chap', this.chapLimits);
    if (auth.mutual) {
      if (!auth.chap) throw new InvalidArgumentError('mutual', 'mutual CHAP needs one-way CHAP credentials too');
      assertChapCredentials(auth.mutual, 'mutual', this.chapLimits);
    }
    await this.ensureIface();
    const node = ['-m', 'node', '-T', iqn, '-p', formatPortal(portal), '-I', this.iface];
    const key = `${formatPortal(portal)} ${iqn}`;
    if (!this.nodes.has(key)) {
      await this.iscsiadm([...node, '-o', 'new']);
      this.nodes.set(key, { portal, iqn });
    }
    const set = (name: string, value: string, secret = false) =>
      this.iscsiadm([...node, '-o', 'update', '-n', name, '-v', value], secret ? [value] : []);
    if (auth.chap) {
      await set('node.session.auth.authmethod', 'CHAP');
      await set('node.session.auth.username', auth.chap.username);
      await set('node.session.auth.password', auth.chap.password, true);
    } else {
      await set('node.session.auth.authmethod', 'None');
    }
    if (auth.mutual) {
      await set('node.session.auth.username_in', auth.mutual.username);
      await set('node.session.auth.password_in', auth.mutual.password, true);
    }
    const out = await this.iscsiadm([...node, '--login']);
    if (!iscsiadmLoginSucceeded(out.stdout, iqn)) {
      throw new StateError(`iscsiadm did not report a successful login to ${iqn}`, {
        iqn,
        portal: formatPortal(portal),
      });
    }
  }

  async logout(portal: Portal, iqn: string): Promise<void> {
    assertPortal(portal);
    assertIscsiName(iqn);
    await this.iscsiadm(['-m', 'node', '-T', iqn, '-p', formatPortal(portal), '-I', this.iface, '--logout']);
  }

  /** Active sessions (an empty list when iscsiadm reports none). */
  async sessions(): Promise<IscsiadmSession[]> {
    try {
      return parseIscsiadmSessions((await this.iscsiadm(['-m', 'session'])).stdout);
    } catch (e) {
      if (e instanceof CommandFailedError && e.exitCode === ISCSIADM_NO_OBJECTS) return [];
      throw e;
    }
  }

  /** The kernel block device (`/dev/sdX`) of a logged-in LUN. */
  async device(iqn: string, lun: number): Promise<string> {
    assertIscsiName(iqn);
    assertLun(lun);
    let text = '';
    try {
      text = (await this.iscsiadm(['-m', 'session', '-P', '3'])).stdout;
    } catch (e) {
      if (!(e instanceof CommandFailedError && e.exitCode === ISCSIADM_NO_OBJECTS)) throw e;
    }
    const d = parseIscsiadmAttachedDisks(text).find((x) => x.iqn === iqn && x.lun === lun);
    if (!d)
      throw new NotFoundError('attached LUN', `${iqn}/${lun}`, `no block device for ${iqn} LUN ${lun}: not logged in?`);
    return `/dev/${d.disk}`;
  }

  /** Capacity of a LUN of a logged-in target (`blockdev --getsize64`); the CHAP argument is unused as the session exists. */
  async capacity(portal: Portal, iqn: string, lun: number, chap?: ChapCredentials): Promise<number> {
    assertPortal(portal);
    if (chap) assertChapCredentials(chap, 'chap', this.chapLimits);
    const dev = await this.device(iqn, lun);
    return Number((await this.runner.run('blockdev', ['--getsize64', dev])).stdout.trim());
  }

  /** Logs out of and deletes the node records this adapter created, then its iface record. */
  async teardown(): Promise<void> {
    const errors: unknown[] = [];
    const live = await this.sessions();
    for (const { portal, iqn } of this.nodes.values()) {
      const node = ['-m', 'node', '-T', iqn, '-p', formatPortal(portal), '-I', this.iface];
      try {
        if (live.some((s) => s.iqn === iqn && formatPortal(s.portal) === formatPortal(portal)))
          await this.iscsiadm([...node, '--logout']);
        await this.iscsiadm([...node, '-o', 'delete']);
      } catch (e) {
        errors.push(e);
      }
    }
    this.nodes.clear();
    if (this.ifaceReady) {
      try {
        await this.iscsiadm(['-m', 'iface', '-I', this.iface, '-o', 'delete']);
      } catch (e) {
        errors.push(e);
      }
      this.ifaceReady = false;
    }
    if (errors.length > 0) throw errors[0];
  }
}
