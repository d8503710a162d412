import {
  assertPolicyName,
  type ClusterSnapshot,
  DEFAULT_THRESHOLD_PERCENT,
  type HostSnapshot,
  hostLoad,
  type PolicyName,
  type Prediction,
  type Recommendation,
  recommendOrExplain,
  type VmSnapshot,
} from '@virtmig/analysis';
import {
  assertInt,
  type Clock,
  type Hypervisor,
  InvalidArgumentError,
  isVirtmigError,
  type MigrationOptions,
  systemClock,
} from '@virtmig/core';
import { type DomainCpuReading, DomainCpuSampler, domainUsageBetween } from '@virtmig/workloads';
import type { MigrationEstimator } from './estimator.js';
import { workloadOfXml } from './live-cluster.js';

/** A connected host the loop watches. */
export interface BalanceHost {
  /** Host name in snapshots and decisions, unique. */
  readonly name: string;
  /** The connection (the caller opens and closes it). */
  readonly hypervisor: Hypervisor;
}

/** One VM the policy could choose at a decision, with what the loop knew about moving it. */
export interface Candidate {
  /** Domain name. */
  readonly vm: string;
  /** Its workload, when known. */
  readonly workload?: string;
  /** CPU use in % of one CPU at the decision. */
  readonly cpuPercent: number;
  /** Memory in MiB. */
  readonly ramMiB: number;
  /** The host the estimate is for (the least-used host that may receive). */
  readonly destination?: string;
  /** The estimator's prediction for the move, when it had one. */
  readonly prediction?: Prediction;
  /** Why the policy may not choose it (cooling down, ping-pong guard, non-convergent), when it may not. */
  readonly pinned?: string;
}

/** What became of a decided migration. */
export type MigrationOutcome =
  | {
      /** The VM runs on the destination. */
      readonly ok: true;
      /** Measured total migration time in ms. */
      readonly totalTimeMs: number;
      /** Measured downtime in ms, when the hypervisor or the events told it. */
      readonly downtimeMs?: number;
      /** The guest's longest heartbeat gap around the migration in ms, when watched. */
      readonly heartbeatGapMs?: number;
    }
  | {
      /** The migration failed; the VM stays on its source. */
      readonly ok: false;
      /** The error's code (`E_MIGRATION_FAILED`, `E_CLOSED`, ...). */
      readonly code: string;
      /** The error's message. */
      readonly message: string;
    };

/** One decision of the loop: an overloaded host was looked at, and either a VM moves or nothing does. */
export interface Decision {
  /** 1, 2, ... in the order decisions are taken. */
  readonly seq: number;
  /** Clock reading when it was taken, ms. */
  readonly atMs: number;
  /** The policy that chose. */
  readonly policy: PolicyName;
  /** `migrate`, or `no-migration` with the reason. */
  readonly kind: Recommendation['kind'];
  /** Whether the loop runs dry: a `migrate` decision is recorded but not carried out. */
  readonly dryRun: boolean;
  /** The overloaded host. */
  readonly source: string;
  /** The VM to move (`migrate` only). */
  readonly vm?: string;
  /** Where to (`migrate` only). */
  readonly destination?: string;
  /** Why, for people: the policy's reason, after the loop's own notes (ping-pong guard, no receiver). */
  readonly reason: string;
  /** Every available host as measured at the decision. */
  readonly cluster: ClusterSnapshot;
  /** The VMs on the source with their estimates. */
  readonly candidates: readonly Candidate[];
  /** Hosts that could receive (available, not cooling down or busy, below the threshold), least used first. */
  readonly receivers: readonly string[];
  /** Hosts marked unavailable so far. */
  readonly unavailable: readonly string[];
}

/**
 * Where decisions go as they are taken (e.g. the results database). The loop awaits
 * `decided` before it starts the migration, and `completed` once it ends, so a stop never
 * leaves a decision half recorded.
 */
export interface DecisionSink {
  /** A decision was taken. */
  decided(decision: Decision): void | Promise<void>;
  /** The migration a `migrate` decision started has ended (not called in dry runs). */
  completed(decision: Decision, outcome: MigrationOutcome): void | Promise<void>;
}

/** A host's load at one sample. */
export interface HostLoad {
  /** Host name. */
  readonly name: string;
  /** CPU use of its domains, % of its capacity. */
  readonly loadPercent: number;
  /** Consecutive samples it has been above the threshold. */
  readonly overSamples: number;
}

/** Progress of the loop, for people (stderr) and tests. */
export type BalanceEvent =
  | {
      /** Every host was sampled. */
      readonly type: 'sample';
      /** Clock reading, ms. */
      readonly atMs: number;
      /** Each available host's load. */
      readonly hosts: readonly HostLoad[];
    }
  | {
      /** A host stopped answering; the loop goes on without it. */
      readonly type: 'host-unavailable';
      /** Its name. */
      readonly host: string;
      /** The error it gave. */
      readonly message: string;
    }
  | {
      /** A decision was taken (and recorded). */
      readonly type: 'decision';
      /** The decision. */
      readonly decision: Decision;
    }
  | {
      /** A migration ended. */
      readonly type: 'migration-finished';
      /** The decision it carried out. */
      readonly decision: Decision;
      /** How it went. */
      readonly outcome: MigrationOutcome;
    }
  | {
      /** The loop stops sampling; migrations in flight are waited for. */
      readonly type: 'stopping';
      /** `signal` or `duration`. */
      readonly by: 'signal' | 'duration';
    };

/** Moves `vm` from `source` to `destination`; the default calls `source.hypervisor.migrate`. */
export type Migrator = (vm: string, source: BalanceHost, destination: BalanceHost) => Promise<MigrationOutcome>;

/** Options of {@link runBalance}. */
export interface BalanceOptions {
  /** The hosts, at least two, with unique names. */
  readonly hosts: readonly BalanceHost[];
  /** The selection policy (default `study`). */
  readonly policy?: PolicyName;
  /** Seed of the `random` policy (default 1). */
  readonly seed?: number;
  /** A host is overloaded above this % of its capacity; a destination must stay below it (default 65, in (0, 100]). */
  readonly thresholdPercent?: number;
  /** Hysteresis: consecutive samples above the threshold before a host is overloaded (default 3). */
  readonly samples?: number;
  /** Sampling interval in ms (default 5000). */
  readonly intervalMs?: number;
  /** After a decision on a host, or a migration from or to it, the host is left alone this long (ms, default 60 000). */
  readonly hostCooldownMs?: number;
  /** After a VM migrated (or failed to), it is not chosen for this long (ms, default 300 000). */
  readonly vmCooldownMs?: number;
  /**
   * The ping-pong guard: a VM is never moved back to the host it last left within this many ms
   * of leaving it (default 1 800 000), whatever the loads; it may still go to a third host.
   */
  readonly pingPongWindowMs?: number;
  /** Migrations a host takes part in at once, as source or destination (default 1). */
  readonly maxPerHost?: number;
  /** Migrations in flight in the whole cluster (default: unlimited). */
  readonly maxConcurrent?: number;
  /** CPU history kept per VM, in samples (default 30; the `mc` policy regresses on it). */
  readonly historySamples?: number;
  /** Cost estimates of candidate moves (default: none, so the `study` policy cannot decide). */
  readonly estimator?: MigrationEstimator;
  /** How to migrate (default: `source.hypervisor.migrate(vm, destination.hypervisor, migrationOptions)`). */
  readonly migrate?: Migrator;
  /** Options of the default migrator (default `{ live: true }`). */
  readonly migrationOptions?: MigrationOptions;
  /** Record decisions without migrating. */
  readonly dryRun?: boolean;
  /** Where decisions go. */
  readonly sink?: DecisionSink;
  /** Progress. */
  readonly onEvent?: (event: BalanceEvent) => void;
  /** Time source (default the system clock). */
  readonly clock?: Clock;
  /** Stops the loop after the current sample and decision; migrations in flight are waited for. */
  readonly signal?: AbortSignal;
  /** Stops the loop after this many ms (default: only the signal stops it). */
  readonly durationMs?: number;
}

/** What {@link runBalance} did. */
export interface BalanceSummary {
  /** Sampling rounds. */
  readonly samples: number;
  /** Decisions taken. */
  readonly decisions: number;
  /** Migrations that succeeded. */
  readonly migrations: number;
  /** Migrations that failed. */
  readonly failures: number;
  /** Hosts marked unavailable. */
  readonly unavailable: readonly string[];
  /** What stopped the loop. */
  readonly stoppedBy: 'signal' | 'duration';
}

interface Reading {
  readonly readings: DomainCpuReading[];
  readonly atNs: bigint;
}

interface HostState {
  readonly host: BalanceHost;
  readonly sampler: DomainCpuSampler;
  prev?: Reading;
  snapshot?: HostSnapshot;
  over: number;
  cooldownUntil: number;
  inFlight: number;
  unavailable: boolean;
}

interface VmState {
  history: number[];
  workload?: string | null;
  cooldownUntil: number;
  migrating: boolean;
  lastLeft?: { readonly host: string; readonly atMs: number };
}

interface Settings {
  readonly policy: PolicyName;
  readonly seed: number;
  readonly threshold: number;
  readonly samples: number;
  readonly intervalMs: number;
  readonly hostCooldownMs: number;
  readonly vmCooldownMs: number;
  readonly pingPongWindowMs: number;
  readonly maxPerHost: number;
  readonly maxConcurrent: number;
  readonly historySamples: number;
  readonly durationMs: number;
}

const DAY_MS = 86_400_000;

function settingsOf(o: BalanceOptions): Settings {
  if (!Array.isArray(o.hosts) || o.hosts.length < 2) {
    throw new InvalidArgumentError(
      'hosts',
      `needs at least two hosts, got ${Array.isArray(o.hosts) ? o.hosts.length : 0}`,
    );
  }
  const names = new Set<string>();
  for (const [i, h] of o.hosts.entries()) {
    if (typeof h.name !== 'string' || h.name === '')
      throw new InvalidArgumentError(`hosts[${i}].name`, 'must be a non-empty string');
    if (names.has(h.name))
      throw new InvalidArgumentError(`hosts[${i}].name`, `duplicate host ${JSON.stringify(h.name)}`);
    names.add(h.name);
  }
  const policy = o.policy ?? 'study';
  assertPolicyName(policy);
  const threshold = o.thresholdPercent ?? DEFAULT_THRESHOLD_PERCENT;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 100)) {
    throw new InvalidArgumentError('thresholdPercent', `must be in (0, 100], got ${JSON.stringify(threshold)}`);
  }
  const s: Settings = {
    policy,
    seed: o.seed ?? 1,
    threshold,
    samples: o.samples ?? 3,
    intervalMs: o.intervalMs ?? 5000,
    hostCooldownMs: o.hostCooldownMs ?? 60_000,
    vmCooldownMs: o.vmCooldownMs ?? 300_000,
    pingPongWindowMs: o.pingPongWindowMs ?? 1_800_000,
    maxPerHost: o.maxPerHost ?? 1,
    maxConcurrent: o.maxConcurrent ?? Number.MAX_SAFE_INTEGER,
    historySamples: o.historySamples ?? 30,
    durationMs: o.durationMs ?? Number.POSITIVE_INFINITY,
  };
  assertInt(s.seed, 'seed', 0, 2 ** 32 - 1);
  assertInt(s.samples, 'samples', 1, 10_000);
  assertInt(s.intervalMs, 'intervalMs', 1, DAY_MS);
  assertInt(s.hostCooldownMs, 'hostCooldownMs', 0, DAY_MS);
  assertInt(s.vmCooldownMs, 'vmCooldownMs', 0, DAY_MS);
  assertInt(s.pingPongWindowMs, 'pingPongWindowMs', 0, 365 * DAY_MS);
  assertInt(s.maxPerHost, 'maxPerHost', 1, 1024);
  assertInt(s.maxConcurrent, 'maxConcurrent', 1, Number.MAX_SAFE_INTEGER);
  assertInt(s.historySamples, 'historySamples', 1, 100_000);
  if (o.durationMs !== undefined) assertInt(o.durationMs, 'durationMs', 0, 365 * DAY_MS);
  return s;
}

function errorOutcome(e: unknown): MigrationOutcome {
  return {
    ok: false,
    code: isVirtmigError(e) ? e.code : 'E_UNKNOWN',
    message: e instanceof Error ? e.message : String(e),
  };
}

function defaultMigrator(options: MigrationOptions): Migrator {
  return async (vm, source, destination) => {
    const r = await source.hypervisor.migrate(vm, destination.hypervisor, options);
    return {
      ok: true,
      totalTimeMs: r.totalTimeMs,
      ...(r.downtimeMs === undefined ? {} : { downtimeMs: r.downtimeMs }),
    };
  };
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The balancing loop (the study's script, automated). Every `intervalMs` it samples each host's
 * running domains' CPU use. A host whose domains stay above `thresholdPercent` of its capacity
 * for `samples` consecutive samples is overloaded (hysteresis: one spike moves nothing). For an
 * overloaded host that is not cooling down or busy, it asks the `estimator` what moving each of
 * its VMs would cost, lets the policy choose a VM among those not pinned, and a destination
 * that stays below the threshold with it and has room for its memory; then records the decision
 * and migrates (at most `maxPerHost` migrations per host and `maxConcurrent` in all, in the
 * background while sampling goes on). Rules:
 *
 * - cooldowns: after a decision on a host, and after a migration from or to it, the host is
 *   neither source nor destination for `hostCooldownMs`; a VM that migrated (or failed to) is
 *   pinned for `vmCooldownMs`; a host's overload count starts again after a migration;
 * - ping-pong guard: a VM is never moved back to the host it last left within
 *   `pingPongWindowMs` of leaving it; the policy is asked again with that VM pinned;
 * - nothing fits: a `no-migration` decision says why, and nothing moves;
 * - a failed migration is recorded with its error (the VM stays on its source) and the loop goes on;
 * - a host whose sampling fails (closed, unreachable) is marked unavailable and left out from then on;
 * - `signal` stops the loop between two samples, never during a decision; migrations in
 *   flight are waited for and their outcomes recorded.
 *
 * @throws `E_INVALID_ARGUMENT` for bad options (fewer than two hosts, an unknown policy, a
 * threshold outside (0, 100], a non-integer interval, ...), before any host is asked anything.
 * @throws whatever the sink throws (the loop stops: decisions that cannot be recorded are not taken).
 */
export async function runBalance(options: BalanceOptions): Promise<BalanceSummary> {
  const s = settingsOf(options);
  const clock = options.clock ?? systemClock;
  const migrator = options.migrate ?? defaultMigrator(options.migrationOptions ?? { live: true });
  const emit = options.onEvent ?? (() => undefined);
  const clockNs = (): bigint => BigInt(Math.round(clock.now() * 1e6));
  const hosts: HostState[] = options.hosts.map((host) => ({
    host,
    sampler: new DomainCpuSampler(host.hypervisor, { clockNs }),
    over: 0,
    cooldownUntil: Number.NEGATIVE_INFINITY,
    inFlight: 0,
    unavailable: false,
  }));
  const vms = new Map<string, VmState>();
  const inFlight = new Set<Promise<void>>();
  let seq = 0;
  let rounds = 0;
  let migrations = 0;
  let failures = 0;
  // A sink that fails while recording an outcome stops the loop at its next step.
  let fatal: { error: unknown } | undefined;

  const vmState = (name: string): VmState => {
    let v = vms.get(name);
    if (!v) {
      v = { history: [], cooldownUntil: Number.NEGATIVE_INFINITY, migrating: false };
      vms.set(name, v);
    }
    return v;
  };
  const available = (): HostState[] => hosts.filter((h) => !h.unavailable);
  const unavailable = (): string[] => hosts.filter((h) => h.unavailable).map((h) => h.host.name);

  const sampleHost = async (h: HostState): Promise<void> => {
    try {
      const hv = h.host.hypervisor;
      const info = await hv.hostInfo();
      const running = (await hv.listDomains()).filter((d) => d.state === 'running');
      const reading = await h.sampler.read();
      const prev = h.prev;
      h.prev = reading;
      const elapsedNs = prev ? Number(reading.atNs - prev.atNs) : 0;
      if (!prev || elapsedNs <= 0) return;
      const usage = domainUsageBetween(prev.readings, reading.readings, elapsedNs, info.cpus);
      const list: VmSnapshot[] = [];
      for (const d of running) {
        const u = usage.find((x) => x.name === d.name);
        if (!u) continue;
        const v = vmState(d.name);
        if (v.workload === undefined) v.workload = workloadOfXml(await hv.domainXml(d.name)) ?? null;
        v.history.push(u.percentOfOneCpu);
        if (v.history.length > s.historySamples) v.history.shift();
        list.push({
          name: d.name,
          ramMiB: Math.round(d.maxMemoryKiB / 1024),
          cpuPercent: u.percentOfOneCpu,
          cpuHistory: [...v.history],
        });
      }
      h.snapshot = { name: h.host.name, cores: info.cpus, memoryMiB: Math.floor(info.memoryKiB / 1024), vms: list };
      h.over = hostLoad(h.snapshot) > s.threshold ? h.over + 1 : 0;
    } catch (e) {
      h.unavailable = true;
      h.snapshot = undefined;
      emit({ type: 'host-unavailable', host: h.host.name, message: e instanceof Error ? e.message : String(e) });
    }
  };

  const cooling = (h: HostState, now: number): boolean => now < h.cooldownUntil;
  const busy = (h: HostState): boolean => h.inFlight >= s.maxPerHost;

  const record = async (d: Decision): Promise<void> => {
    await options.sink?.decided(d);
    emit({ type: 'decision', decision: d });
  };

  const startMigration = (d: Decision, src: HostState, dst: HostState): void => {
    const v = vmState(d.vm as string);
    src.inFlight++;
    dst.inFlight++;
    v.migrating = true;
    const run = (async () => {
      let outcome: MigrationOutcome;
      try {
        outcome = await migrator(d.vm as string, src.host, dst.host);
      } catch (e) {
        outcome = errorOutcome(e);
      }
      const end = clock.now();
      src.inFlight--;
      dst.inFlight--;
      v.migrating = false;
      src.cooldownUntil = Math.max(src.cooldownUntil, end + s.hostCooldownMs);
      dst.cooldownUntil = Math.max(dst.cooldownUntil, end + s.hostCooldownMs);
      v.cooldownUntil = end + s.vmCooldownMs;
      src.over = 0;
      dst.over = 0;
      if (outcome.ok) {
        migrations++;
        v.lastLeft = { host: src.host.name, atMs: end };
      } else failures++;
      try {
        await options.sink?.completed(d, outcome);
      } catch (error) {
        fatal ??= { error };
      }
      emit({ type: 'migration-finished', decision: d, outcome });
    })();
    inFlight.add(run);
    void run.then(() => inFlight.delete(run));
  };

  const decide = async (src: HostState, now: number): Promise<void> => {
    const source = src.snapshot as HostSnapshot;
    const receivers = available()
      .filter((h) => h !== src && h.snapshot && !cooling(h, now) && !busy(h))
      .map((h) => ({ state: h, snap: h.snapshot as HostSnapshot }))
      .filter((r) => hostLoad(r.snap) < s.threshold)
      .sort((a, b) => hostLoad(a.snap) - hostLoad(b.snap) || byName(a.snap, b.snap));
    const cluster: ClusterSnapshot = {
      hosts: available().flatMap((h) => (h.snapshot ? [h.snapshot] : [])),
    };
    const base = { atMs: now, policy: s.policy, dryRun: options.dryRun ?? false, source: source.name, cluster };
    const nearest = receivers[0];
    const candidates: Candidate[] = [];
    const priced: VmSnapshot[] = [];
    for (const vm of source.vms) {
      const v = vmState(vm.name);
      let pinned: string | undefined;
      if (v.migrating) pinned = 'migrating';
      else if (now < v.cooldownUntil) pinned = `cooling down until ${v.cooldownUntil} ms`;
      const workload = v.workload ?? undefined;
      const prediction = nearest
        ? await options.estimator?.({
            vm,
            ...(workload === undefined ? {} : { workload }),
            source,
            destination: nearest.snap,
          })
        : undefined;
      if (!pinned && prediction?.kind === 'non-convergent') pinned = `predicted not to converge: ${prediction.reason}`;
      candidates.push({
        vm: vm.name,
        ...(workload === undefined ? {} : { workload }),
        cpuPercent: vm.cpuPercent,
        ramMiB: vm.ramMiB,
        ...(nearest ? { destination: nearest.snap.name } : {}),
        ...(prediction ? { prediction } : {}),
        ...(pinned ? { pinned } : {}),
      });
      priced.push(
        prediction?.kind === 'converges'
          ? { ...vm, expectedTotalTimeMs: prediction.totalTimeMs, expectedDowntimeMs: prediction.downtimeMs }
          : vm,
      );
    }
    const finish = async (d: Omit<Decision, 'seq' | 'candidates' | 'receivers' | 'unavailable'>): Promise<Decision> => {
      const decision: Decision = {
        ...d,
        seq: ++seq,
        candidates,
        receivers: receivers.map((r) => r.snap.name),
        unavailable: unavailable(),
      };
      await record(decision);
      return decision;
    };
    // A host that could not be relieved is asked again only after the host cooldown.
    src.cooldownUntil = now + s.hostCooldownMs;
    if (!nearest) {
      const why = available()
        .filter((h) => h !== src)
        .map((h) =>
          !h.snapshot
            ? `${h.host.name} not sampled yet`
            : cooling(h, now)
              ? `${h.host.name} cooling down`
              : busy(h)
                ? `${h.host.name} busy migrating`
                : `${h.host.name} at ${hostLoad(h.snapshot).toFixed(1)} %`,
        );
      const gone = unavailable().map((n) => `${n} unavailable`);
      await finish({
        ...base,
        kind: 'no-migration',
        reason: `${source.name} is overloaded but no host can receive (${[...why, ...gone].join(', ') || 'no other host'})`,
      });
      return;
    }
    const policyCluster: ClusterSnapshot = { hosts: [{ ...source, vms: priced }, ...receivers.map((r) => r.snap)] };
    const pinned = candidates.filter((c) => c.pinned).map((c) => c.vm);
    const notes: string[] = [];
    let rec: Recommendation;
    for (;;) {
      rec = recommendOrExplain(s.policy, policyCluster, { thresholdPercent: s.threshold, pinned }, s.seed);
      if (rec.kind !== 'migrate') break;
      const vm = rec.vm;
      const left = vmState(vm).lastLeft;
      if (!left || left.host !== rec.destination || now - left.atMs >= s.pingPongWindowMs) break;
      const note = `ping-pong guard: ${vm} left ${rec.destination} ${((now - left.atMs) / 1000).toFixed(0)} s ago, so it may not go back`;
      notes.push(note);
      pinned.push(vm);
      const i = candidates.findIndex((c) => c.vm === vm);
      candidates[i] = { ...(candidates[i] as Candidate), pinned: note };
    }
    const reason = [...notes, rec.reason].join('; ');
    if (rec.kind === 'no-migration') {
      await finish({ ...base, kind: 'no-migration', reason });
      return;
    }
    const dst = receivers.find((r) => r.snap.name === rec.destination)?.state as HostState;
    const decision = await finish({ ...base, kind: 'migrate', vm: rec.vm, destination: rec.destination, reason });
    if (decision.dryRun) {
      vmState(rec.vm).cooldownUntil = now + s.vmCooldownMs;
      return;
    }
    dst.cooldownUntil = now + s.hostCooldownMs;
    startMigration(decision, src, dst);
  };

  const tick = async (): Promise<void> => {
    await Promise.all(available().map(sampleHost));
    rounds++;
    const now = clock.now();
    emit({
      type: 'sample',
      atMs: now,
      hosts: available().flatMap((h) =>
        h.snapshot ? [{ name: h.host.name, loadPercent: hostLoad(h.snapshot), overSamples: h.over }] : [],
      ),
    });
    const sources = available()
      .filter((h) => h.snapshot && h.over >= s.samples && !cooling(h, now) && !busy(h))
      .sort(
        (a, b) => hostLoad(b.snapshot as HostSnapshot) - hostLoad(a.snapshot as HostSnapshot) || byName(a.host, b.host),
      );
    for (const src of sources) {
      if (inFlight.size >= s.maxConcurrent) break;
      // An earlier decision of this round may have made it busy.
      if (cooling(src, now) || busy(src)) continue;
      await decide(src, now);
    }
  };

  const stopAt = clock.now() + s.durationMs;
  let stoppedBy: 'signal' | 'duration' = 'signal';
  try {
    for (;;) {
      if (options.signal?.aborted) break;
      if (fatal) throw fatal.error;
      await tick();
      const left = stopAt - clock.now();
      if (left <= 0) {
        stoppedBy = 'duration';
        break;
      }
      try {
        await clock.sleep(Math.min(s.intervalMs, left), options.signal);
      } catch (e) {
        if (options.signal?.aborted) break;
        throw e;
      }
    }
    emit({ type: 'stopping', by: stoppedBy });
  } finally {
    await Promise.all(inFlight);
  }
  if (fatal) throw fatal.error;
  return { samples: rounds, decisions: seq, migrations, failures, unavailable: unavailable(), stoppedBy };
}
