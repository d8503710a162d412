import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  assertPolicyName,
  type PolicyName,
  type Recommendation,
  type ReplayedChoice,
  replayDecision,
  uncalibratedPrecopyModel,
} from '@virtmig/analysis';
import {
  type BalanceEvent,
  type BalanceHost,
  type BalanceSummary,
  type Decision,
  type DecisionSink,
  decisionPointOf,
  estimatorFromModel,
  estimatorFromTrials,
  firstEstimate,
  type MigrationEstimator,
  type MigrationOutcome,
  type Migrator,
  runBalance,
} from '@virtmig/balance';
import { ResultsDb } from '@virtmig/bench';
import {
  type ConnectOptions,
  type DriverRegistry,
  type Hypervisor,
  InvalidArgumentError,
  type MigrationOptions,
  parseSafeUri,
  StateError,
} from '@virtmig/core';
import { HeartbeatWatcher } from '@virtmig/driver-qemu';
import { parseThreshold } from './cluster.js';
import { labPrefix, labStatus } from './lab.js';

/** `virtmig balance` options as commander hands them over. */
export interface BalanceCommandOptions {
  readonly hosts: string;
  readonly policy?: string;
  readonly threshold?: string;
  readonly samples?: string;
  readonly interval?: string;
  readonly duration?: string;
  readonly hostCooldown?: string;
  readonly vmCooldown?: string;
  readonly seed?: string;
  readonly dryRun?: boolean;
  readonly db?: string;
  readonly json?: boolean;
  readonly prefix?: string;
}

/** The options, checked: everything `virtmig balance` needs before it connects anywhere. */
export interface BalanceSettings {
  readonly policy: PolicyName;
  readonly thresholdPercent: number;
  readonly samples: number;
  readonly intervalMs: number;
  readonly durationMs?: number;
  readonly hostCooldownMs: number;
  readonly vmCooldownMs: number;
  readonly seed: number;
  readonly dryRun: boolean;
  readonly db: string;
}

/** A host to balance: its name in decisions, how to connect, and what migrating to it needs. */
export interface BalanceTarget {
  readonly name: string;
  readonly uri: string;
  readonly options: ConnectOptions;
  /** Migrate URI of the host as a destination (the lab's link address). */
  readonly migrateUri?: string;
  /** Directory of the lab guests' serial logs, for heartbeat gaps. */
  readonly serialDir?: string;
}

/** Seconds (`fallback` when absent) as ms. */
function seconds(v: string | undefined, field: string, fallback: number, min = 0): number {
  if (v === undefined) return fallback * 1000;
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= min) || n > 86_400)
    throw new InvalidArgumentError(field, `must be a number of seconds in [${min}, 86400], got ${JSON.stringify(v)}`);
  return Math.round(n * 1000);
}

function integer(v: string | undefined, field: string, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new InvalidArgumentError(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** Checks every option of `virtmig balance`. @throws `E_INVALID_ARGUMENT` naming the option. */
export function balanceSettings(o: BalanceCommandOptions): BalanceSettings {
  const policy = o.policy ?? 'study';
  assertPolicyName(policy, '--policy');
  const intervalMs = seconds(o.interval, '--interval', 5, 0.001);
  return {
    policy,
    thresholdPercent: parseThreshold(o.threshold, 65),
    samples: integer(o.samples, '--samples', 3, 1, 10_000),
    intervalMs,
    ...(o.duration === undefined ? {} : { durationMs: seconds(o.duration, '--duration', 0) }),
    hostCooldownMs: seconds(o.hostCooldown, '--host-cooldown', 60),
    vmCooldownMs: seconds(o.vmCooldown, '--vm-cooldown', 300),
    seed: integer(o.seed, '--seed', 1, 0, 2 ** 32 - 1),
    dryRun: Boolean(o.dryRun),
    db: o.db ?? join('results', 'balance.db'),
  };
}

/**
 * The hosts of `--hosts`: `lab` (the running lab of `prefix`: hosts a and b), or at least two
 * comma-separated libvirt URIs, each checked against the URI policy.
 * @throws `E_INVALID_ARGUMENT` for fewer than two hosts or a duplicate; `E_INVALID_URI` for a
 * URI the policy refuses (both before connecting); `E_STATE` when the lab is not running.
 */
export async function balanceTargets(spec: string, prefix?: string): Promise<BalanceTarget[]> {
  if (spec === 'lab') {
    const status = await labStatus(labPrefix(prefix));
    const hosts = status.hosts.filter((h) => h.running);
    if (status.state !== 'running' || hosts.length < 2) {
      throw new StateError(`the lab ${status.prefix} is not running with two hosts; start it with \`virtmig lab up\``);
    }
    const options = { domainType: status.domainType, memoryBalloon: false };
    return hosts.map((h) => ({
      name: h.name,
      uri: h.uri,
      options,
      migrateUri: `tcp://${h.address}`,
      serialDir: join(status.stateDir, 'guests'),
    }));
  }
  const uris = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (uris.length < 2) throw new InvalidArgumentError('--hosts', 'needs at least two host URIs (A,B) or "lab"');
  if (new Set(uris).size !== uris.length) throw new InvalidArgumentError('--hosts', 'names a host twice');
  for (const [i, u] of uris.entries()) parseSafeUri(u, {}, `--hosts[${i}]`);
  return uris.map((uri) => ({ name: uri, uri, options: {} }));
}

/** Bandwidth the fallback estimate assumes when no trial measured a workload: the study's 1 Gb/s link. */
const NOMINAL_BANDWIDTH_BPS = 125_000_000;

/**
 * Estimates from the measured trials in the database, else the uncalibrated pre-copy model on
 * the guest's RAM over a nominal 1 Gb/s link with no dirtying (its predictions say `uncalibrated`).
 */
export function cliEstimator(db: ResultsDb): MigrationEstimator {
  return firstEstimate(
    estimatorFromTrials(db.records()),
    estimatorFromModel(uncalibratedPrecopyModel(), ({ vm }) => ({
      memoryMiB: vm.ramMiB,
      dirtyRateBps: 0,
      bandwidthBps: NOMINAL_BANDWIDTH_BPS,
      cpuPercent: vm.cpuPercent,
    })),
  );
}

/** Records each decision in the results database as taken, and its outcome when it ends. */
export function databaseSink(db: ResultsDb, balanceRunId: string, thresholdPercent: number): DecisionSink {
  return {
    decided(d) {
      db.recordDecision({
        balanceRunId,
        seq: d.seq,
        at: new Date(d.atMs).toISOString(),
        atMs: d.atMs,
        policy: d.policy,
        thresholdPercent,
        kind: d.kind,
        dryRun: d.dryRun,
        source: d.source,
        ...(d.vm === undefined ? {} : { vm: d.vm }),
        ...(d.destination === undefined ? {} : { destination: d.destination }),
        reason: d.reason,
        cluster: d.cluster,
        candidates: d.candidates,
        receivers: d.receivers,
        unavailable: d.unavailable,
      });
    },
    completed(d, o) {
      db.recordDecisionOutcome(
        balanceRunId,
        d.seq,
        o.ok
          ? {
              ok: true,
              totalTimeMs: o.totalTimeMs,
              ...(o.downtimeMs === undefined ? {} : { downtimeMs: o.downtimeMs }),
              ...(o.heartbeatGapMs === undefined ? {} : { heartbeatGapMs: o.heartbeatGapMs }),
            }
          : { ok: false, error: `${o.code}: ${o.message}` },
      );
    },
  };
}

/** Migrates live, to the destination's migrate URI when it has one, watching a lab guest's heartbeat. */
export function cliMigrator(targets: readonly BalanceTarget[]): Migrator {
  const byName = new Map(targets.map((t) => [t.name, t]));
  return async (vm, source, destination) => {
    const dst = byName.get(destination.name);
    const src = byName.get(source.name);
    const options: MigrationOptions = { live: true, ...(dst?.migrateUri ? { migrateUri: dst.migrateUri } : {}) };
    let watcher: HeartbeatWatcher | undefined;
    if (src?.serialDir) {
      watcher = new HeartbeatWatcher(join(src.serialDir, `${vm}.log`));
      // Not a lab guest (no serial log there): no heartbeat gap.
      await watcher.start(true).catch(() => {
        watcher = undefined;
      });
    }
    try {
      const r = await source.hypervisor.migrate(vm, destination.hypervisor, options);
      let heartbeatGapMs: number | undefined;
      if (watcher) {
        const seen = watcher.lastSeq;
        await watcher.waitFor((w) => w.lastSeq > seen, 5000).catch(() => undefined);
        const rep = watcher.report();
        if (rep.beats > 1) heartbeatGapMs = rep.hostGapMs;
      }
      return {
        ok: true,
        totalTimeMs: r.totalTimeMs,
        ...(r.downtimeMs === undefined ? {} : { downtimeMs: r.downtimeMs }),
        ...(heartbeatGapMs === undefined ? {} : { heartbeatGapMs }),
      };
    } finally {
      await watcher?.stop();
    }
  };
}

/** What `virtmig balance` prints per decision: the decision and, for a migration, its outcome. */
export interface DecisionLine {
  readonly seq: number;
  readonly at: string;
  readonly policy: string;
  readonly kind: Decision['kind'];
  readonly dryRun: boolean;
  readonly source: string;
  readonly vm?: string;
  readonly destination?: string;
  readonly reason: string;
  readonly candidates: Decision['candidates'];
  readonly outcome?: MigrationOutcome;
}

function lineOf(d: Decision, outcome?: MigrationOutcome): DecisionLine {
  return {
    seq: d.seq,
    at: new Date(d.atMs).toISOString(),
    policy: d.policy,
    kind: d.kind,
    dryRun: d.dryRun,
    source: d.source,
    ...(d.vm === undefined ? {} : { vm: d.vm }),
    ...(d.destination === undefined ? {} : { destination: d.destination }),
    reason: d.reason,
    candidates: d.candidates,
    ...(outcome ? { outcome } : {}),
  };
}

function humanLine(l: DecisionLine): string {
  if (l.kind === 'no-migration') return `#${l.seq} ${l.policy}: no migration from ${l.source}: ${l.reason}`;
  const head = `#${l.seq} ${l.policy}: migrate ${l.vm} ${l.source} -> ${l.destination}`;
  if (l.dryRun) return `${head} (dry run): ${l.reason}`;
  const o = l.outcome;
  const tail = !o
    ? ''
    : o.ok
      ? ` done in ${(o.totalTimeMs / 1000).toFixed(1)} s${o.downtimeMs === undefined ? '' : `, downtime ${Math.round(o.downtimeMs)} ms`}${
          o.heartbeatGapMs === undefined ? '' : `, heartbeat gap ${Math.round(o.heartbeatGapMs)} ms`
        }`
      : ` FAILED (${o.code}: ${o.message})`;
  return `${head}${tail}: ${l.reason}`;
}

function progressLine(e: BalanceEvent): string | undefined {
  switch (e.type) {
    case 'sample':
      return `balance: ${e.hosts.map((h) => `${h.name} ${h.loadPercent.toFixed(1)} % (${h.overSamples} over)`).join(', ')}`;
    case 'host-unavailable':
      return `balance: host ${e.host} unavailable (${e.message}); going on without it`;
    case 'decision':
      return e.decision.kind === 'migrate' && !e.decision.dryRun
        ? `balance: migrating ${e.decision.vm} ${e.decision.source} -> ${e.decision.destination}`
        : undefined;
    case 'migration-finished':
      return undefined;
    case 'stopping':
      return `balance: stopping (${e.by}); waiting for migrations in flight`;
  }
}

/** Streams of `virtmig balance`: one line per decision on stdout, progress on stderr. */
export interface BalanceStreams {
  readonly json: boolean;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

/**
 * `virtmig balance`: checks every option and host before connecting, connects to every host
 * (closing what it opened if one fails), opens the results database, then runs the loop until
 * `signal` aborts or `--duration` ends. Each decision is printed when final: at once for
 * no-migration and dry runs, after the migration for the others.
 * @throws `E_INVALID_ARGUMENT` / `E_INVALID_URI` for bad input (nothing connected); whatever
 * connecting throws (an unreachable host); `E_INVALID_ARGUMENT` for a database that is not virtmig's.
 */
export async function balanceCommand(
  registry: DriverRegistry,
  o: BalanceCommandOptions,
  streams: BalanceStreams,
  signal: AbortSignal,
): Promise<BalanceSummary & { readonly balanceRunId: string; readonly db: string }> {
  const s = balanceSettings(o);
  const targets = await balanceTargets(o.hosts, o.prefix);
  const conns: Hypervisor[] = [];
  try {
    for (const t of targets) conns.push(await registry.connect(t.uri, t.options));
    mkdirSync(dirname(s.db), { recursive: true });
    const db = ResultsDb.open(s.db);
    try {
      const balanceRunId = randomUUID();
      const sink = databaseSink(db, balanceRunId, s.thresholdPercent);
      const print = (d: Decision, outcome?: MigrationOutcome): void => {
        const l = lineOf(d, outcome);
        streams.stdout(streams.json ? JSON.stringify(l) : humanLine(l));
      };
      streams.stderr(
        `balance: run ${balanceRunId}, policy ${s.policy}, threshold ${s.thresholdPercent} %, ${s.samples} samples every ${s.intervalMs / 1000} s${
          s.dryRun ? ', dry run' : ''
        }; decisions into ${s.db}`,
      );
      const hosts: BalanceHost[] = targets.map((t, i) => ({ name: t.name, hypervisor: conns[i] as Hypervisor }));
      const summary = await runBalance({
        hosts,
        policy: s.policy,
        seed: s.seed,
        thresholdPercent: s.thresholdPercent,
        samples: s.samples,
        intervalMs: s.intervalMs,
        hostCooldownMs: s.hostCooldownMs,
        vmCooldownMs: s.vmCooldownMs,
        ...(s.durationMs === undefined ? {} : { durationMs: s.durationMs }),
        dryRun: s.dryRun,
        estimator: cliEstimator(db),
        migrate: cliMigrator(targets),
        sink: {
          decided(d) {
            sink.decided(d);
            if (d.kind === 'no-migration' || d.dryRun) print(d);
          },
          completed(d, outcome) {
            sink.completed(d, outcome);
            print(d, outcome);
          },
        },
        onEvent: (e) => {
          if (e.type === 'sample')
            db.recordBalanceSamples(e.hosts.map((h) => ({ balanceRunId, atMs: e.atMs, host: h.name, ...h })));
          const line = progressLine(e);
          if (line) streams.stderr(line);
        },
        signal,
      });
      streams.stderr(
        `balance: ${summary.samples} samples, ${summary.decisions} decisions, ${summary.migrations} migrations, ${summary.failures} failed${
          summary.unavailable.length ? `, unavailable: ${summary.unavailable.join(', ')}` : ''
        }`,
      );
      return { ...summary, balanceRunId, db: s.db };
    } finally {
      db.close();
    }
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

/** One decision of a recorded run with what every policy would have chosen there. */
export interface ReplayedDecision {
  readonly balanceRunId: string;
  readonly seq: number;
  readonly at: string;
  /** The run's policy and what it did. */
  readonly taken: {
    readonly policy: string;
    readonly kind: string;
    readonly vm?: string;
    readonly destination?: string;
  };
  /** Every policy on the same snapshot, estimates and pinned VMs. */
  readonly policies: readonly ReplayedChoice[];
}

/**
 * `virtmig replay DB`: for each recorded decision (of `runId`, or of every balancing run), what
 * each policy would have chosen at that point.
 * @throws `E_NOT_FOUND` for a missing database; `E_INVALID_ARGUMENT` for one that is not virtmig's or a malformed decision.
 */
export function replayCommand(path: string, runId?: string): ReplayedDecision[] {
  const db = ResultsDb.open(path, { readonly: true, mustExist: true });
  try {
    return db.decisions(runId).map((d) => ({
      balanceRunId: d.balanceRunId,
      seq: d.seq,
      at: d.at,
      taken: {
        policy: d.policy,
        kind: d.kind,
        ...(d.vm === undefined ? {} : { vm: d.vm }),
        ...(d.destination === undefined ? {} : { destination: d.destination }),
      },
      policies: replayDecision(decisionPointOf(d)),
    }));
  } finally {
    db.close();
  }
}

/** One line per replayed decision. */
export function replayText(rows: readonly ReplayedDecision[]): string {
  const pick = (r: Recommendation): string => (r.kind === 'migrate' ? `${r.vm} -> ${r.destination}` : 'nothing');
  return rows
    .map(
      (r) =>
        `#${r.seq} ${r.at} ${r.taken.policy} took ${r.taken.kind === 'migrate' ? `${r.taken.vm} -> ${r.taken.destination}` : 'nothing'}; ` +
        r.policies.map((p) => `${p.policy}: ${pick(p.recommendation)}`).join(', '),
    )
    .join('\n');
}
