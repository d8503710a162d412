import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import {
  type DiskConfig,
  type DomainConfig,
  type Hypervisor,
  InvalidArgumentError,
  isImageStoreCapable,
  ParseError,
  StateError,
  UnsupportedError,
} from '@virtmig/core';
import { SshRunner } from '@virtmig/iscsi';
import { CommandFailedError, createWorkload, guestInitCmdline } from '@virtmig/workloads';
import type { TrialPlan } from './matrix.js';
import { repoPath } from './paths.js';
import { CommandConsoleWatcher, type ConsoleLine, type ConsoleWatcher, SerialWatcher } from './serial.js';
import type { StorageSpec, WorkloadSpec } from './spec-types.js';
import { StreamConsoleWatcher } from './stream-console.js';

/** A workload score averaged over the runs that finished in a window. */
export interface ScoreSummary {
  /** Mean score over the runs. */
  readonly score: number;
  /** Unit of the score, e.g. `DMIPS`. */
  readonly unit: string;
  /** Number of workload runs that finished in the window. */
  readonly runs: number;
}

/** The guest of one trial, from definition to teardown. */
export interface GuestHandle {
  /** What to define on the source host. */
  readonly config: DomainConfig;
  /** Resolves once the guest is up and its workload runs. */
  waitReady(signal?: AbortSignal): Promise<void>;
  /** Starts the window whose workload results {@link score} averages. */
  markMeasureStart(): void;
  /** Mean score of the workload runs that finished since {@link markMeasureStart}, if any did. */
  score(): ScoreSummary | undefined;
  /** Largest host-side heartbeat gap between two `performance.now()` readings, when the guest sends heartbeats. */
  heartbeatGap(fromMs: number, toMs: number): number | undefined;
  /**
   * Resolves once the guest shows it still works on the destination of a migration that started
   * at `fromMs` and returned at `toMs` (`performance.now()` readings); throws `E_STATE` or
   * `E_TIMEOUT` when it does not. Guests with nothing to check leave it out.
   */
  checkAfterMigration?(fromMs: number, toMs: number, signal?: AbortSignal): Promise<void>;
  /** Stops watching and removes per-trial files. */
  close(): Promise<void>;
}

/** The two connected hosts a trial's guest starts on and migrates to. */
export interface GuestHosts {
  /** The host the guest is defined and started on. */
  readonly source: Hypervisor;
  /** The host it migrates to. */
  readonly destination: Hypervisor;
}

/** Makes the guests of trials. */
export interface GuestProvider {
  /**
   * Makes the guest of one trial: what to define on the source and how to watch it. `hosts` are
   * the trial's connected hosts, for providers that put the image on them or read consoles
   * through them.
   */
  prepare(plan: TrialPlan, workload: WorkloadSpec, domain: string, hosts?: GuestHosts): Promise<GuestHandle>;
}

/**
 * The guest's disks: `disk` when the environment made one (the lab's shared disk), else the
 * spec's own LUN. An iSCSI storage with neither cannot be attached.
 */
export function disksFor(storage: StorageSpec, disk?: DiskConfig): DiskConfig[] {
  if (disk) return [disk];
  if (storage.kind !== 'iscsi') return [];
  if (storage.portal === undefined || storage.iqn === undefined || storage.lun === undefined) {
    throw new InvalidArgumentError(
      'storage.portal',
      "is required unless the lab's shared disk is served (hosts: lab); got no portal and no disk",
    );
  }
  return [{ kind: 'iscsi', portal: storage.portal, iqn: storage.iqn, lun: storage.lun }];
}

/** The device the guest sees its first disk as (the QEMU driver names disks vda, vdb, ... in order). */
function guestDevice(disk: DiskConfig): string {
  return disk.target ?? 'vda';
}

/**
 * Guests without a kernel, for drivers that simulate them (the fake, libvirt's test driver):
 * ready at once, no heartbeats, no workload score.
 */
export class SimulatedGuestProvider implements GuestProvider {
  private readonly disks: readonly DiskConfig[];

  /** `disk` replaces the spec's LUN (the lab's shared disk, see {@link disksFor}). */
  constructor(storage: StorageSpec = { kind: 'none' }, disk?: DiskConfig) {
    this.disks = disksFor(storage, disk);
  }

  async prepare(plan: TrialPlan, _workload: WorkloadSpec, domain: string): Promise<GuestHandle> {
    const disks = this.disks;
    return {
      config: { name: domain, memoryMiB: plan.ramMiB, vcpus: plan.vcpus, ...(disks.length ? { disks } : {}) },
      waitReady: async () => {},
      markMeasureStart: () => {},
      score: () => undefined,
      heartbeatGap: () => undefined,
      close: async () => {},
    };
  }
}

/** The lab guest image: kernel and initrd from scripts/guest/build-guest. */
export interface GuestImage {
  /** Path of the guest kernel. */
  readonly kernel: string;
  /** Path of the guest initrd. */
  readonly initrd: string;
}

/** Builds (or reuses from its cache) the lab guest image. */
export async function buildGuestImage(): Promise<GuestImage> {
  const script = repoPath('scripts/guest/build-guest');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(script, ['--json'], { maxBuffer: 1 << 20 }));
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    throw new CommandFailedError(script, ['--json'], err.code ?? null, null, String(err.stderr ?? e).slice(-400));
  }
  const j = JSON.parse(stdout) as Partial<GuestImage>;
  if (typeof j.kernel !== 'string' || typeof j.initrd !== 'string')
    throw new ParseError('build-guest output', 'no kernel or initrd');
  return { kernel: j.kernel, initrd: j.initrd };
}

/** Where a lab guest's console comes from. */
export interface ConsoleSource {
  /** The guest kernel's console device: `ttyS0` (a QEMU serial port) or `hvc0` (Xen's PV console). */
  readonly device: string;
  /**
   * A (not yet started) watcher of `domain`'s console, and the serial log file the domain's
   * config must name when the console is a file on this machine. Leftovers of an earlier guest
   * with the same name are dropped first.
   */
  open(
    domain: string,
    logDir: string,
    hosts?: GuestHosts,
  ): Promise<{
    /** The console watcher, not yet started. */
    watcher: ConsoleWatcher;
    /** The serial log file the domain's config must name, when the console is a file here. */
    serialLog?: string;
  }>;
}

/** QEMU's `<serial type='file'>` in `logDir`, which both lab hosts write (one filesystem). */
export const serialFileConsole: ConsoleSource = {
  device: 'ttyS0',
  async open(domain, logDir) {
    await mkdir(logDir, { recursive: true });
    const serialLog = join(logDir, `${domain}.log`);
    // Created empty first: the watcher opens it before QEMU does, and a stale log of a crashed attempt is dropped.
    await writeFile(serialLog, '');
    return { watcher: new SerialWatcher(serialLog), serialLog };
  },
};

/**
 * The console read through the hosts' own connections (a libvirt stream over any URI; QEMU
 * guests defined without a serial log have a pty console for it): for hosts that share no
 * filesystem with this machine. It follows the guest from the source to the destination.
 */
export const streamConsole: ConsoleSource = {
  device: 'ttyS0',
  async open(domain, _logDir, hosts) {
    if (!hosts) throw new InvalidArgumentError('hosts', 'a stream console needs the connected hosts');
    return { watcher: new StreamConsoleWatcher([hosts.source, hosts.destination], domain) };
  },
};

/**
 * Xen PV consoles as xenconsoled logs them on each dom0 (`/var/log/xen/console/guest-NAME.log`),
 * followed with `tail -F` over ssh on every host the guest can be on.
 */
export function xenConsole(hosts: readonly SshRunner[]): ConsoleSource {
  const logOf = (domain: string): string => `/var/log/xen/console/guest-${domain}.log`;
  return {
    device: 'hvc0',
    async open(domain) {
      // xenconsoled appends to an existing log, so an earlier guest's heartbeats would be read as this one's.
      await Promise.all(hosts.map((h) => h.run('rm', ['-f', logOf(domain)])));
      const tail = SshRunner.remoteCommand('tail', ['-n', '+1', '-F', logOf(domain)]);
      return { watcher: new CommandConsoleWatcher(hosts.map((h) => ['ssh', ...h.sshArgs(tail)])) };
    },
  };
}

/** Options of {@link LabGuestProvider}. */
export interface LabGuestOptions {
  /** The guest image to boot: files on this machine (see {@link LabGuestOptions.uploadImage}). */
  readonly image: GuestImage;
  /**
   * Put the image on both hosts of each trial through their connections (core's
   * `ImageStoreCapable`: sent once per host, named by content) and boot it from there, for hosts
   * that do not see this machine's files. Default false: both hosts read the image's paths.
   */
  readonly uploadImage?: boolean;
  /** Directory for serial logs (both hosts must see the same path). */
  readonly logDir: string;
  /** Where the console comes from (default {@link serialFileConsole}). */
  readonly console?: ConsoleSource;
  /** How long to wait for the first heartbeat and workload line. */
  readonly bootTimeoutMs: number;
  /** Shared storage the guest's disk is on, when any. */
  readonly storage?: StorageSpec;
  /** The disk the environment made for the storage (the lab's shared disk); replaces the spec's LUN. */
  readonly disk?: DiskConfig;
  /** Keep serial logs after the trial (default false). */
  readonly keepLogs?: boolean;
}

/** A `DISK <seq> <md5>` line: the guest read its disk's first MiB (scripts/guest/init, virtmig.disk). */
interface DiskRead {
  readonly seq: number;
  readonly md5: string;
  readonly hostMs: number;
}

function diskReads(lines: readonly ConsoleLine[]): DiskRead[] {
  return lines.flatMap((l) => {
    const p = l.parsed;
    return p.kind === 'disk-read' ? [{ seq: p.seq, md5: p.md5, hostMs: l.hostMs }] : [];
  });
}

function guestError(lines: readonly ConsoleLine[], domain: string, fromMs = 0): StateError | undefined {
  const err = lines.find((l) => l.hostMs >= fromMs && l.parsed.kind === 'event' && l.parsed.event === 'ERROR');
  return err ? new StateError(`guest ${domain} reported: ${err.text}`, { domain }) : undefined;
}

/**
 * Guests of the lab image (docs/lab.md): direct kernel boot with the workload on the kernel
 * command line; heartbeats and workload output come back on the serial console, which is
 * appended to a file both hosts write. With a disk, the guest also reads its first MiB and
 * writes a record to it every half second (`virtmig.disk=vda`), so a trial exercises the
 * shared LUN before, during and after the migration.
 */
export class LabGuestProvider implements GuestProvider {
  private readonly disks: readonly DiskConfig[];

  constructor(private readonly options: LabGuestOptions) {
    this.disks = disksFor(options.storage ?? { kind: 'none' }, options.disk);
  }

  private readonly uploads = new Map<string, Promise<GuestImage>>();

  // Once per host and image: ensureImage sends a file only when the host lacks it, and a host's
  // answer is the same for every trial of the run.
  private uploaded(hosts: GuestHosts | undefined): Promise<GuestImage> {
    if (!hosts) throw new InvalidArgumentError('hosts', 'uploading the guest image needs the connected hosts');
    const put = (h: Hypervisor): Promise<GuestImage> => {
      let p = this.uploads.get(h.uri);
      if (!p) {
        if (!isImageStoreCapable(h)) throw new UnsupportedError('putting a guest image on the host', h.driver);
        p = (async () => ({
          kernel: (await h.ensureImage(this.options.image.kernel)).path,
          initrd: (await h.ensureImage(this.options.image.initrd)).path,
        }))();
        this.uploads.set(h.uri, p);
        p.catch(() => this.uploads.delete(h.uri));
      }
      return p;
    };
    return Promise.all([put(hosts.source), put(hosts.destination)]).then(([src, dst]) => {
      // The domain XML migrates as it is, so the destination must hold the image at the same path.
      if (src.kernel !== dst.kernel || src.initrd !== dst.initrd)
        throw new StateError(
          `the guest image is at ${src.kernel} on ${hosts.source.uri} but ${dst.kernel} on ${hosts.destination.uri}: give both hosts the same image pool path`,
        );
      return src;
    });
  }

  async prepare(plan: TrialPlan, workload: WorkloadSpec, domain: string, hosts?: GuestHosts): Promise<GuestHandle> {
    const o = this.options;
    const image = o.uploadImage ? await this.uploaded(hosts) : o.image;
    const source = o.console ?? serialFileConsole;
    const { watcher, serialLog } = await source.open(domain, o.logDir, hosts);
    const disks = this.disks;
    const device = disks[0] ? guestDevice(disks[0]) : undefined;
    const params = [
      `console=${source.device} quiet`,
      guestInitCmdline(workload.name, { seconds: workload.seconds }, workload.options),
      // One workload copy per vCPU: the workloads are single-threaded.
      `virtmig.instances=${plan.vcpus}`,
      ...(device ? [`virtmig.disk=${device}`] : []),
    ];
    const config: DomainConfig = {
      name: domain,
      memoryMiB: plan.ramMiB,
      vcpus: plan.vcpus,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline: params.join(' '),
      ...(serialLog ? { serialLog } : {}),
      ...(disks.length ? { disks } : {}),
    };
    await watcher.start();
    const parser = createWorkload(workload.name);
    let measureFrom = Number.POSITIVE_INFINITY;
    return {
      config,
      waitReady: async (signal) => {
        await watcher.waitFor(
          `boot of ${domain} (first heartbeat and workload start${device ? `, first read of ${device}` : ''})`,
          () => {
            const err = guestError(watcher.lines, domain);
            if (err) throw err;
            return (
              watcher.beats.length > 0 &&
              watcher.lines.some((l) => l.parsed.kind === 'event' && l.parsed.event === 'WORKLOAD') &&
              (device === undefined || diskReads(watcher.lines).length > 0)
            );
          },
          o.bootTimeoutMs,
          signal,
        );
      },
      markMeasureStart: () => {
        measureFrom = performance.now();
      },
      score: () => {
        const results = watcher.lines
          .flatMap((l) =>
            l.hostMs >= measureFrom && l.parsed.kind === 'workload-output' && l.parsed.text.startsWith('{')
              ? [l.parsed.text]
              : [],
          )
          .flatMap((json) => {
            try {
              return [parser.parse(json)];
            } catch {
              // A line torn by the console or a progress line is not a result.
              return [];
            }
          });
        if (results.length === 0) return undefined;
        return {
          score: results.reduce((s, r) => s + r.score, 0) / results.length,
          unit: results[0]?.unit ?? '',
          runs: results.length,
        };
      },
      heartbeatGap: (fromMs, toMs) => watcher.largestGap(fromMs, toMs),
      ...(device
        ? {
            // Nothing writes the first MiB, so reads on the destination must match the last one on
            // the source. The second read printed after the migration returned started on the
            // destination whatever the console's delay, so that one proves the new host's path.
            checkAfterMigration: async (fromMs: number, toMs: number, signal?: AbortSignal) => {
              const before = diskReads(watcher.lines)
                .filter((d) => d.hostMs < fromMs)
                .at(-1);
              if (!before) throw new StateError(`guest ${domain} read no disk before the migration`, { domain });
              const after = (): DiskRead[] => diskReads(watcher.lines).filter((d) => d.hostMs > toMs);
              await watcher.waitFor(
                `two reads of ${device} by ${domain} after the migration`,
                () => {
                  const err = guestError(watcher.lines, domain, fromMs);
                  if (err) throw err;
                  return after().length >= 2;
                },
                o.bootTimeoutMs,
                signal,
              );
              for (const d of after().slice(0, 2)) {
                if (d.md5 !== before.md5 || d.seq <= before.seq) {
                  throw new StateError(
                    `guest ${domain} read ${device} as md5 ${d.md5} (read ${d.seq}) after the migration, ${before.md5} (read ${before.seq}) before`,
                    { domain },
                  );
                }
              }
            },
          }
        : {}),
      close: async () => {
        await watcher.stop();
        if (!o.keepLogs && serialLog) await rm(serialLog, { force: true });
      },
    };
  }
}
