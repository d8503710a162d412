import { InvalidArgumentError, NotFoundError, StateError } from '@virtmig/core';
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
 * `running` when interrupted.
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

  const runPair = async (index: number, pairSpec: HostPairSpec): Promise<void> => {
    const todo = plans.filter((p) => p.pair === index && rows.get(p.id)?.status !== 'done');
    if (todo.length === 0) return;
    const source = await env.connect(pairSpec.source, pairSpec.connectOptions);
    try {
      const destination = await env.connect(pairSpec.destination, pairSpec.connectOptions);
      try {
        const pair: ConnectedPair = { spec: pairSpec, source, destination };
        checkMigrationSupport(spec, pair);
        for (const plan of todo) {
          if (signal?.aborted) {
            interrupted = true;
            return;
          }
          await runOne(plan, pair);
        }
      } finally {
        await destination.close();
      }
    } finally {
      await source.close();
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

  const results = await Promise.allSettled(pairs.map((p, i) => runPair(i, p)));
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
  };
}
