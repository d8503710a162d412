import type { StoredEnvironment } from '@virtmig/core';
import { cpuVsCapSpec, migrationSpec, renderSvg, timelineSpec } from './figures.js';
import { type CalibrateOptions, calibrateModels } from './models/calibrate.js';
import { modelErrorsTable } from './models/table.js';
import {
  type ClusterSnapshot,
  hostLoad,
  type RecommendAllOptions,
  type Recommendation,
  recommendAll,
} from './policies/index.js';
import type { MigrationTimeline, TrialRecord } from './records.js';
import { cpuVsCapTables, hostCoresTable, migrationTable } from './study-tables.js';
import { escapeHtml, toHtmlTable } from './table.js';

/** What goes into an HTML report. */
export interface ReportInput {
  /** Heading of the report (default "virtmig experiment report"). */
  readonly title?: string;
  /** The trial records the report summarizes. */
  readonly records: readonly TrialRecord[];
  /** Migration timelines to plot, one figure each. */
  readonly timelines?: readonly MigrationTimeline[];
  /** Settings of the trials the migration models are calibrated on; `false` leaves the model section out. */
  readonly model?: CalibrateOptions | false;
  /** The cluster to recommend a migration for; without it the recommendation section is left out. */
  readonly cluster?: ClusterSnapshot;
  /** Options of the recommendation section's policies. */
  readonly policyOptions?: RecommendAllOptions;
  /** A timestamp to print; left out by default so the same input gives the same bytes. */
  readonly generatedAt?: string;
  /** Confidence level (default 0.95). */
  readonly level?: number;
  /** Where the trials ran (hosts, versions, accelerator, link, virtmig's build), printed in the Method section. */
  readonly environments?: readonly StoredEnvironment[];
  /**
   * The trials ran on simulated hosts (the `fake` or libvirt `test` driver): a banner says the
   * figures are a model's, not measurements. Default: true when every environment is simulated.
   */
  readonly simulated?: boolean;
}

const CSS = `
body{font-family:Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta{color:#666;margin-top:0}
table{border-collapse:collapse;margin:1rem 0 .3rem;font-size:.9rem}
caption{text-align:left;font-weight:bold;padding-bottom:.3rem}
th,td{border:1px solid #ccc;padding:.25rem .55rem}th{background:#f3f3f3}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.empty{color:#aaa;text-align:center}
p.note{font-size:.8rem;color:#666;margin:.2rem 0 1rem}
figure{margin:1.2rem 0;overflow-x:auto}figcaption{font-size:.85rem;color:#555}
.decision{border-left:4px solid #4c78a8;background:#f5f8fc;padding:.7rem 1rem;margin:1rem 0}
.decision.none{border-color:#999;background:#f7f7f7}
.decision strong{font-size:1.05rem}
.simulated{border:2px solid #b45309;background:#fff7ed;color:#7c2d12;padding:.6rem 1rem;font-weight:bold}
`;

function environmentSection(environments: readonly StoredEnvironment[]): string {
  return environments
    .map(({ environmentId, capturedAt, environment: e }) => {
      const link =
        e.linkShaping === 'unknown'
          ? 'not known (hosts outside the local lab)'
          : e.linkShaping === 'none'
            ? 'not shaped'
            : `shaped to ${e.linkShaping.rate}, delay ${e.linkShaping.delay}`;
      const hosts = e.hosts
        .map(
          (h) =>
            `<tr><td class="text">${h.pair} ${h.role}</td><td class="text">${escapeHtml(h.uri)}</td><td class="text">${escapeHtml(h.hostname)}</td>` +
            `<td class="text">${escapeHtml(`${h.hypervisorType} ${h.hypervisorVersion}`)}</td><td class="text">${escapeHtml(h.libvirtVersion)}</td>` +
            `<td class="text">${escapeHtml(h.accelerator)}</td><td class="text">${escapeHtml(h.cpuModel)}</td><td class="num">${h.cpus}</td>` +
            `<td class="num">${Math.round(h.memoryKiB / 1024)}</td><td class="text">${escapeHtml(h.kernel ?? 'not known')}</td></tr>`,
        )
        .join('\n');
      return `<table><caption>Environment ${escapeHtml(environmentId)}${e.simulated ? ' (simulated)' : ''}, captured ${escapeHtml(capturedAt)}</caption>
<thead><tr><th class="text">Pair, role</th><th class="text">URI</th><th class="text">Host</th><th class="text">Hypervisor</th><th class="text">libvirt</th><th class="text">Accelerator</th><th class="text">CPU model</th><th class="num">CPUs</th><th class="num">Memory (MiB)</th><th class="text">Kernel</th></tr></thead><tbody>
${hosts}
</tbody></table>
<p class="note">virtmig ${escapeHtml(e.virtmigVersion)}${e.virtmigCommit ? `, commit ${escapeHtml(e.virtmigCommit)}` : ' (not from a git checkout)'}; runner ${escapeHtml(e.runner.hostname)}, kernel ${escapeHtml(e.runner.kernel)}, ${escapeHtml(e.runner.platform)}, Node ${escapeHtml(e.runner.nodeVersion)}; migration link ${escapeHtml(link)}.</p>`;
    })
    .join('\n');
}

function inlineSvg(svg: string): string {
  // Namespace declarations are URLs in form only; HTML's parser puts <svg> in the SVG namespace without them.
  return svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
}

function figure(svg: string, caption: string): string {
  return `<figure role="img" aria-label="${escapeHtml(caption)}">${inlineSvg(svg)}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function decision(r: Recommendation): string {
  const head =
    r.kind === 'migrate'
      ? `Migrate <code>${escapeHtml(r.vm)}</code> from ${escapeHtml(r.source)} to ${escapeHtml(r.destination)}`
      : 'No migration';
  return `<div class="decision${r.kind === 'migrate' ? '' : ' none'}"><strong>${head}</strong><br>${escapeHtml(r.reason)}.</div>`;
}

function recommendationSection(cluster: ClusterSnapshot, options: RecommendAllOptions | undefined): string {
  const all = recommendAll(cluster, options);
  const [study, ...others] = all as [Recommendation, ...Recommendation[]];
  const hosts = cluster.hosts
    .map(
      (h) =>
        `<tr><td class="text">${escapeHtml(h.name)}</td><td class="num">${h.cores}</td><td class="num">${hostLoad(h).toFixed(1)} %</td>` +
        `<td class="text">${escapeHtml(h.vms.map((v) => `${v.name} (${v.cpuPercent.toFixed(0)} %, ${v.ramMiB} MiB)`).join(', '))}</td></tr>`,
    )
    .join('\n');
  const rows = others
    .map(
      (r) =>
        `<tr><td class="text">${escapeHtml(r.policy)}</td><td class="text">${
          r.kind === 'migrate' ? escapeHtml(`${r.vm}: ${r.source} → ${r.destination}`) : 'no migration'
        }</td><td class="text">${escapeHtml(r.reason)}</td></tr>`,
    )
    .join('\n');
  return `<h2 id="recommendation">Recommendation</h2>
<p>The study's policy: when the domains on a host use more than ${options?.thresholdPercent ?? 65} % of its CPU, migrate the VM with the least total migration time, breaking ties on downtime.</p>
${decision(study)}
<table><caption>Cluster state</caption><thead><tr><th class="text">Host</th><th class="num">Cores</th><th class="num">CPU use</th><th class="text">VMs (CPU % of one CPU, RAM)</th></tr></thead><tbody>
${hosts}
</tbody></table>
<table><caption>What the other policies would do</caption><thead><tr><th class="text">Policy</th><th class="text">Decision</th><th class="text">Reason</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/**
 * Renders one self-contained HTML page: the recommendation and why, the study's Tables 1-5,
 * the figures as inline SVG, and every migration model's held-out errors with the one used. No scripts, no
 * external URLs: it opens the same offline, in a mail attachment or printed.
 */
export async function renderReport(input: ReportInput): Promise<string> {
  const level = input.level ?? 0.95;
  const environments = input.environments ?? [];
  const simulated = input.simulated ?? (environments.length > 0 && environments.every((e) => e.environment.simulated));
  const title = input.title ?? 'virtmig experiment report';
  const records = input.records;
  const migrated = records.some((r) => r.migration !== undefined);
  const experiments = [...new Set(records.map((r) => r.experimentId))];
  const workloads = [...new Set(records.map((r) => r.workload))];

  const tables = [
    ...cpuVsCapTables(records, { level }),
    hostCoresTable(records, { level }),
    ...(migrated ? [migrationTable(records, { level })] : []),
  ];
  const figures: string[] = [];
  if (records.length) {
    figures.push(
      figure(
        await renderSvg(cpuVsCapSpec(records, { level })),
        'Domain CPU usage against the CPU cap per workload and RAM size; whiskers: 95 % CI; dotted: usage = cap.',
      ),
    );
  }
  if (migrated) {
    figures.push(
      figure(
        await renderSvg(migrationSpec(records, level)),
        'Total migration time and downtime per workload; whiskers: 95 % CI.',
      ),
    );
  }
  for (const t of input.timelines ?? []) {
    figures.push(
      figure(
        await renderSvg(timelineSpec(t)),
        `Migration timeline of ${t.workload}, trial ${t.trial}: data sent and left, dirty rate and host CPU; dashed lines mark new pre-copy iterations.`,
      ),
    );
  }
  const modelSection =
    migrated && input.model !== false
      ? `<h2 id="model">Migration models</h2>\n${toHtmlTable(modelErrorsTable(calibrateModels(records, input.model ?? {})))}`
      : '';
  const meta = [
    `${records.length} trials`,
    `experiment${experiments.length === 1 ? '' : 's'} ${experiments.join(', ')}`,
    `workloads ${workloads.join(', ')}`,
    ...(input.generatedAt ? [`generated ${input.generatedAt}`] : []),
  ].join(' · ');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}${simulated ? ' (simulated)' : ''}</h1>
${simulated ? '<p class="simulated" id="simulated">Simulated run: the hosts were simulated (the fake or libvirt test driver), so these figures come from a model, not from measurements of real guests.</p>\n' : ''}<p class="meta">${escapeHtml(meta)}</p>
${input.cluster ? recommendationSection(input.cluster, input.policyOptions) : ''}
<h2 id="tables">Tables</h2>
${tables.map((t) => toHtmlTable(t)).join('\n')}
<h2 id="figures">Figures</h2>
${figures.join('\n')}
${modelSection}
<h2 id="method">Method</h2>
<p>Each trial contributes one value per figure (for CPU use, the mean of its samples). Cells show the mean over trials ± the half-width of the ${Math.round(level * 100)} % Student-t confidence interval (n − 1 degrees of freedom); hover a cell for n, sd and the bounds. Cells with a single trial show the mean alone.</p>
<p>The tables here, and their CSV files beside the report, are presentation tables (one cell per matrix combination, summaries, empty cells for combinations not run). For analysis, use <code>virtmig export</code>: one row per observation, units in the column names, run and environment ids on every row.</p>
${environments.length ? environmentSection(environments) : '<p>No environment was recorded for these trials (a database written before virtmig recorded environments).</p>'}
</body>
</html>
`;
}
