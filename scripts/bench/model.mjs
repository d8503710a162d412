// Migration-model benchmark on the local lab (own prefix, default vmmod; taken down at the end).
// 1. Runs a reduced `model-sweep` (dhrystone and the dirtier at 4-24 MiB/s over a 16 MiB/s
//    migration bandwidth limit: lambda 0 to 1.5; RAM 128/256 MiB; 2 trials) with `virtmig run`.
// 2. Fits every candidate model leave-one-cell-out: each cell's trials are predicted by models
//    fitted on the other cells' trials. Prints every model's errors, then the chosen model's.
// BENCH_MODEL_DB names the results database (default results/model-bench.db); BENCH_MODEL_REUSE=1
// evaluates the finished run already in it without the lab (or resumes an unfinished one).
// Ends with: model-bench: median-error-total=<f> median-error-downtime=<f> p90-error-total=<f> trials=<n> model=<name>
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { calibrateModels } from '@virtmig/analysis';
import { preset, ResultsDb } from '@virtmig/bench';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const PREFIX = process.env.BENCH_LAB_PREFIX ?? 'vmmod';
const DB = resolve(root, process.env.BENCH_MODEL_DB ?? 'results/model-bench.db');
const REUSE = process.env.BENCH_MODEL_REUSE === '1';
const RATES = (process.env.BENCH_MODEL_RATES ?? '4,8,12,24').split(',').map(Number);
const RAMS = (process.env.BENCH_MODEL_RAMS ?? '128,256').split(',').map(Number);
const TRIALS = Number(process.env.BENCH_MODEL_TRIALS ?? 2);
const env = { ...process.env, VIRTMIG_LAB_PREFIX: PREFIX };
const log = (s) => process.stderr.write(`${s}\n`);
const lab = async (...args) =>
  (await run(`${root}scripts/lab/lab`, ['--prefix', PREFIX, ...args], { maxBuffer: 4 << 20, env })).stdout;

/** The reduced sweep: the preset with fewer dirty rates, RAM sizes and trials, and a shorter timeout. */
function reducedSpec() {
  const full = preset('model-sweep');
  const labels = new Set(['dhrystone', ...RATES.map((r) => `dirtier-${r}`)]);
  return {
    ...full,
    name: 'model-sweep-reduced',
    workloads: full.workloads.filter((w) => labels.has(w.label)),
    matrix: { ...full.matrix, ramMiB: RAMS, trials: TRIALS },
    migration: { ...full.migration, timeoutMs: 15_000 },
  };
}

async function sweep(spec) {
  const file = `${DB}.spec.json`;
  await mkdir(dirname(DB), { recursive: true });
  await writeFile(file, JSON.stringify(spec, null, 2));
  const args = [`${root}packages/cli/dist/src/bin.js`, 'run', file, '--db', DB];
  if (REUSE && existsSync(DB)) args.push('--resume');
  log(`running ${args.slice(1).join(' ')}`);
  await new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    // A run with failed trials exits non-zero; the trials that ran are still measured.
    child.on('exit', (code) => (code === 0 || code === 1 ? ok() : fail(new Error(`virtmig run exited ${code}`))));
  });
}

/** Whether the database holds a finished run of `name` (then BENCH_MODEL_REUSE=1 evaluates it as it is). */
function finishedRun(name) {
  if (!existsSync(DB)) return false;
  const db = ResultsDb.open(DB, { mustExist: true, readonly: true });
  try {
    return db.runs().some((r) => r.experiment === name && r.status === 'finished');
  } finally {
    db.close();
  }
}

const pct = (x) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)} %`);
const frac = (x) => (x === null || x === undefined ? 'NaN' : x.toFixed(3));

async function main() {
  const t0 = Date.now();
  const spec = reducedSpec();
  if (!(REUSE && finishedRun(spec.name))) {
    const status = JSON.parse(await lab('status', '--json'));
    const wasUp = status.state === 'running';
    if (!wasUp) await lab('up');
    try {
      await sweep(spec);
    } finally {
      if (!wasUp) await lab('down').catch((e) => log(`lab down failed: ${e}`));
    }
  } else log(`reusing the finished ${spec.name} run in ${DB}`);
  const db = ResultsDb.open(DB, { mustExist: true, readonly: true });
  const records = db.records().filter((r) => r.experimentId === spec.name);
  db.close();
  const c = calibrateModels(records, { maxDowntimeMs: spec.migration.maxDowntimeMs ?? 300 });
  if (c.fallback) throw new Error(`cannot calibrate: ${c.fallback}`);
  console.log(
    `| model | trials (finished) | median total | p90 total | median downtime | p90 downtime | wrong verdicts | LOWO median total |`,
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const e of c.evaluations) {
    const b = e.byCell;
    console.log(
      `| ${e.model}${e.model === c.chosen ? ' (chosen)' : ''} | ${b.trials} (${b.finishedTrials}) | ${pct(b.medianTotal)} | ${pct(b.p90Total)} | ${pct(b.medianDowntime)} | ${pct(b.p90Downtime)} | ${b.wrongVerdicts} | ${pct(e.byWorkload?.medianTotal)} |`,
    );
  }
  const chosen = c.evaluations.find((e) => e.model === c.chosen);
  console.log('');
  console.log(
    '| workload | RAM | lambda | measured total ms | predicted total ms | measured downtime ms | predicted downtime ms |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const h of chosen.heldOut) {
    const o = h.trial.outcome;
    const p = h.prediction;
    const lambda = h.trial.input.dirtyRateBps / h.trial.input.bandwidthBps;
    console.log(
      `| ${h.trial.record.workload} | ${h.trial.record.ramMiB} | ${lambda.toFixed(2)} | ${o.kind === 'converged' ? o.totalTimeMs.toFixed(0) : 'non-converged'} | ${p.kind === 'converges' ? p.totalTimeMs.toFixed(0) : 'non-convergent'} | ${o.kind === 'converged' ? (o.downtimeMs ?? '-') : '-'} | ${p.kind === 'converges' ? p.downtimeMs.toFixed(0) : '-'} |`,
    );
  }
  log(`model bench took ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  const b = chosen.byCell;
  console.log(
    `model-bench: median-error-total=${frac(b.medianTotal)} median-error-downtime=${frac(b.medianDowntime)} p90-error-total=${frac(b.p90Total)} trials=${b.trials} model=${c.chosen}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
