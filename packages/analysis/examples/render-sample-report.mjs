// Writes a sample report from the package's fixed synthetic data, so a person can look at it:
//   npx tsc -b packages/analysis && node packages/analysis/examples/render-sample-report.mjs [out.html]
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderReport, sampleCluster, sampleTimeline, sampleTrials } from '../dist/src/index.js';

const out = resolve(process.argv[2] ?? 'virtmig-sample-report.html');
const records = sampleTrials();
const html = await renderReport({
  title: 'virtmig sample report (synthetic data)',
  records,
  timelines: [sampleTimeline()],
  // The sample's migrations stop after one round, as a 30 s downtime budget allows.
  model: { maxDowntimeMs: 30_000 },
  cluster: sampleCluster(records),
});
await writeFile(out, html);
console.log(`${out} (${html.length} bytes)`);
