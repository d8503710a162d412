import { join } from 'node:path';
import {
  assertNumber,
  InvalidArgumentError,
  ParseError,
  type Workload,
  type WorkloadBudget,
  type WorkloadName,
  type WorkloadResult,
} from '@virtmig/core';
import { assertBudget, budgetFlags } from './budget.js';
import { FieldReader, isCount, isNonNegative, parseJsonObject } from './fields.js';
import { DEFAULT_BIN_DIR } from './paths.js';

/** Every workload virtmig ships, in a stable order. */
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['dhrystone', 'linpack', 'livermore', 'dirtier'];

/** A workload-specific numeric option: its key in `extra`, its flag, and its kernel-cmdline name. */
export interface WorkloadOption {
  /** Key in the `extra` argument of {@link Workload.argv}, e.g. `wssMb`. */
  readonly key: string;
  /** Command-line flag of the binary, e.g. `--wss-mb`. */
  readonly flag: string;
  /** Kernel command-line parameter (after `virtmig.`), e.g. `wss_mb`. */
  readonly cmdline: string;
  /** Smallest accepted value. */
  readonly min: number;
  /** Largest accepted value. */
  readonly max: number;
  /** Whether only whole numbers are accepted. */
  readonly integer: boolean;
  /** What the option does, for help texts. */
  readonly description: string;
}

const PROGRESS: WorkloadOption = {
  key: 'progressMs',
  flag: '--progress-ms',
  cmdline: 'progress_ms',
  min: 0,
  max: 1e9,
  integer: true,
  description: 'progress line on stderr every so many milliseconds (0 = none)',
};

/** Fields every workload prints. */
const COMMON_FIELDS = ['workload', 'score', 'unit', 'seconds', 'verified', 'cpus', 'cpu_seconds'] as const;

/** Relative agreement between two printed figures (the binaries print some with 6 significant digits). */
function agrees(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

/**
 * A native workload from native/workloads: builds its argv and strictly parses its single
 * JSON result line into a {@link WorkloadResult}.
 */
export abstract class NativeWorkload implements Workload {
  abstract readonly name: WorkloadName;
  /** Unit of the headline score. */
  abstract readonly unit: string;
  /** Workload-specific options accepted in `extra` (besides `progressMs`). */
  protected abstract readonly ownOptions: readonly WorkloadOption[];
  /** Workload-specific fields of the result line. */
  protected abstract readonly ownFields: readonly string[];

  /** @param binDir directory holding the built binaries (default: native/build/bin of this repository). */
  constructor(readonly binDir: string = DEFAULT_BIN_DIR) {}

  /** Absolute path of the binary on this host. */
  get binary(): string {
    return join(this.binDir, this.name);
  }

  /** Every option accepted in `extra`. */
  get options(): readonly WorkloadOption[] {
    return [...this.ownOptions, PROGRESS];
  }

  /** Full argv: the binary then {@link flags}. */
  argv(budget: WorkloadBudget, extra: Readonly<Record<string, number>> = {}): string[] {
    return [this.binary, ...this.flags(budget, extra)];
  }

  /** The flags for a budget and options, validated (throws `E_INVALID_ARGUMENT`). */
  flags(budget: WorkloadBudget, extra: Readonly<Record<string, number>> = {}): string[] {
    assertBudget(budget);
    return [...budgetFlags(budget), ...this.optionFlags(extra)];
  }

  /** The flags for `extra` alone, validated (throws `E_INVALID_ARGUMENT`). */
  optionFlags(extra: Readonly<Record<string, number>>): string[] {
    const out: string[] = [];
    const options = this.options;
    for (const [key, value] of Object.entries(extra)) {
      const opt = options.find((o) => o.key === key);
      if (!opt) {
        throw new InvalidArgumentError(
          `extra.${key}`,
          `${this.name} takes ${options.map((o) => o.key).join(', ')}, not ${JSON.stringify(key)}`,
        );
      }
      assertNumber(value, `extra.${key}`, opt.min, opt.max);
      if (opt.integer && !Number.isInteger(value)) {
        throw new InvalidArgumentError(`extra.${key}`, `must be a whole number, got ${value}`);
      }
      out.push(opt.flag, String(value));
    }
    return out;
  }

  /** Parses one result line; throws {@link ParseError} on anything but a complete, consistent result. */
  parse(line: string): WorkloadResult {
    const what = `${this.name} result`;
    const raw = parseJsonObject(what, line);
    const r = new FieldReader(what, raw);
    r.oneOf('workload', [this.name]);
    const score = r.number('score');
    r.oneOf('unit', [this.unit]);
    const seconds = r.number('seconds');
    const verified = r.boolean('verified');
    r.array('cpus', isCount, 'a CPU number');
    r.number('cpu_seconds');
    this.check(r, score, verified, what);
    r.only([...COMMON_FIELDS, ...this.ownFields]);
    return { workload: this.name, score, unit: this.unit, seconds, verified, raw };
  }

  /** Checks the workload's own fields and their consistency with the headline score. */
  protected abstract check(r: FieldReader, score: number, verified: boolean, what: string): void;
}

/** Dhrystone 2.1-style integer benchmark; score in DMIPS (Dhrystones per second / 1757). */
export class Dhrystone extends NativeWorkload {
  /** Workload name. */
  readonly name = 'dhrystone' as const;
  readonly unit = 'DMIPS';
  protected readonly ownOptions: readonly WorkloadOption[] = [];
  protected readonly ownFields = ['dhrystones_per_second', 'runs'];

  protected check(r: FieldReader, score: number, _verified: boolean, what: string): void {
    const perSecond = r.number('dhrystones_per_second');
    r.int('runs');
    if (!agrees(score, perSecond / 1757, 1e-9)) {
      throw new ParseError(what, `score ${score} is not dhrystones_per_second / 1757`);
    }
  }
}

/** Linpack-style LU solve of an n x n system; score in MFLOPS. */
export class Linpack extends NativeWorkload {
  /** Workload name. */
  readonly name = 'linpack' as const;
  readonly unit = 'MFLOPS';
  protected readonly ownOptions: readonly WorkloadOption[] = [
    { key: 'n', flag: '--n', cmdline: 'n', min: 10, max: 5000, integer: true, description: 'matrix order' },
  ];
  protected readonly ownFields = ['n', 'repetitions', 'solve_seconds', 'normalised_residual', 'max_error'];

  protected check(r: FieldReader, _score: number, verified: boolean, what: string): void {
    r.int('n', 10);
    r.int('repetitions', 1);
    r.number('solve_seconds');
    const residual = r.number('normalised_residual');
    r.number('max_error');
    if (verified && !(residual < 100)) {
      throw new ParseError(what, `verified with a normalised residual of ${residual} (limit 100)`);
    }
  }
}

const SPAN_SETS = ['short', 'medium', 'long'] as const;
const STAT_FIELDS = ['amean', 'hmean', 'gmean', 'min', 'max'] as const;

/** The 24 Livermore loops at three span sets; score is the geometric mean MFLOPS of all 72 runs. */
export class Livermore extends NativeWorkload {
  /** Workload name. */
  readonly name = 'livermore' as const;
  readonly unit = 'MFLOPS';
  protected readonly ownOptions: readonly WorkloadOption[] = [];
  protected readonly ownFields = ['spans', 'overall', 'failed_kernels', 'passes'];

  protected check(r: FieldReader, score: number, verified: boolean, what: string): void {
    const spans = r.object('spans');
    for (const set of SPAN_SETS) {
      const s = spans.object(set);
      s.array('n', (v): v is number => isCount(v) && v >= 1, 'a span >= 1', 24);
      s.array('mflops', isNonNegative, 'a non-negative number', 24);
      for (const f of STAT_FIELDS) s.number(f);
      s.only(['n', 'mflops', ...STAT_FIELDS]);
    }
    spans.only(SPAN_SETS);
    const overall = r.object('overall');
    for (const f of STAT_FIELDS) overall.number(f);
    overall.only(STAT_FIELDS);
    const failed = r.array(
      'failed_kernels',
      (v): v is string => typeof v === 'string' && /^([1-9]|1\d|2[0-4])\/(short|medium|long)$/.test(v),
      'a "kernel/span" name',
    );
    r.int('passes');
    if (verified !== (failed.length === 0)) {
      throw new ParseError(what, `verified is ${verified} but ${failed.length} kernels failed`);
    }
    if (!agrees(score, overall.number('gmean'), 1e-5)) {
      throw new ParseError(what, `score ${score} is not the overall geometric mean`);
    }
  }
}

/** Memory dirtier: rewrites pages of a working set at a set rate; score is the achieved MiB/s. */
export class Dirtier extends NativeWorkload {
  /** Workload name. */
  readonly name = 'dirtier' as const;
  readonly unit = 'MiB/s';
  protected readonly ownOptions: readonly WorkloadOption[] = [
    {
      key: 'wssMb',
      flag: '--wss-mb',
      cmdline: 'wss_mb',
      min: 1,
      max: 1048576,
      integer: true,
      description: 'working set in MiB',
    },
    {
      key: 'rateMbps',
      flag: '--rate-mbps',
      cmdline: 'rate_mbps',
      min: 0,
      max: 1e6,
      integer: false,
      description: 'dirty rate in MiB/s (0 = as fast as possible)',
    },
  ];
  protected readonly ownFields = ['wss_mb', 'target_rate_mbps', 'page_size', 'pages_written', 'sweeps'];

  protected check(r: FieldReader): void {
    r.int('wss_mb', 1);
    r.number('target_rate_mbps');
    r.int('page_size', 1);
    r.int('pages_written');
    r.number('sweeps');
  }
}

/** The workload called `name`, reading its binary from `binDir`. */
export function createWorkload(name: WorkloadName, binDir: string = DEFAULT_BIN_DIR): NativeWorkload {
  switch (name) {
    case 'dhrystone':
      return new Dhrystone(binDir);
    case 'linpack':
      return new Linpack(binDir);
    case 'livermore':
      return new Livermore(binDir);
    case 'dirtier':
      return new Dirtier(binDir);
    default:
      throw new InvalidArgumentError(
        'name',
        `unknown workload ${JSON.stringify(name)}; known: ${WORKLOAD_NAMES.join(', ')}`,
      );
  }
}

/** All four workloads. */
export function allWorkloads(binDir: string = DEFAULT_BIN_DIR): NativeWorkload[] {
  return WORKLOAD_NAMES.map((n) => createWorkload(n, binDir));
}
