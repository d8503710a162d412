/** The workloads virtmig ships (native/workloads). */
export type WorkloadName = 'dhrystone' | 'linpack' | 'livermore' | 'dirtier';

/** How long a workload runs. */
export type WorkloadBudget = { readonly seconds: number } | { readonly iterations: number };

/** One workload's parsed, verified result. */
export interface WorkloadResult {
  readonly workload: WorkloadName;
  /** Headline score, e.g. DMIPS or MFLOPS. */
  readonly score: number;
  readonly unit: string;
  readonly seconds: number;
  /** True when the workload verified its own computation. */
  readonly verified: boolean;
  /** Every field the workload printed. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A runnable workload. */
export interface Workload {
  readonly name: WorkloadName;
  /** Command line to start it (argv, never a shell string). */
  argv(budget: WorkloadBudget, extra?: Readonly<Record<string, number>>): string[];
  /** Parses and validates one result line. */
  parse(line: string): WorkloadResult;
}
