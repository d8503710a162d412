import { type Recommendation, recommendAll } from '@virtmig/analysis';
import { clusterFromRecords, liveCluster } from '@virtmig/balance';
import { TIDY_TABLES } from '@virtmig/bench';
import type { DriverRegistry, TrialRecord } from '@virtmig/core';
import { InvalidArgumentError, isVirtmigError } from '@virtmig/core';
import type { Command } from 'commander';
import { cliRegistry } from '../drivers.js';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { applyPolicy, assertPolicy } from './cluster.js';
import { EXPORT_FORMATS, exportCommand } from './export.js';
import { linkRate } from './predict.js';
import { checkLiveHosts, liveHosts } from './recommend.js';
import { loadResults, studyTables, tablesMarkdown, writeReport } from './report.js';
import { type RunCommandOptions, runCommand } from './run.js';

const EXIT_HELP =
  '\nExit codes: 0 ok, 1 failed (or trials failed / run interrupted: resume with --resume), 2 bad input (nothing changed), 3 not found, 4 a required component is missing.';

function threshold(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
  if (!(n > 0 && n <= 100))
    throw new InvalidArgumentError('--threshold', `must be a number in (0, 100], got ${JSON.stringify(v)}`);
  return n;
}

/**
 * The link rate `recommend --live` predicts with: `--bandwidth`, else the database's measured
 * throughput; none (workload estimates only) when neither gives one.
 */
function liveLinkRate(bandwidth: string | undefined, records: readonly TrialRecord[]): { bandwidthBps?: number } {
  if (bandwidth !== undefined) {
    if (!/^\d{1,9}$/.test(bandwidth) || Number(bandwidth) < 1)
      throw new InvalidArgumentError(
        '--bandwidth',
        `must be a whole number of MiB/s >= 1, got ${JSON.stringify(bandwidth)}`,
      );
    return { bandwidthBps: Number(bandwidth) * 1024 * 1024 };
  }
  try {
    return { bandwidthBps: linkRate(undefined, undefined, records, '', '').bytesPerSecond };
  } catch (e) {
    if (isVirtmigError(e, 'E_INVALID_ARGUMENT')) return {};
    throw e;
  }
}

function decisionText(r: Recommendation): string {
  return r.kind === 'migrate'
    ? `${r.policy}: migrate ${r.vm} from ${r.source} to ${r.destination}\n  why: ${r.reason}`
    : `${r.policy}: no migration\n  why: ${r.reason}`;
}

/** Adds `run`, `report` and `recommend` to the program; `registry` is injectable for tests. */
export function addBenchCommands(
  program: Command,
  makeOutput: (json: boolean) => Output,
  registry: () => DriverRegistry = cliRegistry,
): void {
  program
    .command('run')
    .description('run (or resume) an experiment: trials into a SQLite results database, progress on stderr')
    .argument('[spec]', 'experiment spec file (YAML or JSON)')
    .option('--preset <name>', 'a built-in spec: paper, paper-quick, dry-run (simulated, no lab)')
    .option('--db <file>', 'results database (default results/NAME.db)')
    .option('--resume', 'resume the run of this spec (or the latest unfinished run) in the database')
    .option('--keep-logs', "keep each guest's serial console log")
    .option('--json', 'print the summary as JSON (no progress bar)')
    .addHelpText('after', EXIT_HELP)
    .action(async (spec: string | undefined, opts: RunCommandOptions) => {
      const out = makeOutput(Boolean(opts.json));
      const s = await runCommand(registry(), spec, opts);
      out.data(
        s,
        () =>
          `${s.simulated ? 'SIMULATED ' : ''}run ${s.runId} (${s.experiment}): ${s.done}/${s.total} trials done (${s.ranNow} now, ${s.failed} failed) in ${(s.durationMs / 1000).toFixed(1)} s${
            s.interrupted ? '; interrupted: resume with --resume' : ''
          }`,
      );
      if (s.interrupted || s.failed > 0) process.exitCode = EXIT.FAILED;
    });

  program
    .command('report')
    .description(
      "the study's tables (Markdown; CSV with --out), figures (SVG) and an HTML report from a results database",
    )
    .argument('<db>', 'results database')
    .option('--out <file>', 'write the HTML report here, tables (CSV) and figures (SVG) in FILE-files/')
    .option('--run <id>', 'only this run (default: every run in the database)')
    .option('--json', 'print JSON')
    .addHelpText('after', EXIT_HELP)
    .action(async (dbPath: string, opts: { out?: string; run?: string; json?: boolean }) => {
      const out = makeOutput(Boolean(opts.json));
      const results = loadResults(dbPath, opts.run);
      const files = opts.out ? await writeReport(results, opts.out, new Date().toISOString()) : undefined;
      out.data(
        {
          trials: results.records.length,
          experiments: results.experiments,
          simulated: results.simulated,
          environments: results.environments,
          tables: studyTables(results.records),
          ...(files ? { files } : {}),
        },
        () =>
          `${results.simulated ? 'SIMULATED: these trials ran on simulated hosts (a model, not measurements)\n\n' : ''}${tablesMarkdown(results.records)}${files ? `\nreport: ${files.html}\n` : ''}`,
      );
    });

  program
    .command('export')
    .description(
      'a tidy table of a results database (one row per observation, units in column names, run and environment ids on every row) as CSV or JSON Lines',
    )
    .argument('<db>', 'results database (opened read-only)')
    .option('--format <format>', EXPORT_FORMATS.join(' | '), 'csv')
    .option('--table <table>', TIDY_TABLES.join(' | '), 'trials')
    .option('--out <file>', 'write here instead of stdout')
    .addHelpText('after', EXIT_HELP)
    .action(async (dbPath: string, opts: { format?: string; table?: string; out?: string }) => {
      const out = makeOutput(false);
      await exportCommand(
        dbPath,
        opts,
        (text) => process.stdout.write(text),
        (line) => out.log(line),
      );
    });

  program
    .command('recommend')
    .description(
      'which VM to migrate, and why: from the measurements (the study scenario) or from running hosts (--live)',
    )
    .argument('<db>', 'results database (migration times and CPU use per workload)')
    .option('--live', 'decide for the domains running now on --hosts')
    .option('--hosts <list>', 'comma-separated libvirt URIs, or "lab"', 'lab')
    .option('--threshold <percent>', "CPU threshold in % of a host's cores (default: the run's, 65)")
    .option('--policy <name>', "study | mmt | mc | random | balance (default: the run's, study)")
    .option(
      '--bandwidth <MiBps>',
      "with --live: link rate for the predictions (default: the median throughput of the database's migrations)",
    )
    .option('--json', 'print JSON')
    .addHelpText('after', EXIT_HELP)
    .action(
      async (
        dbPath: string,
        opts: {
          live?: boolean;
          hosts: string;
          threshold?: string;
          policy?: string;
          bandwidth?: string;
          json?: boolean;
        },
      ) => {
        const out = makeOutput(Boolean(opts.json));
        const policy = opts.policy ?? undefined;
        if (policy !== undefined) assertPolicy(policy);
        const t = threshold(opts.threshold, 65);
        // Host URIs are option values too: refused before the database is read or a host connected.
        if (opts.live) checkLiveHosts(opts.hosts);
        const results = loadResults(dbPath);
        const thresholdPercent = opts.threshold === undefined ? results.thresholdPercent : t;
        const chosen = policy ?? results.policy;
        assertPolicy(chosen);
        const cluster = opts.live
          ? await liveCluster(
              registry(),
              await liveHosts(opts.hosts),
              results.records,
              undefined,
              liveLinkRate(opts.bandwidth, results.records),
            )
          : clusterFromRecords(results.records);
        const recommendation = applyPolicy(chosen, cluster, thresholdPercent);
        const others = recommendAll(cluster, { thresholdPercent }).filter((r) => r.policy !== recommendation.policy);
        out.data(
          { recommendation, thresholdPercent, source: opts.live ? 'live' : 'measurements', cluster, others },
          () =>
            [
              decisionText(recommendation),
              '',
              'other policies:',
              ...others.map((r) => `  ${decisionText(r).replace(/\n/g, '\n  ')}`),
            ].join('\n'),
        );
      },
    );
}
