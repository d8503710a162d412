/** What the runner reports as it goes. */
export type ProgressEvent =
  | {
      /** `start`: the run begins (or resumes). */
      readonly kind: 'start';
      /** Run id. */
      readonly runId: string;
      /** Trials in the run. */
      readonly total: number;
      /** Trials done before this invocation. */
      readonly alreadyDone: number;
      /** True when an earlier run is resumed. */
      readonly resumed: boolean;
    }
  | {
      /** `trial-start`: a trial begins. */
      readonly kind: 'trial-start';
      /** Trial id. */
      readonly trialId: string;
      /** Index of the host pair it runs on. */
      readonly pair: number;
    }
  | {
      /** `trial-end`: a trial finished or failed. */
      readonly kind: 'trial-end';
      /** Trial id. */
      readonly trialId: string;
      /** Whether the trial succeeded. */
      readonly ok: boolean;
      /** How long it took, ms. */
      readonly ms: number;
      /** The failure message, when it failed. */
      readonly error?: string;
    }
  | {
      /** `end`: the run stopped. */
      readonly kind: 'end';
      /** Trials done. */
      readonly done: number;
      /** Trials that failed. */
      readonly failed: number;
      /** True when the signal stopped the run early. */
      readonly interrupted: boolean;
    };

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The ETA from the trials finished in this session: their mean duration times what is left, over parallel pairs. */
export function estimateRemainingMs(
  finishedMs: readonly number[],
  remaining: number,
  parallel: number,
): number | undefined {
  if (finishedMs.length === 0) return undefined;
  const mean = finishedMs.reduce((s, x) => s + x, 0) / finishedMs.length;
  return (mean * remaining) / Math.max(1, parallel);
}

/**
 * A one-line progress bar with ETA, redrawn in place on a TTY stream. It writes nothing when
 * disabled (not a TTY, or `--json`), so logs and machine output stay clean.
 */
export class ProgressBar {
  private total = 0;
  private done = 0;
  private failed = 0;
  private readonly durations: number[] = [];
  private current = '';

  constructor(
    private readonly stream: { write(s: string): unknown; columns?: number },
    /** Whether progress is written at all. */
    readonly enabled: boolean,
    private readonly parallel = 1,
  ) {}

  /** Feeds one runner event. */
  update(e: ProgressEvent): void {
    switch (e.kind) {
      case 'start':
        this.total = e.total;
        this.done = e.alreadyDone;
        break;
      case 'trial-start':
        this.current = e.trialId;
        break;
      case 'trial-end':
        if (e.ok) this.done++;
        else this.failed++;
        this.durations.push(e.ms);
        break;
      case 'end':
        if (this.enabled) this.stream.write('\n');
        return;
    }
    if (this.enabled) this.stream.write(`\r\x1b[K${this.line()}`);
  }

  /** The bar as text, e.g. `[#####-----] 12/24 50% 1 failed ETA 3m12s dhrystone/...`. */
  line(): string {
    const width = 20;
    const finished = this.done + this.failed;
    const frac = this.total ? finished / this.total : 0;
    const filled = Math.round(frac * width);
    const eta = estimateRemainingMs(this.durations, this.total - finished, this.parallel);
    const parts = [
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`,
      `${finished}/${this.total}`,
      `${Math.floor(frac * 100)}%`,
      ...(this.failed ? [`${this.failed} failed`] : []),
      `ETA ${eta === undefined ? '?' : duration(eta)}`,
      this.current,
    ];
    const text = parts.join(' ');
    const cols = this.stream.columns ?? 120;
    return text.length > cols - 1 ? text.slice(0, cols - 1) : text;
  }
}
