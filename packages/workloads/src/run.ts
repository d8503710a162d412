import {
  InvalidArgumentError,
  ParseError,
  type Workload,
  type WorkloadBudget,
  type WorkloadResult,
} from '@virtmig/core';
import { assertBudget } from './budget.js';
import { CommandFailedError, EXIT_VERIFY_FAILED, WorkloadVerificationError } from './errors.js';
import { runProcess } from './process.js';

/** Options of {@link runOnHost}. */
export interface RunOnHostOptions {
  /** Host CPU numbers to confine the workload to (via `taskset -c`). */
  readonly cores?: readonly number[];
  /** Workload-specific options, as for {@link Workload.argv}. */
  readonly extra?: Readonly<Record<string, number>>;
  /** Kill and throw `E_TIMEOUT` after this many ms (default: 3 x the time budget + 30 s; none for iteration budgets). */
  readonly timeoutMs?: number;
  /** Aborts the run: the workload is killed and the call rejects with `E_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Receives the workload's stderr lines (progress when `extra.progressMs` is set). */
  readonly onStderrLine?: (line: string) => void;
}

/** The largest CPU number `taskset` is given; far above any host this runs on. */
const MAX_CPU = 4095;

/** The `taskset -c` prefix confining a command to `cores`, after validating them. */
export function tasksetPrefix(cores: readonly number[]): string[] {
  if (!Array.isArray(cores) || cores.length === 0) throw new InvalidArgumentError('cores', 'must be a non-empty array');
  for (const c of cores) {
    if (!Number.isInteger(c) || c < 0 || c > MAX_CPU) {
      throw new InvalidArgumentError('cores', `must hold CPU numbers in [0, ${MAX_CPU}], got ${JSON.stringify(c)}`);
    }
  }
  return ['taskset', '-c', [...new Set(cores)].sort((a, b) => a - b).join(',')];
}

/** The last non-empty line of a text. */
function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  return lines[lines.length - 1] ?? '';
}

/**
 * Runs a workload on this host, optionally confined to some cores, and returns its parsed, verified
 * result. A non-zero exit throws {@link CommandFailedError} ({@link WorkloadVerificationError} when
 * the workload's own check failed; its `details.result` holds the parsed line when there was one).
 */
export async function runOnHost(
  workload: Workload,
  budget: WorkloadBudget,
  options: RunOnHostOptions = {},
): Promise<WorkloadResult> {
  assertBudget(budget);
  const argv = [...(options.cores ? tasksetPrefix(options.cores) : []), ...workload.argv(budget, options.extra)];
  const timeoutMs = options.timeoutMs ?? ('seconds' in budget ? budget.seconds * 3000 + 30000 : undefined);
  const out = await runProcess(argv, { timeoutMs, signal: options.signal, onStderrLine: options.onStderrLine });
  const line = lastLine(out.stdout);
  if (out.exitCode !== 0) {
    let result: WorkloadResult | undefined;
    try {
      result = workload.parse(line);
    } catch {
      result = undefined;
    }
    const ErrorClass = out.exitCode === EXIT_VERIFY_FAILED && result ? WorkloadVerificationError : CommandFailedError;
    throw new ErrorClass(workload.name, argv, out.exitCode, out.signal, out.stderr, { result });
  }
  const result = workload.parse(line);
  if (!result.verified) throw new ParseError(`${workload.name} result`, 'exit code 0 but verified is false');
  return result;
}
