import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  AbortedError,
  type ConnectOptions,
  type DiskConfig,
  type DriverRegistry,
  type Hypervisor,
  StateError,
} from '@virtmig/core';
import { type LabStorage, secretHostsVia } from '@virtmig/iscsi';
import { HostCpuSampler, type ProcStat } from '@virtmig/workloads';
import { type HostsSetting, isLocalUri } from './capture.js';
import {
  buildGuestImage,
  type GuestProvider,
  LabGuestProvider,
  SimulatedGuestProvider,
  streamConsole,
} from './guest.js';
import { labHostPairs, labLinkShaping, labStorage, xenlabGuestSetup, xenlabHostPairs } from './lab.js';
import type { ExperimentSpec, HostPairSpec } from './spec-types.js';

/**
 * Every side effect the runner has, in one place, so tests can run it on a fake hypervisor and a
 * fast clock: host connections, guests, host CPU readings and time.
 */
export interface RunnerEnvironment {
  /** Opens a connection to a host with driver options. */
  connect(uri: string, options?: ConnectOptions): Promise<Hypervisor>;
  /** The host pairs of a spec (resolves `lab`). */
  hostPairs(spec: ExperimentSpec): Promise<HostPairSpec[]>;
  /** Makes guests for a spec's trials. */
  guests(spec: ExperimentSpec): Promise<GuestProvider>;
  /** One reading of the host's CPU counters (/proc/stat). */
  readHostCpu(): ProcStat;
  /** Monotonic milliseconds. */
  now(): number;
  /** Waits `ms`; rejects with `E_ABORTED` when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * What the runner knows of the hosts beyond their connections, for the run's recorded
   * environment (link shaping `unknown` and no host kernel when absent).
   */
  hostsSetting?(spec: ExperimentSpec, pairs: readonly HostPairSpec[]): Promise<HostsSetting>;
}

/** A timer that an AbortSignal cuts short with `E_ABORTED`. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError('run', { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError('run', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The lab's shared disk as host a's guests attach it, when the spec asks for iSCSI storage
 * without naming a LUN: served (idempotently) with the spec's CHAP setting. It stays up after the
 * run, like the lab; `virtmig storage down` or `virtmig lab down` stops it. A disk already served
 * with the other CHAP setting is refused rather than silently used.
 */
export async function labDiskFor(
  spec: ExperimentSpec,
  storage: () => Promise<LabStorage> = labStorage,
): Promise<DiskConfig | undefined> {
  if (spec.storage.kind !== 'iscsi' || spec.storage.portal !== undefined) return undefined;
  const chap = spec.storage.chap ?? false;
  const s = await storage();
  const status = await s.up({ chap });
  if ((status.chap != null) !== chap) {
    throw new StateError(
      `the shared disk of lab ${status.prefix} already runs with CHAP ${chap ? 'off' : 'on'}; stop it (\`virtmig storage down\`) or set storage.chap to ${!chap}`,
      { prefix: status.prefix },
    );
  }
  return s.disk('a');
}

/** Options of {@link defaultEnvironment}. */
export interface DefaultEnvironmentOptions {
  /** Where connections come from (the CLI passes its registry with every driver it ships). */
  readonly registry: DriverRegistry;
  /** Directory for guests' serial logs (default: a directory under the OS temp dir). */
  readonly logDir?: string;
  /** Keep serial logs after each trial. */
  readonly keepLogs?: boolean;
}

/** The real environment: a driver registry, the lab, real guests, /proc/stat and wall-clock time. */
export function defaultEnvironment(options: DefaultEnvironmentOptions): RunnerEnvironment {
  const hostSampler = new HostCpuSampler();
  return {
    connect: (uri, connectOptions) => options.registry.connect(uri, connectOptions ?? {}),
    hostPairs: async (spec) =>
      spec.hosts === 'lab' ? labHostPairs() : spec.hosts === 'xenlab' ? xenlabHostPairs() : [...spec.hosts],
    guests: async (spec) => {
      const disk = await labDiskFor(spec, () => labStorage(undefined, secretHostsVia(options.registry)));
      // The fake driver boots no kernel, whatever the spec's guest says.
      if (spec.guest.image === 'none' || spec.driver === 'fake') return new SimulatedGuestProvider(spec.storage, disk);
      if (spec.hosts === 'xenlab') {
        const xen = await xenlabGuestSetup();
        return new LabGuestProvider({
          image:
            spec.guest.kernel && spec.guest.initrd
              ? { kernel: spec.guest.kernel, initrd: spec.guest.initrd }
              : xen.image,
          console: xen.console,
          logDir: options.logDir ?? join(tmpdir(), 'virtmig-serial'),
          bootTimeoutMs: spec.guest.bootTimeoutMs,
          storage: spec.storage,
        });
      }
      const image =
        spec.guest.kernel && spec.guest.initrd
          ? { kernel: spec.guest.kernel, initrd: spec.guest.initrd }
          : await buildGuestImage();
      // Hosts named by URI may share no filesystem with this machine: the image goes to them
      // through libvirt and the console comes back over the same connections. The lab's hosts
      // read this machine's files, so its guests boot the image in place and log to a file.
      const remote = spec.hosts !== 'lab';
      return new LabGuestProvider({
        image,
        ...(remote ? { uploadImage: true, console: streamConsole } : {}),
        logDir: options.logDir ?? join(tmpdir(), 'virtmig-serial'),
        bootTimeoutMs: spec.guest.bootTimeoutMs,
        storage: spec.storage,
        ...(disk ? { disk } : {}),
        keepLogs: options.keepLogs ?? false,
      });
    },
    readHostCpu: () => hostSampler.read(),
    now: () => performance.now(),
    sleep: abortableSleep,
    hostsSetting: async (spec, pairs) =>
      spec.hosts === 'lab'
        ? { linkShaping: await labLinkShaping(), localKernel: true }
        : {
            linkShaping: 'unknown',
            localKernel:
              spec.hosts !== 'xenlab' && pairs.every((p) => isLocalUri(p.source) && isLocalUri(p.destination)),
          },
  };
}
