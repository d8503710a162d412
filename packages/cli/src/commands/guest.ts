import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertDomainName, assertInt, InvalidArgumentError } from '@virtmig/core';
import { HeartbeatWatcher, QemuHypervisor } from '@virtmig/driver-qemu';
import { isLabHostName, labHost, labStatus, repoScript } from './lab.js';

const run = promisify(execFile);

/** `scripts/guest/build-guest --json`. */
export interface GuestImage {
  readonly kernel: string;
  readonly initrd: string;
  readonly hash: string;
  readonly workloads: readonly string[];
}

/** Options of `virtmig guest start`. */
export interface GuestStartOptions {
  readonly prefix: string;
  /** Lab host name. */
  readonly on: string;
  readonly memoryMiB: number;
  readonly vcpus: number;
  /** A workload packed in the guest image (e.g. `dirtier`). */
  readonly workload?: string;
  /** The workload's arguments, one string split on spaces by the guest. */
  readonly args?: string;
  /** Wait for the first heartbeat (ms; 0 = do not wait). */
  readonly waitMs: number;
}

/** What `virtmig guest start` reports. */
export interface GuestStarted {
  readonly name: string;
  readonly host: string;
  readonly uri: string;
  readonly serialLog: string;
  readonly image: string;
  /** Milliseconds from start to the first heartbeat on the host, when waited for. */
  readonly firstHeartbeatMs?: number;
}

/** Builds (or reuses) the lab guest image. */
export async function buildGuestImage(): Promise<GuestImage> {
  const script = await repoScript('scripts/guest/build-guest');
  const { stdout } = await run(script, ['--json'], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as GuestImage;
}

/** Kernel command line of the lab guest: console on ttyS0 and the workload protocol of scripts/guest/init. */
export function guestCmdline(workload?: string, args?: string): string {
  const parts = ['console=ttyS0', 'quiet'];
  if (workload !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(workload))
      throw new InvalidArgumentError('--workload', `bad workload name ${JSON.stringify(workload)}`);
    parts.push(`virtmig.workload=${workload}`);
  }
  if (args !== undefined && args !== '') {
    if (!/^[A-Za-z0-9_.,:=+/ -]+$/.test(args))
      throw new InvalidArgumentError('--args', 'may hold letters, digits, spaces and _.,:=+/- only');
    parts.push(`virtmig.args="${args}"`);
  }
  return parts.join(' ');
}

/**
 * Defines and starts a lab guest (direct kernel boot of scripts/guest/build-guest's image, serial
 * log under the lab's state directory, so `lab down` removes it) and waits for its first heartbeat.
 */
export async function startGuest(name: string, o: GuestStartOptions): Promise<GuestStarted> {
  assertDomainName(name, 'name');
  assertInt(o.memoryMiB, '--memory', 16, 1 << 20);
  assertInt(o.vcpus, '--vcpus', 1, 64);
  assertInt(o.waitMs, '--wait', 0, 86_400_000);
  const cmdline = guestCmdline(o.workload, o.args);
  // Checked before the lab script runs, like every other value.
  if (!isLabHostName(o.on))
    throw new InvalidArgumentError('--on', `must be a lab host (a or b), got ${JSON.stringify(o.on)}`);
  const status = await labStatus(o.prefix);
  const host = labHost(status, o.on);
  const image = await buildGuestImage();
  if (o.workload !== undefined && !image.workloads.includes(o.workload)) {
    throw new InvalidArgumentError(
      '--workload',
      `"${o.workload}" is not in the guest image (it has ${image.workloads.join(', ')})`,
    );
  }
  const dir = join(status.stateDir, 'guests');
  await mkdir(dir, { recursive: true });
  const serialLog = join(dir, `${name}.log`);
  const h = await QemuHypervisor.open(host.uri, { domainType: status.domainType, memoryBalloon: false });
  try {
    await h.defineDomain({
      name,
      memoryMiB: o.memoryMiB,
      vcpus: o.vcpus,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline,
      serialLog,
    });
    const watcher = new HeartbeatWatcher(serialLog);
    try {
      const t0 = Date.now();
      await h.startDomain(name);
      if (o.waitMs <= 0) return { name, host: host.name, uri: host.uri, serialLog, image: image.hash };
      await watcher.start(false);
      await watcher.waitFor((w) => w.beats.length > 0, o.waitMs);
      return { name, host: host.name, uri: host.uri, serialLog, image: image.hash, firstHeartbeatMs: Date.now() - t0 };
    } catch (e) {
      // A guest that cannot start leaves nothing defined behind it.
      await h.destroyDomain(name).catch(() => undefined);
      await h.undefineDomain(name).catch(() => undefined);
      throw e;
    } finally {
      await watcher.stop();
    }
  } finally {
    await h.close();
  }
}

/** Stops (destroys) and undefines a lab guest wherever it is; resolves to the hosts it was on. */
export async function removeGuest(name: string, prefix: string): Promise<string[]> {
  assertDomainName(name, 'name');
  const status = await labStatus(prefix);
  const removed: string[] = [];
  for (const host of status.hosts.filter((x) => x.running)) {
    const h = await QemuHypervisor.open(host.uri, { domainType: status.domainType });
    try {
      const info = await h.lookupDomain(name).catch(() => undefined);
      if (!info) continue;
      if (info.state !== 'shutoff') await h.destroyDomain(name);
      if (info.persistent) await h.undefineDomain(name);
      removed.push(host.name);
    } finally {
      await h.close();
    }
  }
  return removed;
}
