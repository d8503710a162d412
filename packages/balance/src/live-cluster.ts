import {
  type ClusterSnapshot,
  estimatesFromTrials,
  type HostSnapshot,
  type MigrationEstimate,
  type MigrationModel,
  migrationModelFor,
  type TrialRecord,
  type VmSnapshot,
} from '@virtmig/analysis';
import { AbortedError, assertInt, type ConnectOptions, type DriverRegistry, type Hypervisor } from '@virtmig/core';
import { DomainCpuSampler, domainUsageBetween, sleepUnlessAborted } from '@virtmig/workloads';
import { livePredictionInput, measureLiveGuest } from './live-guest.js';

/** The workload a guest runs, from `virtmig.workload=` on its kernel command line (lab guests carry it). */
export function workloadOfXml(xml: string): string | undefined {
  return /virtmig\.workload=([A-Za-z0-9_-]+)/.exec(xml)?.[1];
}

/** Options of {@link snapshotHost}. */
export interface SnapshotHostOptions {
  /** How long CPU use is measured, in ms (default 1000; 1 to 3 600 000). */
  readonly sampleMs?: number;
  /** Expected migration costs by workload name (see `estimatesFromTrials`), for VMs the model cannot predict. */
  readonly estimates?: ReadonlyMap<string, MigrationEstimate>;
  /**
   * Predicts each running VM's migration from its measured dirty rate, memory and CPU use, over
   * `bandwidthBps`; VMs whose dirty rate cannot be measured, or that are
   * predicted not to converge, fall back to {@link SnapshotHostOptions.estimates}.
   */
  readonly prediction?: {
    /** The model (see `migrationModelFor`). */
    readonly model: MigrationModel;
    /** The link rate a migration off this host would get, in bytes per second. */
    readonly bandwidthBps: number;
  };
  /** Cuts the measurement short with `E_ABORTED`. */
  readonly signal?: AbortSignal;
}

const DEFAULT_SAMPLE_MS = 1000;

function sampleMsOf(options: SnapshotHostOptions): number {
  const ms = options.sampleMs ?? DEFAULT_SAMPLE_MS;
  assertInt(ms, 'sampleMs', 1, 3_600_000);
  return ms;
}

/**
 * One host as the policies see it: its cores, and each running domain with the CPU it used over
 * `sampleMs` (in % of one CPU) and, when its workload is known, the expected migration time and
 * downtime. A domain that stops or leaves during the measurement is left out.
 *
 * @throws `E_INVALID_ARGUMENT` for a `sampleMs` that is not an integer from 1 to 3 600 000 (before any call).
 * @throws `E_ABORTED` when `signal` aborts.
 * @throws whatever the hypervisor throws (e.g. `E_CLOSED` for a closed connection).
 */
export async function snapshotHost(
  h: Hypervisor,
  name: string,
  options: SnapshotHostOptions = {},
): Promise<HostSnapshot> {
  const sampleMs = sampleMsOf(options);
  const cores = (await h.hostInfo()).cpus;
  const running = (await h.listDomains()).filter((d) => d.state === 'running');
  const sampler = new DomainCpuSampler(h, { hostCpus: cores });
  const a = await sampler.read();
  if (!(await sleepUnlessAborted(sampleMs, options.signal)))
    throw new AbortedError('cluster snapshot', { cause: options.signal?.reason });
  const b = await sampler.read();
  const usage = domainUsageBetween(a.readings, b.readings, Number(b.atNs - a.atNs), cores);
  const predicted = options.prediction
    ? await predictRunning(
        h,
        running.map((d) => d.name),
        options.prediction,
        options.signal,
      )
    : new Map<string, Expected>();
  const vms: VmSnapshot[] = [];
  for (const d of running) {
    const u = usage.find((x) => x.name === d.name);
    if (!u) continue;
    const workloadEstimate = options.estimates?.get(workloadOfXml(await h.domainXml(d.name)) ?? '');
    const est =
      predicted.get(d.name) ??
      (workloadEstimate
        ? {
            totalTimeMs: workloadEstimate.totalTimeMs,
            ...(workloadEstimate.downtimeMs === undefined ? {} : { downtimeMs: workloadEstimate.downtimeMs }),
          }
        : undefined);
    vms.push({
      name: d.name,
      ramMiB: Math.round(d.maxMemoryKiB / 1024),
      cpuPercent: u.percentOfOneCpu,
      ...(est ? { expectedTotalTimeMs: est.totalTimeMs } : {}),
      ...(est?.downtimeMs !== undefined ? { expectedDowntimeMs: est.downtimeMs } : {}),
    });
  }
  return { name, cores, vms };
}

interface Expected {
  readonly totalTimeMs: number;
  readonly downtimeMs?: number;
}

/**
 * The model's expected costs of every domain in `names`, measured at the same time. A domain the
 * hypervisor cannot measure (E_UNSUPPORTED), that stopped or left (E_STATE, E_NOT_FOUND), or that
 * is predicted not to converge gets no entry.
 */
async function predictRunning(
  h: Hypervisor,
  names: readonly string[],
  p: NonNullable<SnapshotHostOptions['prediction']>,
  signal: AbortSignal | undefined,
): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  await Promise.all(
    names.map(async (name) => {
      let live: Awaited<ReturnType<typeof measureLiveGuest>>;
      try {
        live = await measureLiveGuest(h, name, signal === undefined ? {} : { signal });
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code === 'E_UNSUPPORTED' || code === 'E_STATE' || code === 'E_NOT_FOUND') return;
        throw e;
      }
      const r = p.model.predict(livePredictionInput(live, p.bandwidthBps, { driver: h.driver }));
      if (r.kind === 'converges') out.set(name, { totalTimeMs: r.totalTimeMs, downtimeMs: r.downtimeMs });
    }),
  );
  return out;
}

/** A host for {@link liveCluster}: the name the snapshot gives it, and how to connect. */
export interface LiveHost {
  /** Host name in the snapshot. */
  readonly name: string;
  /** libvirt URI of the host. */
  readonly uri: string;
  /** Options for the connection. */
  readonly options: ConnectOptions;
}

/** Options of {@link liveCluster}. */
export interface LiveClusterOptions {
  /**
   * The link rate between the hosts in bytes per second. With it every running VM whose dirty
   * rate the hypervisor can measure gets expected costs from the model of `records`
   * (`migrationModelFor`); without it only VMs whose workload has measured trials get them.
   */
  readonly bandwidthBps?: number;
  /** The model to predict with (default `migrationModelFor(records)`). */
  readonly model?: MigrationModel;
}

/**
 * The running cluster: connects to every host through `registry`, measures each one's running
 * domains at the same time over `sampleMs` ({@link snapshotHost}), with expected migration costs
 * predicted from each VM's measured dirty rate (when `options.bandwidthBps` is given) or else the
 * measured `records` of the workload the guest runs, and closes every connection it made.
 *
 * @throws `E_INVALID_ARGUMENT` for a bad `sampleMs` or a host URI the URI policy refuses, `E_UNKNOWN_SCHEME` /
 *   `E_INVALID_URI` for a host URI no driver in `registry` takes: all before connecting to any host.
 * @throws whatever connecting to or reading a host throws; connections already made are closed.
 */
export async function liveCluster(
  registry: DriverRegistry,
  hosts: readonly LiveHost[],
  records: readonly TrialRecord[],
  sampleMs = DEFAULT_SAMPLE_MS,
  options: LiveClusterOptions = {},
): Promise<ClusterSnapshot> {
  sampleMsOf({ sampleMs });
  // Every URI is checked before the first connection, so one bad host leaves every host untouched.
  for (const [i, h] of hosts.entries()) registry.check(h.uri, h.options, `hosts[${i}].uri`);
  const estimates = estimatesFromTrials(records);
  const prediction =
    options.bandwidthBps === undefined
      ? undefined
      : { model: options.model ?? migrationModelFor(records), bandwidthBps: options.bandwidthBps };
  const conns: Hypervisor[] = [];
  try {
    for (const h of hosts) conns.push(await registry.connect(h.uri, h.options));
    return {
      hosts: await Promise.all(
        conns.map((c, i) =>
          snapshotHost(c, hosts[i]?.name ?? c.uri, { sampleMs, estimates, ...(prediction ? { prediction } : {}) }),
        ),
      ),
    };
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}
