// The xenlab harness, shared by test/xen and scripts/bench/xen.mjs: one lab (scripts/xenlab/xenlab) brought up by the first test
// file that needs it and taken down by zz-xenlab-down.test.mjs; the iSCSI LUN both dom0s use.
import { execFile, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseHeartbeatLine } from '@virtmig/core';
import { XenHypervisor } from '@virtmig/driver-xen';
import { IscsiadmInitiator, SshRunner, TargetcliTarget } from '@virtmig/iscsi';
import { guestInitCmdline } from '@virtmig/workloads';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const xenlabBin = `${repoRoot}scripts/xenlab/xenlab`;

/** Runs scripts/xenlab/xenlab; throws on a non-zero exit with its stderr. */
export async function xenlab(...args) {
  try {
    return (await run(xenlabBin, args, { timeout: 1_800_000, maxBuffer: 8 << 20 })).stdout;
  } catch (e) {
    throw new Error(`xenlab ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

let up;
/** Brings the lab up once per process (idempotent) and resolves to its status JSON. */
export function ensureXenlab() {
  up ??= xenlab('up', '--json').then((out) => JSON.parse(out));
  return up;
}

/** Status of the lab as `xenlab status --json` prints it. */
export async function xenlabStatus() {
  return JSON.parse(await xenlab('status', '--json'));
}

/** The lab's hosts by name. */
export function hostOf(status, name) {
  const h = status.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name} in the xenlab status`);
  return h;
}

/** A CommandRunner on a lab host through its forwarded sshd, host key pinned. */
export function runnerOf(status, name) {
  return new SshRunner({
    host: '127.0.0.1',
    port: hostOf(status, name).sshPort,
    user: 'root',
    identityFile: status.ssh.identityFile,
    knownHostsFile: status.ssh.knownHostsFile,
    strictHostKeyChecking: 'yes',
    sshOptions: { ConnectTimeout: '30' },
  });
}

/** Opens both dom0s over xen+tls with the lab's client certificate. */
export async function openBoth(status) {
  return Promise.all(['xen-a', 'xen-b'].map((n) => XenHypervisor.open(hostOf(status, n).uri)));
}

export const SHARED_IQN = 'iqn.2026-11.lab.virtmig:shared';
export const LUN = 0;
const CHAP = { username: 'xenlab', password: 'xenlab-chap-secret-1' };

let storage;
/**
 * The study's storage: one LIO target with a file-backed LUN, an ACL per dom0 and CHAP, made
 * with the targetcli adapter over ssh; both dom0s logged in with the iscsiadm adapter. Resolves
 * to the by-path device that is the same on both dom0s.
 */
export function ensureSharedLun(status) {
  storage ??= (async () => {
    const target = new TargetcliTarget({ runner: runnerOf(status, 'storage') });
    // An earlier process (a test file, the bench) may have set the running lab up already.
    const made = (await target.listTargets()).some((t) => t.iqn === SHARED_IQN);
    if (!made) {
      await target.createTarget(SHARED_IQN);
      await target.addLun(SHARED_IQN, LUN, '/srv/iscsi/shared.img', 256 * 1024 * 1024);
      for (const n of ['xen-a', 'xen-b']) await target.allowInitiator(SHARED_IQN, hostOf(status, n).initiatorIqn);
      await target.setChap(SHARED_IQN, CHAP);
    }
    const portal = { host: status.storageAddress, port: 3260 };
    const initiators = {};
    for (const n of ['xen-a', 'xen-b']) {
      const runner = runnerOf(status, n);
      const ini = new IscsiadmInitiator({ runner, initiatorIqn: hostOf(status, n).initiatorIqn });
      if (!(await ini.sessions()).some((x) => x.iqn === SHARED_IQN)) {
        await ini.discover(portal);
        await ini.login(portal, SHARED_IQN, CHAP);
      }
      await runner.run('udevadm', ['settle', '-t', '30']);
      initiators[n] = ini;
    }
    const byPath = `/dev/disk/by-path/ip-${status.storageAddress}:3260-iscsi-${SHARED_IQN}-lun-${LUN}`;
    return { target, initiators, portal, byPath, chap: CHAP };
  })();
  return storage;
}

/** Where `xenlab up` puts the domU kernel and initramfs in every dom0, and the storage host's address. */
export const GUEST = { kernel: '/var/lib/xenlab/guest/vmlinuz', initrd: '/var/lib/xenlab/guest/initrd.img' };
export const STORAGE_ADDRESS = '10.0.1.3';

/** A PV domU config: build-guest's kernel + initramfs (with the xenlab overlay), optional workload and LUN. */
export function pvDomain(name, { workload, seconds = 5, memoryMiB = 128, maxVcpus, disk = false } = {}) {
  const cmdline = ['console=hvc0', 'quiet', ...(workload ? [guestInitCmdline(workload, { seconds })] : [])].join(' ');
  return {
    name,
    memoryMiB,
    vcpus: 1,
    ...(maxVcpus ? { maxVcpus } : {}),
    kernel: GUEST.kernel,
    initrd: GUEST.initrd,
    cmdline,
    ...(disk ? { disks: [{ kind: 'iscsi', portal: `${STORAGE_ADDRESS}:3260`, iqn: SHARED_IQN, lun: LUN }] } : {}),
  };
}

/**
 * Follows a domU's console log on both dom0s (`tail -F` over ssh) and stamps every line with
 * this machine's monotonic clock when it arrives. Under Xen PV the guest's own clock skips the
 * paused time after a migration, so only host-side stamps show the downtime.
 */
export class ConsoleFollower {
  constructor(status, domain) {
    this.lines = [];
    this.children = ['xen-a', 'xen-b'].map((n) => {
      const r = runnerOf(status, n);
      const argv = r.sshArgs(
        SshRunner.remoteCommand('tail', ['-n', '+1', '-F', `/var/log/xen/console/guest-${domain}.log`]),
      );
      const child = spawn('ssh', argv, { stdio: ['ignore', 'pipe', 'ignore'] });
      let rest = '';
      child.stdout.on('data', (chunk) => {
        const at = performance.now();
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) this.lines.push({ host: n, at, line: line.replace(/\r$/, '') });
      });
      return child;
    });
  }

  /** Heartbeats as `HB <seq> <host-ms>` lines (each seq once, first arrival), for heartbeatDowntime. */
  heartbeatLog() {
    const seen = new Map();
    for (const { at, line } of this.lines) {
      const beat = parseHeartbeatLine(line);
      if (beat && !seen.has(beat.seq)) seen.set(beat.seq, Math.round(at));
    }
    return [...seen.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([seq, ms]) => `HB ${seq} ${ms}\n`)
      .join('');
  }

  /** Sequence numbers of every heartbeat seen, in order of arrival. */
  heartbeatSeqs() {
    return this.lines.flatMap(({ line }) => {
      const beat = parseHeartbeatLine(line);
      return beat ? [beat.seq] : [];
    });
  }

  /** Resolves with the first line matching `re` (seen on either host), or rejects after `ms`. */
  async waitFor(re, ms = 180_000, host) {
    const until = performance.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l.line) && (host === undefined || l.host === host));
      if (hit) return hit;
      if (performance.now() > until) throw new Error(`no console line matching ${re} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop() {
    for (const c of this.children) c.kill();
  }
}

/**
 * Resolves once domU `name` on `host` has printed a heartbeat on its console (its kernel is up,
 * so it can be saved and migrated); rejects after `ms`.
 */
export async function waitBooted(status, host, name, ms = 300_000) {
  const runner = runnerOf(status, host);
  const until = performance.now() + ms;
  for (;;) {
    try {
      await runner.run('grep', ['-q', '^HB ', `/var/log/xen/console/guest-${name}.log`], { timeoutMs: 30_000 });
      return;
    } catch (e) {
      if (performance.now() > until)
        throw new Error(`${name} on ${host} printed no heartbeat within ${ms} ms: ${e.message}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Destroys and undefines a domain on either host, ignoring absence. */
export async function removeEverywhere(hosts, name) {
  for (const h of hosts) {
    await h.destroyDomain(name).catch(() => undefined);
    await h.undefineDomain(name).catch(() => undefined);
  }
}
