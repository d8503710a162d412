/** The workloads virtmig ships (native/workloads). */
export type WorkloadName = 'dhrystone' | 'linpack' | 'livermore' | 'dirtier';

/** How long a workload runs. */
export type WorkloadBudget =
  | {
      /** Run for this many seconds. */
      readonly seconds: number;
    }
  | {
      /** Run this many iterations. */
      readonly iterations: number;
    };

/** One workload's parsed, verified result. */
export interface WorkloadResult {
  /** The workload that produced it. */
  readonly workload: WorkloadName;
  /** Headline score, e.g. DMIPS or MFLOPS. */
  readonly score: number;
  /** Unit of `score`, e.g. `DMIPS`. */
  readonly unit: string;
  /** Seconds the workload ran. */
  readonly seconds: number;
  /** True when the workload verified its own computation. */
  readonly verified: boolean;
  /** Every field the workload printed. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A runnable workload. */
export interface Workload {
  /** Workload name. */
  readonly name: WorkloadName;
  /** Command line to start it (argv, never a shell string). */
  argv(budget: WorkloadBudget, extra?: Readonly<Record<string, number>>): string[];
  /** Parses and validates one result line. */
  parse(line: string): WorkloadResult;
}
