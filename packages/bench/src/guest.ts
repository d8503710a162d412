import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { type DiskConfig, type DomainConfig, ParseError, StateError } from '@virtmig/core';
import { CommandFailedError, createWorkload, guestInitCmdline } from '@virtmig/workloads';
import type { TrialPlan } from './matrix.js';
import { repoPath } from './paths.js';
import { SerialWatcher } from './serial.js';
import type { StorageSpec, WorkloadSpec } from './spec-types.js';

/** A workload score averaged over the runs that finished in a window. */
export interface ScoreSummary {
  readonly score: number;
  readonly unit: string;
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
  /** Stops watching and removes per-trial files. */
  close(): Promise<void>;
}

/** Makes the guests of trials. */
export interface GuestProvider {
  prepare(plan: TrialPlan, workload: WorkloadSpec, domain: string): Promise<GuestHandle>;
}

function disksFor(storage: StorageSpec): DiskConfig[] {
  return storage.kind === 'iscsi'
    ? [{ kind: 'iscsi', portal: storage.portal, iqn: storage.iqn, lun: storage.lun }]
    : [];
}

/**
 * Guests without a kernel, for drivers that simulate them (the fake, libvirt's test driver):
 * ready at once, no heartbeats, no workload score.
 */
export class SimulatedGuestProvider implements GuestProvider {
  constructor(private readonly storage: StorageSpec = { kind: 'none' }) {}

  async prepare(plan: TrialPlan, _workload: WorkloadSpec, domain: string): Promise<GuestHandle> {
    const disks = disksFor(this.storage);
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
  readonly kernel: string;
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

/** Options of {@link LabGuestProvider}. */
export interface LabGuestOptions {
  readonly image: GuestImage;
  /** Directory for serial logs (both hosts must see the same path). */
  readonly logDir: string;
  readonly bootTimeoutMs: number;
  readonly storage?: StorageSpec;
  /** Keep serial logs after the trial (default false). */
  readonly keepLogs?: boolean;
}

/**
 * Guests of the lab image (docs/lab.md): direct kernel boot with the workload on the kernel
 * command line; heartbeats and workload output come back on the serial console, which is
 * appended to a file both hosts write.
 */
export class LabGuestProvider implements GuestProvider {
  constructor(private readonly options: LabGuestOptions) {}

  async prepare(plan: TrialPlan, workload: WorkloadSpec, domain: string): Promise<GuestHandle> {
    const o = this.options;
    await mkdir(o.logDir, { recursive: true });
    const serialLog = join(o.logDir, `${domain}.log`);
    // Created empty first: the watcher opens it before QEMU does, and a stale log of a crashed attempt is dropped.
    await writeFile(serialLog, '');
    const disks = disksFor(o.storage ?? { kind: 'none' });
    const config: DomainConfig = {
      name: domain,
      memoryMiB: plan.ramMiB,
      vcpus: plan.vcpus,
      kernel: o.image.kernel,
      initrd: o.image.initrd,
      cmdline: `console=ttyS0 quiet ${guestInitCmdline(workload.name, { seconds: workload.seconds }, workload.options)}`,
      serialLog,
      ...(disks.length ? { disks } : {}),
    };
    const watcher = new SerialWatcher(serialLog);
    await watcher.start();
    const parser = createWorkload(workload.name);
    let measureFrom = Number.POSITIVE_INFINITY;
    return {
      config,
      waitReady: async (signal) => {
        await watcher.waitFor(
          `boot of ${domain} (first heartbeat and workload start)`,
          () => {
            const err = watcher.lines.find((l) => l.text.startsWith('VIRTMIG ERROR'));
            if (err) throw new StateError(`guest ${domain} reported: ${err.text}`, { domain });
            return watcher.beats.length > 0 && watcher.lines.some((l) => l.text.startsWith('VIRTMIG WORKLOAD'));
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
          .filter((l) => l.hostMs >= measureFrom && l.text.startsWith('WL {'))
          .flatMap((l) => {
            try {
              return [parser.parse(l.text.slice(3))];
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
      close: async () => {
        await watcher.stop();
        if (!o.keepLogs) await rm(serialLog, { force: true });
      },
    };
  }
}
