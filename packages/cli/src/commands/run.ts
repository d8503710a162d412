import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  checkDriverSupport,
  defaultEnvironment,
  type ExperimentSpec,
  loadSpecFile,
  ProgressBar,
  preset,
  ResultsDb,
  type RunSummary,
  runExperiment,
} from '@virtmig/bench';
import {
  type DriverRegistry,
  type HypervisorCapabilities,
  InvalidArgumentError,
  UnknownSchemeError,
} from '@virtmig/core';
import { CLI_DRIVER_CAPABILITIES } from '../drivers.js';

/** Options of `virtmig run`. */
export interface RunCommandOptions {
  readonly preset?: string;
  readonly db?: string;
  readonly resume?: boolean;
  readonly json?: boolean;
  readonly keepLogs?: boolean;
}

/** The spec a `run` invocation names (file or preset), or undefined for a bare `--resume`. */
export async function specOf(
  file: string | undefined,
  options: RunCommandOptions,
): Promise<ExperimentSpec | undefined> {
  if (file !== undefined && options.preset !== undefined)
    throw new InvalidArgumentError('spec', 'give a SPEC file or --preset, not both');
  if (file !== undefined) return loadSpecFile(file);
  if (options.preset !== undefined) return preset(options.preset);
  if (!options.resume)
    throw new InvalidArgumentError('spec', 'give a SPEC file or --preset NAME (or --resume with --db)');
  return undefined;
}

/**
 * Refuses a spec that the registry cannot run, before anything is opened or created: a driver
 * that is not registered (`E_UNKNOWN_SCHEME`), or one whose declared capabilities lack what the
 * spec asks for (`E_UNSUPPORTED`, see `checkDriverSupport`). A driver without declared
 * capabilities is checked by the runner once connected.
 */
export function checkRunnable(
  registry: DriverRegistry,
  spec: ExperimentSpec,
  capabilities: ReadonlyMap<string, HypervisorCapabilities> = CLI_DRIVER_CAPABILITIES,
): void {
  if (!registry.has(spec.driver)) throw new UnknownSchemeError(spec.driver, registry.schemes());
  const caps = capabilities.get(spec.driver);
  if (caps) checkDriverSupport(spec, spec.driver, caps, typeof spec.hosts === 'string' ? [] : spec.hosts);
}

/**
 * Runs or resumes an experiment with progress on stderr. Every check on the input runs before
 * the database or its directory is created, so a refused run leaves nothing behind. SIGINT/SIGTERM stop it cleanly (the
 * current trial's guest is removed; the run stays resumable); a second SIGINT exits at once.
 */
export async function runCommand(
  registry: DriverRegistry,
  file: string | undefined,
  options: RunCommandOptions,
): Promise<RunSummary> {
  const spec = await specOf(file, options);
  if (!spec && !options.db) throw new InvalidArgumentError('--db', 'is required with --resume and no spec');
  if (options.db !== undefined && (options.db === '' || options.db.includes('\0')))
    throw new InvalidArgumentError('--db', 'must be a file name');
  if (spec) checkRunnable(registry, spec);
  const dbPath = resolve(options.db ?? `results/${(spec as ExperimentSpec).name}.db`);
  // A bare --resume continues a database that exists; it never creates one.
  if (spec) await mkdir(dirname(dbPath), { recursive: true });
  const db = ResultsDb.open(dbPath, { mustExist: !spec });
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(130);
    process.stderr.write(`\nvirtmig: ${sig}: stopping after removing the current guest (again to exit now)\n`);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stderrTty = Boolean(process.stderr.isTTY) && !options.json;
  const pairs = spec && typeof spec.hosts !== 'string' ? spec.hosts.length : 1;
  const bar = new ProgressBar(process.stderr, stderrTty, pairs);
  try {
    return await runExperiment({
      db,
      ...(spec ? { spec } : {}),
      resume: Boolean(options.resume),
      env: defaultEnvironment({ registry, keepLogs: Boolean(options.keepLogs) }),
      signal: ac.signal,
      onProgress: (e) => bar.update(e),
      log: (line) => {
        if (stderrTty) process.stderr.write('\r\x1b[K');
        process.stderr.write(`virtmig: ${line}\n`);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    db.close();
  }
}
