// Workload scores on this host and inside a TCG guest on the local lab (issue 4, part 5).
// Each workload runs BENCH_RUNS times for BENCH_SECONDS on the host (runOnHost, not pinned), then in
// a 1-vCPU lab guest (own prefix vmwlbench, taken down at the end) whose init runs it in a loop; the
// guest's results are the `WL {json}` lines of its serial log, parsed by the same strict parser.
// The host and the guest runs of one workload follow each other, so both see about the same
// neighbours on this shared machine; the load average is printed with the table.
// Ends with: workloads-bench: dhrystone-guest/host=<r> linpack-guest/host=<r> livermore-guest/host=<r>
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildWorkloads, createWorkload, runOnHost } from '@virtmig/workloads';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const PREFIX = process.env.BENCH_LAB_PREFIX ?? 'vmwlbench';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WORKLOADS = ['dhrystone', 'linpack', 'livermore'];
const virtmigBin = `${root}packages/cli/dist/src/bin.js`;

const log = (s) => process.stderr.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const lab = async (...args) =>
  (await run(`${root}scripts/lab/lab`, ['--prefix', PREFIX, ...args], { maxBuffer: 4 << 20 })).stdout;
const virtmig = async (...args) =>
  (await run(process.execPath, [virtmigBin, ...args, '--prefix', PREFIX], { maxBuffer: 4 << 20 })).stdout;
const loadavg = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** Collects `count` verified results of a workload from a guest's serial log. */
async function guestResults(workload, serialLog, count) {
  // A TCG guest runs these kernels tens of times slower, but each run is bounded by its own clock.
  const deadline = Date.now() + 120_000 + count * SECONDS * 3000;
  for (;;) {
    const text = await readFile(serialLog, 'utf8');
    const error = /^VIRTMIG ERROR.*$/m.exec(text);
    if (error) throw new Error(`guest: ${error[0]}`);
    const lines = text.split('\n').filter((l) => l.startsWith('WL {'));
    if (lines.length >= count) return lines.slice(0, count).map((l) => createWorkload(workload).parse(l.slice(3)));
    if (Date.now() > deadline) throw new Error(`only ${lines.length}/${count} results from the guest in ${serialLog}`);
    await sleep(500);
  }
}

async function main() {
  const t0 = Date.now();
  await buildWorkloads();
  await lab('down');
  const status = JSON.parse(await lab('up', '--json'));
  log(
    `lab ${PREFIX} up (${status.accel}); ${WORKLOADS.length} workloads x ${RUNS} runs of ${SECONDS} s on the host and in a guest`,
  );
  const loadBefore = await loadavg();
  const rows = [];
  try {
    for (const w of WORKLOADS) {
      const host = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await runOnHost(createWorkload(w), { seconds: SECONDS });
        host.push(r);
        log(`  host  ${w} run ${i + 1}: ${r.score.toFixed(1)} ${r.unit}`);
      }
      const name = `wlbench-${w}`;
      const g = JSON.parse(
        await virtmig(
          'guest',
          'start',
          name,
          '--on',
          'a',
          '--memory',
          '128',
          '--workload',
          w,
          '--args',
          `--seconds ${SECONDS}`,
          '--json',
        ),
      );
      let guest;
      try {
        guest = await guestResults(w, g.serialLog, RUNS);
      } finally {
        await virtmig('guest', 'stop', name);
      }
      for (const [i, r] of guest.entries()) log(`  guest ${w} run ${i + 1}: ${r.score.toFixed(1)} ${r.unit}`);
      const hs = host.map((r) => r.score);
      const gs = guest.map((r) => r.score);
      rows.push({
        w,
        unit: host[0].unit,
        host: median(hs),
        hostMin: Math.min(...hs),
        hostMax: Math.max(...hs),
        guest: median(gs),
        guestMin: Math.min(...gs),
        guestMax: Math.max(...gs),
      });
    }
  } finally {
    await lab('down');
  }
  console.log(
    `Workload scores, host vs 1-vCPU TCG guest (${RUNS} runs of ${SECONDS} s each, medians; load average ${loadBefore} before, ${await loadavg()} after)`,
  );
  console.log('| workload | unit | host median (min-max) | guest median (min-max) | guest/host |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.w} | ${r.unit} | ${fmt(r.host)} (${fmt(r.hostMin)}-${fmt(r.hostMax)}) | ${fmt(r.guest)} (${fmt(r.guestMin)}-${fmt(r.guestMax)}) | ${(r.guest / r.host).toFixed(4)} |`,
    );
  }
  console.log('');
  log(`bench took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`workloads-bench: ${rows.map((r) => `${r.w}-guest/host=${(r.guest / r.host).toFixed(4)}`).join(' ')}`);
}

await main();
