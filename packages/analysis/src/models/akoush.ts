import type { MigrationModel, PredictionInput } from '../prediction.js';
import { median } from '../stats.js';
import { calibrationSpreads, fittedPrecopyModel, type PrecopyCalibration, precopyRounds } from './fitted-precopy.js';
import type { ModelTrial } from './inputs.js';

/** Name of the Akoush et al. AVG model. */
export const AVG_MODEL = 'akoush-avg';
/** Name of the Akoush et al. HIST-style model. */
export const HIST_MODEL = 'akoush-hist';

const MiB = 1024 * 1024;
const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

type Shape = Pick<PrecopyCalibration, 'firstRoundBytes' | 'dirtiedBytes'>;

/**
 * Akoush et al.'s overheads: the mean of what the transfer does not explain, over all trials,
 * split into the part outside the downtime (pre- and post-migration) and the switch-over.
 */
function overheads(shape: Shape, trials: readonly ModelTrial[]): { fixedMs: number; switchOverMs: number } {
  const fixed: number[] = [];
  const switchOver: number[] = [];
  for (const t of trials) {
    if (t.outcome.kind !== 'converged') continue;
    const r = precopyRounds(shape, t.input);
    if (r.kind !== 'converges') continue;
    const lastMs = (r.stopAndCopyBytes / t.input.bandwidthBps) * 1000;
    const down = t.outcome.downtimeMs ?? lastMs;
    fixed.push(t.outcome.totalTimeMs - r.precopyMs - down);
    switchOver.push(down - lastMs);
  }
  return { fixedMs: Math.max(0, mean(fixed)), switchOverMs: Math.max(0, mean(switchOver)) };
}

function build(name: string, shape: Shape, trials: readonly ModelTrial[]): MigrationModel {
  const { fixedMs, switchOverMs } = overheads(shape, trials);
  const core = { ...shape, fixedMs: (_: PredictionInput) => fixedMs, switchOverMs };
  return fittedPrecopyModel({ name, ...core, ...calibrationSpreads(core, trials) });
}

/**
 * Akoush et al.'s AVG model ("Predicting the performance of virtual machine migration",
 * MASCOTS 2010): the guest dirties memory at a constant average rate, every round sends what
 * the previous one dirtied, and constant pre-/post-migration overheads (the means over the
 * trials) are added. The whole RAM is sent in the first round. No per-host-pair stage costs,
 * no fitted factors: the baseline the calibrated models must beat.
 */
export function fitAvg(trials: readonly ModelTrial[]): MigrationModel {
  return build(AVG_MODEL, { firstRoundBytes: (ram) => ram * MiB, dirtiedBytes: (d, s) => d * s }, trials);
}

/** Upper edges (seconds) of the round-duration bins of {@link fitHist}'s histogram; the last bin is open. */
const BIN_EDGES_S = [0.25, 0.5, 1, 2, 4, 8, 16];

function binOf(seconds: number): number {
  const i = BIN_EDGES_S.findIndex((e) => seconds <= e);
  return i === -1 ? BIN_EDGES_S.length : i;
}

/** One observation of the dirtying during a round: its length and the bytes dirtied per byte D·t. */
export interface RoundObservation {
  /** Round duration, s. */
  readonly seconds: number;
  /** Bytes dirtied during the round / (dirty rate x duration). */
  readonly fraction: number;
}

/**
 * Per-round dirtying from a trial's measured rounds: round i+1 sends what round i left dirty,
 * so at the link rate R it takes (dirtied during round i) / R.
 */
export function roundObservations(t: ModelTrial): RoundObservation[] {
  const rounds = t.record.migration?.stages.precopyRounds ?? [];
  const d = t.input.dirtyRateBps;
  if (d <= 0) return [];
  const out: RoundObservation[] = [];
  for (let i = 0; i + 1 < rounds.length; i++) {
    const a = rounds[i];
    const b = rounds[i + 1];
    if (a === undefined || b === undefined) continue;
    const seconds = (a.endMs - a.startMs) / 1000;
    const dirtied = ((b.endMs - b.startMs) / 1000) * t.input.bandwidthBps;
    if (seconds > 0) out.push({ seconds, fraction: dirtied / (d * seconds) });
  }
  return out;
}

/**
 * A HIST-style model after Akoush et al.: instead of a constant rate, the bytes a round leaves
 * dirty come from a histogram of measured rounds, binned by round length, of dirtied bytes per
 * byte the average rate would dirty (pages re-written within a round count once, so long rounds
 * dirty less than D·t: the writable working set). A round length with no observation takes the
 * nearest bin's; with no multi-round trial at all it is the AVG model. The first round sends the
 * median measured first round at the link rate (QEMU skips zero pages). Overheads as in AVG.
 */
export function fitHist(trials: readonly ModelTrial[]): MigrationModel {
  const bins = new Map<number, number[]>();
  for (const o of trials.flatMap(roundObservations)) {
    const b = binOf(o.seconds);
    bins.set(b, [...(bins.get(b) ?? []), o.fraction]);
  }
  const histogram = new Map([...bins].map(([b, xs]) => [b, median(xs)]));
  const fractionFor = (seconds: number): number => {
    if (histogram.size === 0) return 1;
    const b = binOf(seconds);
    const nearest = [...histogram.keys()].sort((x, y) => Math.abs(x - b) - Math.abs(y - b) || x - y)[0] as number;
    return histogram.get(nearest) as number;
  };
  const firsts = trials.flatMap((t) => {
    const r0 = t.record.migration?.stages.precopyRounds[0];
    return r0 ? [(((r0.endMs - r0.startMs) / 1000) * t.input.bandwidthBps) / (t.input.memoryMiB * MiB)] : [];
  });
  const memoryFactor = firsts.length ? Math.min(1.5, Math.max(0.01, median(firsts))) : 1;
  return build(
    HIST_MODEL,
    { firstRoundBytes: (ram) => ram * MiB * memoryFactor, dirtiedBytes: (d, s) => d * s * fractionFor(s) },
    trials,
  );
}
