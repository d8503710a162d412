// CPU cost of the CPU-usage samplers, side by side in one run: HostCpuSampler (/proc/stat) and
// DomainCpuSampler (one allDomainStats() call per sample over libvirt's RPC to a lab host running
// one idle guest), at several intervals. The cost is this process's CPU time (user + system, from
// process.cpuUsage) per sample; a bare timer loop at the same interval is measured too, because on
// this VM much of a sampler's cost is Node waking up from its timer. The libvirt daemon's own work
// for a DomainCpuSampler read happens in another process and is not counted here.
// BENCH_URI=URI measures DomainCpuSampler against that QEMU URI instead of a lab (no lab is started).
// Ends with: sampler-overhead: host-us=<n> domain-us=<n> domain/host=<r>, the costs above the bare
// timer at 50 ms (at 1 s the process's background work, about 2 ms/s here, drowns the difference).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QemuHypervisor } from '@virtmig/driver-qemu';
import { DomainCpuSampler, HostCpuSampler, sleepUnlessAborted } from '@virtmig/workloads';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const PREFIX = process.env.BENCH_LAB_PREFIX ?? 'vmsampbench';
const INTERVALS = (process.env.BENCH_INTERVALS ?? '10,50,200,1000').split(',').map(Number);
// Each (sampler, interval) runs this long, and for at least MIN_SAMPLES samples.
const SPAN_MS = Number(process.env.BENCH_SPAN_MS ?? 2000);
const MIN_SAMPLES = 5;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const virtmigBin = `${root}packages/cli/dist/src/bin.js`;

const log = (s) => process.stderr.write(`${s}\n`);
const lab = async (...args) =>
  (await run(`${root}scripts/lab/lab`, ['--prefix', PREFIX, ...args], { maxBuffer: 4 << 20 })).stdout;
const virtmig = async (...args) =>
  (await run(process.execPath, [virtmigBin, ...args, '--prefix', PREFIX], { maxBuffer: 4 << 20 })).stdout;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Bare timer loop: what waking up every `intervalMs` costs with no work at all. */
async function* timerLoop(intervalMs) {
  for (;;) {
    await sleepUnlessAborted(intervalMs);
    yield {};
  }
}

/** CPU microseconds of this process per sample of `iterable`, over `samples` samples. */
async function costPerSample(iterable, samples) {
  let n = 0;
  let start;
  for await (const _ of iterable) {
    // The first sample includes the iterator's set-up (first read, hostInfo); it is not counted.
    if (start === undefined) start = cpuUs();
    else if (++n >= samples) break;
  }
  return (cpuUs() - start) / n;
}

async function main() {
  let uri = process.env.BENCH_URI;
  const ownLab = uri === undefined;
  if (ownLab) {
    await lab('down');
    const status = JSON.parse(await lab('up', '--json'));
    uri = status.hosts[0].uri;
    await virtmig('guest', 'start', 'sampled', '--on', 'a', '--memory', '128', '--json');
    log(`lab ${PREFIX} up with one idle guest`);
  }
  const hv = await QemuHypervisor.open(uri, { domainType: 'qemu', memoryBalloon: false });
  const rows = [];
  try {
    for (const intervalMs of INTERVALS) {
      const samples = Math.max(MIN_SAMPLES, Math.round(SPAN_MS / intervalMs));
      const acc = { timer: [], host: [], domain: [] };
      // Alternating the order between rounds spreads any drift in the machine's load over all three.
      for (let r = 0; r < ROUNDS; r++) {
        const kinds = r % 2 === 0 ? ['timer', 'host', 'domain'] : ['domain', 'host', 'timer'];
        for (const kind of kinds) {
          const it =
            kind === 'timer'
              ? timerLoop(intervalMs)
              : kind === 'host'
                ? new HostCpuSampler({ intervalMs })
                : new DomainCpuSampler(hv, { intervalMs });
          acc[kind].push(await costPerSample(it, samples));
        }
      }
      const avg = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const row = { intervalMs, samples, timer: avg(acc.timer), host: avg(acc.host), domain: avg(acc.domain) };
      rows.push(row);
      log(
        `  ${intervalMs} ms: timer ${row.timer.toFixed(0)} us, host ${row.host.toFixed(0)} us, domain ${row.domain.toFixed(0)} us per sample`,
      );
    }
  } finally {
    await hv.close();
    if (ownLab) await lab('down');
  }
  console.log(
    `Sampler overhead: CPU time of the Node process per sample (us), ${ROUNDS} rounds x max(${MIN_SAMPLES}, ${SPAN_MS} ms) per cell; DomainCpuSampler over libvirt RPC, 1 domain`,
  );
  console.log(
    '| interval ms | bare timer | HostCpuSampler | DomainCpuSampler | host − timer | domain − timer | domain/host | domain/host above timer | HostCpuSampler % of one CPU | DomainCpuSampler % of one CPU |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const pct = (us) => ((us / (r.intervalMs * 1000)) * 100).toFixed(3);
    console.log(
      `| ${r.intervalMs} | ${r.timer.toFixed(0)} | ${r.host.toFixed(0)} | ${r.domain.toFixed(0)} | ${(r.host - r.timer).toFixed(0)} | ${(r.domain - r.timer).toFixed(0)} | ${(r.domain / r.host).toFixed(2)} | ${((r.domain - r.timer) / (r.host - r.timer)).toFixed(2)} | ${pct(r.host)} | ${pct(r.domain)} |`,
    );
  }
  console.log('');
  const at = rows.find((r) => r.intervalMs >= 50) ?? rows[rows.length - 1];
  const host = at.host - at.timer;
  const domain = at.domain - at.timer;
  console.log(
    `sampler-overhead: host-us=${host.toFixed(0)} domain-us=${domain.toFixed(0)} domain/host=${(domain / host).toFixed(2)} (above a bare timer, at ${at.intervalMs} ms)`,
  );
}

await main();
