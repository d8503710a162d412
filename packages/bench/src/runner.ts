import type { Hypervisor } from '@virtmig/core';
import { InvalidArgumentError, NotFoundError, StateError } from '@virtmig/core';
import { captureEnvironment } from './capture.js';
import { type ResultsDb, specHash, type TrialRow } from './db.js';
import type { RunnerEnvironment } from './environment.js';
import { expandMatrix, type TrialPlan } from './matrix.js';
import type { ProgressEvent } from './progress.js';
import type { ExperimentSpec, HostPairSpec } from './spec-types.js';
import { type ConnectedPair, checkMigrationSupport, removeDomain, runTrial } from './trial.js';

/** Options of {@link runExperiment}. */
export interface RunOptions {
  /** The results database the run is stored in. */
  readonly db: ResultsDb;
  /** The spec of a new run; with `resume`, it must equal the stored run's spec when given. */
  readonly spec?: ExperimentSpec;
  /**
   * Resume a run: the run with this id, else the latest run of `spec`, else the latest
   * unfinished run. Finished trials are skipped, the one that was running when the process died
   * is cleaned up and redone, failed ones are retried; a finished run runs nothing. With nothing
   * to resume and a spec given, a new run starts.
   */
  readonly resume?: boolean | string;
  /** Hosts, storage and guests the trials use. */
  readonly env: RunnerEnvironment;
  /**
   * Stops the run: the current trials are cut short and their guests removed; the run stays
   * resumable and the summary says `interrupted`.
   */
  readonly signal?: AbortSignal;
  /** Receives progress events as the run goes. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Log lines (one per trial failure, resume notes). */
  readonly log?: (line: string) => void;
}

/** What a run did. */
export interface RunSummary {
  /** Run id. */
  readonly runId: string;
  /** Experiment name. */
  readonly experiment: string;
  /** Trials in the run. */
  readonly total: number;
  /** Trials done, including those done before a resume. */
  readonly done: number;
  /** Trials done by this invocation. */
  readonly ranNow: number;
  /** Trials that failed. */
  readonly failed: number;
  /** True when the signal stopped the run before every trial was tried. */
  readonly interrupted: boolean;
  /** True when an earlier run was resumed. */
  readonly resumed: boolean;
  /** Wall-clock time of this invocation, ms. */
  readonly durationMs: number;
  /** True when the run's driver runs no real guests (see `RunRow.simulated`). */
  readonly simulated: boolean;
  /** The environment this invocation ran in; null when it had nothing to run. */
  readonly environmentId: string | null;
}

/** The domain name of a trial: stable for a run and trial, so a resumed run can find a crashed trial's leftover guest. */
export function domainName(runId: string, seq: number): string {
  return `virtmig-${runId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}-${seq}`;
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

function selectRun(options: RunOptions): { runId: string; spec: ExperimentSpec; resumed: boolean } {
  const { db, spec, resume } = options;
  if (resume) {
    let run = typeof resume === 'string' ? db.run(resume) : undefined;
    if (!run && spec) {
      // The latest run of this very spec, finished or not: resuming a finished run repeats nothing.
      const hash = specHash(spec);
      run = db
        .runs()
        .filter((r) => r.specHash === hash)
        .pop();
    }
    run ??= db.latestUnfinishedRun();
    if (run) {
      if (spec && specHash(spec) !== run.specHash) {
        throw new InvalidArgumentError(
          'spec',
          `differs from the spec of run ${run.runId} (${run.experiment}) being resumed; resume without a spec or start a new database`,
        );
      }
      return { runId: run.runId, spec: run.spec, resumed: true };
    }
    if (!spec) throw new NotFoundError('unfinished run', db.path, `no unfinished run in ${db.path} to resume`);
  }
  if (!spec) throw new InvalidArgumentError('spec', 'is required to start a run');
  return { runId: '', spec, resumed: false };
}

/**
 * Runs (or resumes) an experiment: expands the matrix, stores every trial in the database the
 * moment it ends (one transaction each), and runs each host pair's trials in order with the
 * pairs in parallel. Trial failures are recorded and the run goes on; the run is `finished`
 * when every trial is done, `failed` when some failed (resume retries them), and stays
 * `running` when interrupted. Before its first trial it connects every host it needs and
 * records their environment (versions, CPUs, memory, accelerator, link; see
 * `ResultsDb.recordEnvironment`). It holds the database's run lock throughout.
 * @throws `E_STATE` when another live process runs the database (see `ResultsDb.acquireRunLock`).
 */
export async function runExperiment(options: RunOptions): Promise<RunSummary> {
  const started = options.env.now();
  const { db, env, signal } = options;
  const log = options.log ?? (() => {});
  const emit = options.onProgress ?? (() => {});
  const selected = selectRun(options);
  const spec = selected.spec;
  const pairs: HostPairSpec[] = await env.hostPairs(spec);
  const plans = expandMatrix(spec, pairs.length);
  const lock = db.acquireRunLock();
  if (lock.takenOverFrom)
    log(
      `taking over the run lock of process ${lock.takenOverFrom.pid} (since ${lock.takenOverFrom.acquiredAt}), which is no longer running`,
    );
  try {
    return await runLocked(options, selected, pairs, plans, started, log, emit, signal);
  } finally {
    db.releaseRunLock();
  }
}

async function runLocked(
  options: RunOptions,
  selected: { runId: string; spec: ExperimentSpec; resumed: boolean },
  pairs: HostPairSpec[],
  plans: TrialPlan[],
  started: number,
  log: (line: string) => void,
  emit: (event: ProgressEvent) => void,
  signal: AbortSignal | undefined,
): Promise<RunSummary> {
  const { db, env } = options;
  const spec = selected.spec;
  let runId = selected.runId;
  if (!selected.resumed) {
    runId = db.createRun(spec, plans);
  } else {
    const stored = db.trials(runId);
    const same =
      stored.length === plans.length && stored.every((t, i) => t.trialId === plans[i]?.id && t.pair === plans[i]?.pair);
    if (!same)
      throw new StateError(`run ${runId}'s stored trials do not match its spec's matrix (host pairs changed?)`, {
        runId,
      });
    db.reopenRun(runId);
  }
  const rows = new Map<string, TrialRow>(db.trials(runId).map((t) => [t.trialId, t]));
  const alreadyDone = [...rows.values()].filter((t) => t.status === 'done').length;
  emit({ kind: 'start', runId, total: plans.length, alreadyDone, resumed: selected.resumed });

  let ranNow = 0;
  let failed = 0;
  let interrupted = false;
  const guests = await env.guests(spec);

  const runPair = async (pair: ConnectedPair, todo: readonly TrialPlan[]): Promise<void> => {
    checkMigrationSupport(spec, pair);
    for (const plan of todo) {
      if (signal?.aborted) {
        interrupted = true;
        return;
      }
      await runOne(plan, pair);
    }
  };

  const runOne = async (plan: TrialPlan, pair: ConnectedPair): Promise<void> => {
    const row = rows.get(plan.id);
    const domain = domainName(runId, plan.seq);
    if (row && row.status !== 'pending') {
      // An interrupted or failed attempt may have left its guest behind on either host.
      log(
        `${plan.id}: ${row.status === 'running' ? 'interrupted' : 'failed'} before; removing its guest and running it again`,
      );
      await removeDomain([pair.source, pair.destination], row.domain ?? domain);
    }
    db.markRunning(runId, plan.id, domain);
    emit({ kind: 'trial-start', trialId: plan.id, pair: plan.pair });
    const t0 = env.now();
    try {
      const outcome = await runTrial({ spec, plan, domain, pair, guests, env, ...(signal ? { signal } : {}) });
      db.completeTrial(runId, plan.id, outcome);
      ranNow++;
      emit({ kind: 'trial-end', trialId: plan.id, ok: true, ms: env.now() - t0 });
    } catch (e) {
      if (signal?.aborted) {
        // Left `running`: the next resume removes its guest (already gone, normally) and redoes it.
        interrupted = true;
        return;
      }
      failed++;
      db.failTrial(runId, plan.id, oneLine(e));
      log(`${plan.id}: failed: ${oneLine(e)}`);
      emit({ kind: 'trial-end', trialId: plan.id, ok: false, ms: env.now() - t0, error: oneLine(e) });
    }
  };

  const work = pairs
    .map((pairSpec, index) => ({
      index,
      pairSpec,
      todo: plans.filter((p) => p.pair === index && rows.get(p.id)?.status !== 'done'),
    }))
    .filter((w) => w.todo.length > 0);
  const open: Hypervisor[] = [];
  let environmentId: string | null = null;
  let results: PromiseSettledResult<void>[] = [];
  try {
    // Every host first: the environment is recorded before any trial, and a host that cannot be reached starts nothing.
    const connected: { index: number; pair: ConnectedPair; todo: readonly TrialPlan[] }[] = [];
    for (const w of work) {
      const source = await env.connect(w.pairSpec.source, w.pairSpec.connectOptions);
      open.push(source);
      const destination = await env.connect(w.pairSpec.destination, w.pairSpec.connectOptions);
      open.push(destination);
      connected.push({ index: w.index, pair: { spec: w.pairSpec, source, destination }, todo: w.todo });
    }
    if (connected.length > 0) {
      const setting = (await env.hostsSetting?.(spec, pairs)) ?? { linkShaping: 'unknown', localKernel: false };
      const environment = await captureEnvironment(
        connected.map((c) => ({
          pair: c.index,
          spec: c.pair.spec,
          source: c.pair.source,
          destination: c.pair.destination,
        })),
        setting,
      );
      environmentId = db.recordEnvironment(runId, environment).environmentId;
    }
    results = await Promise.allSettled(connected.map((c) => runPair(c.pair, c.todo)));
  } finally {
    await Promise.allSettled(open.map((h) => h.close()));
  }
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const doneNow = db.trials(runId).filter((t) => t.status === 'done').length;
  if (rejected && !interrupted) throw rejected.reason;
  if (!interrupted) db.finishRun(runId, doneNow === plans.length ? 'finished' : 'failed');
  emit({ kind: 'end', done: doneNow, failed, interrupted });
  return {
    runId,
    experiment: spec.name,
    total: plans.length,
    done: doneNow,
    ranNow,
    failed,
    interrupted,
    resumed: selected.resumed,
    durationMs: env.now() - started,
    simulated: db.run(runId).simulated,
    environmentId,
  };
}
