import { InvalidArgumentError } from '@virtmig/core';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { type CpuMetric, summarizeBy, trialCpuMean } from './cells.js';
import type { MigrationTimeline, TrialRecord } from './records.js';
import { capped } from './study-tables.js';

/** A Vega-Lite specification (kept loose: vega-lite's own types are large and change between majors). */
export type VegaLiteSpec = Record<string, unknown>;

const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.5 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' },
  view: { stroke: '#ccc' },
};

/**
 * Renders a Vega-Lite spec to an SVG string in Node: compiled to Vega, run headless
 * (`renderer: 'none'`), no browser and no native canvas needed.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile({ config: CONFIG, ...spec } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Options of {@link cpuVsCapSpec}. */
export interface CpuVsCapFigureOptions {
  /** Which CPU figure to plot. Default `domainPercentOfCpu`. */
  readonly metric?: Extract<CpuMetric, 'domainPercentOfHost' | 'domainPercentOfCpu'>;
  /** Confidence level of the error bars. Default 0.95. */
  readonly level?: number;
}

/**
 * CPU usage against the cap (capped trials only): one panel per workload, one line per RAM size (dashed per vCPU
 * count), points at the means with confidence-interval whiskers, and the ideal "usage = cap" line.
 */
export function cpuVsCapSpec(records: readonly TrialRecord[], options: CpuVsCapFigureOptions = {}): VegaLiteSpec {
  const metric = options.metric ?? 'domainPercentOfCpu';
  const rows = summarizeBy(
    capped(records),
    (r) => [r.workload, r.ramMiB, r.vcpus, r.capPercent] as const,
    (r) => trialCpuMean(r, metric),
    options.level,
  ).map(({ key: [workload, ram, vcpus, cap], summary }) => ({
    workload,
    ram: `${ram} MiB`,
    ramMiB: ram,
    vcpus: `${vcpus} vCPU${vcpus === 1 ? '' : 's'}`,
    cap,
    mean: summary.mean,
    low: summary.ci?.low ?? summary.mean,
    high: summary.ci?.high ?? summary.mean,
  }));
  if (rows.length === 0) throw new InvalidArgumentError('records', 'no trials to plot');
  const unit = metric === 'domainPercentOfCpu' ? '% of one CPU' : '% of the host';
  const x = { field: 'cap', type: 'quantitative', title: 'CPU cap (% of one CPU)' };
  const color = { field: 'ram', type: 'nominal', title: 'RAM', sort: { field: 'ramMiB' } };
  return {
    title: 'Domain CPU usage vs CPU cap',
    data: { values: rows },
    facet: { column: { field: 'workload', type: 'nominal', title: null } },
    spec: {
      width: 220,
      height: 200,
      layer: [
        {
          mark: { type: 'line', strokeDash: [2, 3], color: '#999' },
          encoding: { x, y: { field: 'cap', type: 'quantitative' } },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: { field: 'mean', type: 'quantitative', title: `Domain CPU usage (${unit})` },
            color,
            strokeDash: { field: 'vcpus', type: 'nominal', title: 'vCPUs' },
          },
        },
        {
          mark: { type: 'rule' },
          encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
        },
      ],
    },
  };
}

/** Total migration time and downtime per workload: bars at the means with confidence-interval whiskers. */
export function migrationSpec(records: readonly TrialRecord[], level?: number): VegaLiteSpec {
  const migrated = records.filter((r) => r.migration !== undefined);
  const rows = [
    ...summarizeBy(
      migrated,
      (r) => r.workload,
      (r) => (r.migration?.totalTimeMs ?? 0) / 1000,
      level,
    ).map((g) => ({
      metric: 'Total migration time',
      workload: g.key,
      s: g.summary,
    })),
    ...summarizeBy(
      migrated,
      (r) => r.workload,
      (r) => (r.migration?.downtimeMs === undefined ? undefined : r.migration.downtimeMs / 1000),
      level,
    ).map((g) => ({ metric: 'Downtime', workload: g.key, s: g.summary })),
  ].map(({ metric, workload, s }) => ({
    metric,
    workload,
    mean: s.mean,
    low: s.ci?.low ?? s.mean,
    high: s.ci?.high ?? s.mean,
  }));
  if (rows.length === 0) throw new InvalidArgumentError('records', 'no migrated trials to plot');
  const x = { field: 'workload', type: 'nominal', title: null, axis: { labelAngle: 0 } };
  return {
    title: 'Total migration time and downtime per workload (mean, 95 % CI)',
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['Total migration time', 'Downtime'] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 240,
      height: 220,
      layer: [
        {
          mark: { type: 'bar', color: '#4c78a8', width: { band: 0.6 } },
          encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'Seconds' } },
        },
        {
          mark: { type: 'errorbar', ticks: true, size: 14, color: '#222' },
          encoding: { x, y: { field: 'low', type: 'quantitative', title: 'Seconds' }, y2: { field: 'high' } },
        },
      ],
    },
  };
}

/** Title of the timeline's dirty-rate panel; values are in MB/s (10^6 bytes per second). */
const DIRTY_PANEL = 'Dirty rate (MB/s)';
const MB = 1e6;

/**
 * A migration timeline like QEMU's guestperf plots: transferred and remaining data, dirty rate
 * and host CPU use against time, with a vertical marker where each pre-copy iteration begins.
 */
export function timelineSpec(timeline: MigrationTimeline): VegaLiteSpec {
  const s = timeline.samples;
  if (s.length === 0) throw new InvalidArgumentError('timeline.samples', 'no samples to plot');
  const MiB = 1024 * 1024;
  const data = s.flatMap((p) => {
    const t = p.tMs / 1000;
    return [
      { t, panel: 'Data (MiB)', series: 'transferred', value: p.transferredBytes / MiB },
      { t, panel: 'Data (MiB)', series: 'remaining', value: p.remainingBytes / MiB },
      { t, panel: DIRTY_PANEL, series: 'dirty rate', value: p.dirtyRateBps / MB },
      { t, panel: 'Host CPU (%)', series: 'host CPU', value: p.hostCpuPercent },
    ];
  });
  const markers: { t: number; label: string }[] = [];
  s.forEach((p, i) => {
    const prev = s[i - 1];
    if (prev !== undefined && p.iteration > prev.iteration)
      markers.push({ t: p.tMs / 1000, label: `it ${p.iteration}` });
  });
  const x = { field: 't', type: 'quantitative', title: 'Time since migration start (s)' };
  // An all-zero series gives Vega a [0, 0] domain, labelled `0.000000`: the dirty-rate axis starts
  // at 0 and reaches at least 1 MB/s, and its labels drop trailing zeros.
  const dirtyMax = Math.max(...s.map((p) => p.dirtyRateBps / MB));
  const yScale = (name: string) =>
    name === DIRTY_PANEL
      ? { scale: { domain: [0, Math.max(1, dirtyMax)], nice: true }, axis: { format: ',~r', tickCount: 5 } }
      : {};
  const panel = (name: string, colorRange: string[]) => ({
    width: 560,
    height: 120,
    layer: [
      {
        data: { values: data.filter((d) => d.panel === name) },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: name, ...yScale(name) },
          color: { field: 'series', type: 'nominal', title: null, scale: { range: colorRange } },
        },
      },
      {
        data: { values: markers },
        mark: { type: 'rule', color: '#888', strokeDash: [4, 3] },
        encoding: { x },
      },
    ],
  });
  return {
    title: `Migration timeline: ${timeline.workload} (trial ${timeline.trial})`,
    vconcat: [
      panel('Data (MiB)', ['#4c78a8', '#f58518']),
      panel(DIRTY_PANEL, ['#e45756']),
      panel('Host CPU (%)', ['#54a24b']),
    ],
    resolve: { scale: { color: 'independent' } },
  };
}
