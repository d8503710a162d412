import {
  type Hypervisor,
  type HypervisorCapabilities,
  isVirtmigError,
  type MigrationOptions,
  type MigrationProgress,
  type MigrationResult,
  type MigrationRound,
  type NonConvergedMigration,
  UnsupportedError,
} from '@virtmig/core';

import { busyPercent, DomainCpuSampler, domainUsageBetween } from '@virtmig/workloads';
import type { RunnerEnvironment } from './environment.js';
import type { GuestHandle, GuestProvider } from './guest.js';
import type { TrialPlan } from './matrix.js';
import type { CpuSample, TimelineSample, TrialOutcome } from './records.js';
import type { ExperimentSpec, HostPairSpec, MigrationSpec } from './spec-types.js';

/** A connected host pair. */
export interface ConnectedPair {
  /** The pair's spec. */
  readonly spec: HostPairSpec;
  /** Connection to the source host. */
  readonly source: Hypervisor;
  /** Connection to the destination host. */
  readonly destination: Hypervisor;
}

/** The migration options a spec asks for, without callbacks. */
export function migrationOptions(m: MigrationSpec, pair: HostPairSpec): MigrationOptions {
  return {
    live: m.live,
    timeoutMs: m.timeoutMs,
    ...(m.maxDowntimeMs !== undefined ? { maxDowntimeMs: m.maxDowntimeMs } : {}),
    ...(m.bandwidthMiBps !== undefined ? { bandwidthMiBps: m.bandwidthMiBps } : {}),
    ...(m.autoConverge !== undefined ? { autoConverge: m.autoConverge } : {}),
    ...(m.postCopyAfterMs !== undefined ? { postCopy: { afterMs: m.postCopyAfterMs } } : {}),
    ...(m.compression !== undefined ? { compression: m.compression } : {}),
    ...(m.parallelConnections !== undefined ? { parallelConnections: m.parallelConnections } : {}),
    ...(m.tunnelled
      ? { tunnelled: true, ...(pair.peerUri !== undefined ? { peerUri: pair.peerUri } : {}) }
      : pair.migrateUri !== undefined
        ? { migrateUri: pair.migrateUri }
        : {}),
  };
}

/**
 * Refuses a spec that asks `driver` for something its declared capabilities lack: CPU caps (a
 * cap above 0 without `cpuCap`), live migration, or a migration option it does not honour on
 * any of `pairs`. Callers run it before anything is created: the CLI against the drivers'
 * declared capabilities before it opens the database, the runner against each connection's.
 * @throws `E_UNSUPPORTED` naming the feature and the driver.
 */
export function checkDriverSupport(
  spec: ExperimentSpec,
  driver: string,
  caps: HypervisorCapabilities,
  pairs: readonly HostPairSpec[],
): void {
  if (!caps.cpuCap && spec.matrix.capPercent.some((c) => c > 0))
    throw new UnsupportedError('CPU caps (matrix.capPercent above 0)', driver);
  if (!spec.migration.enabled) return;
  if (!caps.migration) throw new UnsupportedError('live migration', driver);
  for (const pair of pairs.length > 0 ? pairs : [{ source: '', destination: '' }]) {
    for (const key of Object.keys(migrationOptions(spec.migration, pair)) as (keyof MigrationOptions)[]) {
      if (key === 'live' || key === 'timeoutMs' || key === 'migrateUri') continue;
      if (!caps.migrationOptions.has(key)) throw new UnsupportedError(`migration option ${key}`, driver);
    }
  }
}

/**
 * Refuses, before any trial runs, a spec the source host's driver cannot run
 * ({@link checkDriverSupport} with the connection's capabilities), rather than failing every
 * trial later.
 * @throws `E_UNSUPPORTED` naming the feature.
 */
export function checkMigrationSupport(spec: ExperimentSpec, pair: ConnectedPair): void {
  checkDriverSupport(spec, pair.source.driver, pair.source.capabilities, [pair.spec]);
}

/** Removes a trial's domain from both hosts, wherever a crash or failure left it. */
export async function removeDomain(hosts: readonly Hypervisor[], name: string): Promise<void> {
  for (const h of hosts) {
    let info: Awaited<ReturnType<Hypervisor['lookupDomain']>>;
    try {
      info = await h.lookupDomain(name);
    } catch (e) {
      if (isVirtmigError(e, 'E_NOT_FOUND')) continue;
      throw e;
    }
    if (info.state !== 'shutoff') {
      try {
        await h.destroyDomain(name);
      } catch (e) {
        if (!isVirtmigError(e, 'E_NOT_FOUND') && !isVirtmigError(e, 'E_STATE')) throw e;
      }
    }
    if (info.persistent) {
      try {
        await h.undefineDomain(name);
      } catch (e) {
        if (!isVirtmigError(e, 'E_NOT_FOUND')) throw e;
      }
    }
  }
}

/** The cap applied for a nominal cap: a cap above the vCPUs' total means no limit beyond the vCPUs. */
export function effectiveCap(capPercent: number, vcpus: number): number {
  return Math.min(capPercent, 100 * vcpus);
}

/** Samples the domain's and the host's CPU use every `intervalMs` for `durationMs`. */
async function sampleCpu(
  env: RunnerEnvironment,
  host: Hypervisor,
  domain: string,
  hostCores: number,
  intervalMs: number,
  durationMs: number,
  signal?: AbortSignal,
): Promise<CpuSample[]> {
  const domains = new DomainCpuSampler(host, { domains: [domain], source: 'lookup', hostCpus: hostCores, intervalMs });
  const samples: CpuSample[] = [];
  const t0 = env.now();
  let prevDom = await domains.read();
  let prevHost = env.readHostCpu();
  const count = Math.max(1, Math.floor(durationMs / intervalMs));
  for (let i = 0; i < count; i++) {
    await env.sleep(intervalMs, signal);
    const dom = await domains.read();
    const hostStat = env.readHostCpu();
    const elapsedNs = Number(dom.atNs - prevDom.atNs);
    const usage =
      elapsedNs > 0 ? domainUsageBetween(prevDom.readings, dom.readings, elapsedNs, hostCores)[0] : undefined;
    if (usage) {
      samples.push({
        tMs: env.now() - t0,
        domainPercentOfHost: usage.percentOfHost,
        domainPercentOfCpu: usage.percentOfOneCpu,
        hostPercent: busyPercent(prevHost.total, hostStat.total),
      });
    }
    prevDom = dom;
    prevHost = hostStat;
  }
  return samples;
}

/**
 * What a migration that threw was, when it was a non-convergence: the spec's timeout aborted it
 * and the guest still runs on the source. Any other error (or a guest that is no longer running
 * on the source) is rethrown, so the trial fails.
 */
async function nonConvergedAfter(
  e: unknown,
  pair: ConnectedPair,
  domain: string,
  timeoutMs: number,
  samples: readonly TimelineSample[],
): Promise<NonConvergedMigration> {
  if (!isVirtmigError(e, 'E_TIMEOUT')) throw e;
  const state = await pair.source.lookupDomain(domain).then(
    (i) => i.state,
    () => 'absent' as const,
  );
  if (state !== 'running') throw e;
  const sorted = [...samples].sort((a, b) => a.tMs - b.tMs);
  const first = sorted[0];
  // After the abort the job's counters read 0: the rate is up to the furthest sample.
  const last = sorted.reduce<TimelineSample | undefined>(
    (best, s) => (best === undefined || s.transferredBytes > best.transferredBytes ? s : best),
    undefined,
  );
  const bps =
    first && last && last.tMs > first.tMs
      ? ((last.transferredBytes - first.transferredBytes) / (last.tMs - first.tMs)) * 1000
      : undefined;
  const iterations = sorted.length ? Math.max(...sorted.map((s) => s.iteration)) : undefined;
  return {
    timeoutMs,
    sourceUri: pair.spec.source,
    destinationUri: pair.spec.destination,
    ...(bps !== undefined && bps > 0 ? { memoryBandwidthBps: bps } : {}),
    ...(iterations ? { iterations } : {}),
  };
}

/** Everything one trial needs. */
export interface TrialContext {
  /** The experiment spec. */
  readonly spec: ExperimentSpec;
  /** The trial's plan (its cell and index). */
  readonly plan: TrialPlan;
  /** Domain name of the trial's guest. */
  readonly domain: string;
  /** The host pair it runs on. */
  readonly pair: ConnectedPair;
  /** Makes the trial's guest. */
  readonly guests: GuestProvider;
  /** Hosts, storage and guests of the run. */
  readonly env: RunnerEnvironment;
  /** Stops the trial early. */
  readonly signal?: AbortSignal;
}

/**
 * Runs one trial: defines and starts the guest on the source with its workload, waits until it
 * runs, applies the cap, lets it warm up, samples CPU for the measure window, migrates when the
 * plan says (timeline from the migration's progress, downtime from the hypervisor or else the
 * heartbeat gap), and always removes the guest from both hosts. A migration that the spec's
 * timeout aborts with the guest still running on the source is a result, `nonConverged`, not a
 * failure.
 */
export async function runTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const { spec, plan, domain, pair, env, signal } = ctx;
  const workload = spec.workloads.find((w) => w.label === plan.workload);
  if (!workload) throw new Error(`workload ${plan.workload} is not in the spec`);
  let guest: GuestHandle | undefined;
  try {
    guest = await ctx.guests.prepare(plan, workload, domain, pair);
    await pair.source.defineDomain(guest.config);
    await pair.source.startDomain(domain);
    await guest.waitReady(signal);
    const cap = effectiveCap(plan.capPercent, plan.vcpus);
    if (cap > 0) await pair.source.setCpuCap(domain, cap);
    if (spec.durations.warmupMs > 0) await env.sleep(spec.durations.warmupMs, signal);
    guest.markMeasureStart();
    const cpuSamples = await sampleCpu(
      env,
      pair.source,
      domain,
      plan.hostCores,
      spec.sampling.intervalMs,
      spec.durations.measureMs,
      signal,
    );
    const score = guest.score();

    let migration: MigrationResult | undefined;
    let timeline: TimelineSample[] | undefined;
    let heartbeatGapMs: number | undefined;
    let nonConverged: NonConvergedMigration | undefined;
    if (plan.migrate) {
      const samples: TimelineSample[] = [];
      let prevHost = env.readHostCpu();
      const onProgress = (p: MigrationProgress): void => {
        const h = env.readHostCpu();
        samples.push({
          tMs: p.elapsedMs,
          transferredBytes: p.dataProcessedBytes,
          remainingBytes: p.dataRemainingBytes,
          dirtyRateBps: p.dirtyRateBps ?? 0,
          iteration: p.iteration ?? 0,
          hostCpuPercent: busyPercent(prevHost.total, h.total),
        });
        prevHost = h;
      };
      const caps = pair.source.capabilities.migrationOptions;
      const from = env.now();
      // The spec's timeout is a safety net; a driver that cannot abort a migration (libxl) runs without it.
      const { timeoutMs, ...options } = migrationOptions(spec.migration, pair.spec);
      let result: MigrationResult | undefined;
      try {
        result = await pair.source.migrate(domain, pair.destination, {
          ...options,
          ...(caps.has('timeoutMs') ? { timeoutMs } : {}),
          ...(caps.has('onProgress') ? { onProgress } : {}),
          ...(signal && caps.has('signal') ? { signal } : {}),
        });
      } catch (e) {
        nonConverged = await nonConvergedAfter(e, pair, domain, spec.migration.timeoutMs, samples);
      }
      timeline = withRoundRates(
        samples.sort((a, b) => a.tMs - b.tMs),
        result?.rounds ?? [],
      );
      if (result) {
        const migrated = env.now();
        // Heartbeats that were due during the switch-over arrive a little after the call returns.
        await env.sleep(Math.min(500, spec.sampling.intervalMs), signal);
        heartbeatGapMs = guest.heartbeatGap(from, env.now());
        // A migration that cost the guest its disk is a failed trial, not a measurement.
        await guest.checkAfterMigration?.(from, migrated, signal);
        migration =
          result.downtimeMs === undefined && heartbeatGapMs !== undefined
            ? { ...result, downtimeMs: Math.round(heartbeatGapMs), downtimeSource: 'heartbeat' }
            : result;
      }
    }
    return {
      record: {
        experimentId: spec.name,
        workload: plan.workload,
        ramMiB: plan.ramMiB,
        vcpus: plan.vcpus,
        capPercent: plan.capPercent,
        hostCores: plan.hostCores,
        trial: plan.trial,
        cpuSamples,
        workloadScore: score?.score ?? 0,
        ...(score ? { workloadScoreUnit: score.unit } : {}),
        ...(Object.keys(workload.options).length ? { workloadOptions: workload.options } : {}),
        ...(migration ? { migration } : {}),
        ...(nonConverged ? { nonConverged } : {}),
      },
      ...(timeline?.length ? { timeline } : {}),
      ...(heartbeatGapMs !== undefined ? { heartbeatGapMs } : {}),
    };
  } finally {
    await guest?.close().catch(() => {});
    await removeDomain([pair.source, pair.destination], domain);
  }
}

/**
 * The samples with the dirty rate of the pre-copy round each falls in, where the driver derived
 * one from the job statistics' bytes: QEMU's own per-sample figure reads 0 under TCG.
 */
export function withRoundRates(samples: TimelineSample[], rounds: readonly MigrationRound[]): TimelineSample[] {
  return samples.map((s) => {
    const r = rounds.find((x) => x.dirtyRateBps !== undefined && s.tMs >= x.startMs && s.tMs < x.endMs);
    return r?.dirtyRateBps === undefined ? s : { ...s, dirtyRateBps: r.dirtyRateBps };
  });
}
