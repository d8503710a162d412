#!/usr/bin/env node
// Reproduces the study's CPU measurements on the local lab (issue 4, part 4).
// (a) Tables 1-3: domain CPU usage against the CPU cap (25 %..200 %) for a 1-vCPU and a 2-vCPU TCG
//     guest running each workload; expected min(cap, 100 x vCPUs) / host cores, in % of the host.
// (b) Table 4: host CPU usage of each workload run on the host, confined to 1 and to 2 cores.
// Markdown tables on stdout (and --out FILE), every point as JSON with --json FILE, progress on stderr.
//
// A single-threaded workload keeps only one vCPU busy, and the lab guest's init runs one copy of
// the workload it is given. So the guests here boot an image with one extra file, `parallel`, a
// busybox-sh launcher that runs N copies side by side; init runs it in its loop like any workload.
//
// The machine is shared: other people's VMs and tests compete for its 2 cores, and a capped domain
// gets min(cap, what the scheduler leaves it). --shares raises the cpu.shares of the lab host's
// cgroup (and of a cgroup holding this process for part b) while measuring, so the cap rather than
// the neighbours bounds the domain; the original value is put back at the end. 0 leaves them alone.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { QemuHypervisor } from '@virtmig/driver-qemu';
import { createWorkload, DomainCpuSampler, HostCpuSampler, runOnHost } from '@virtmig/workloads';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const log = (s) => process.stderr.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const csv = (s, what) =>
  s.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isFinite(n) || x.trim() === '') throw new Error(`--${what}: not a number: ${JSON.stringify(x)}`);
    return n;
  });

const { values: o } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'dhrystone,linpack,livermore' },
    vcpus: { type: 'string', default: '1,2' },
    caps: { type: 'string', default: '25,50,75,100,125,150,175,200' },
    window: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1.5' },
    'interval-ms': { type: 'string', default: '1000' },
    memory: { type: 'string', default: '128' },
    'host-seconds': { type: 'string', default: '4' },
    'host-cores': { type: 'string', default: '1,2' },
    'skip-host': { type: 'boolean', default: false },
    'skip-guests': { type: 'boolean', default: false },
    prefix: { type: 'string', default: process.env.VIRTMIG_CAP_LAB_PREFIX ?? 'vmcap' },
    'reuse-lab': { type: 'boolean', default: false },
    shares: { type: 'string', default: '65536' },
    out: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (o.help) {
  console.log(`usage: node scripts/cpu-vs-cap.mjs [--workloads a,b] [--vcpus 1,2] [--caps 25,50,...] [--window S] [--warmup S]
  [--interval-ms MS] [--memory MiB] [--host-seconds S] [--host-cores 1,2] [--skip-host] [--skip-guests]
  [--prefix NAME] [--reuse-lab] [--shares N|0] [--out FILE.md] [--json FILE.json]`);
  process.exit(0);
}
const WORKLOADS = o.workloads.split(',');
for (const w of WORKLOADS) createWorkload(w);
const VCPUS = csv(o.vcpus, 'vcpus');
const CAPS = csv(o.caps, 'caps');
const WINDOW_S = Number(o.window);
const WARMUP_S = Number(o.warmup);
const INTERVAL_MS = Number(o['interval-ms']);
const MEMORY = Number(o.memory);
const HOST_SECONDS = Number(o['host-seconds']);
const HOST_CORES = csv(o['host-cores'], 'host-cores');
const SHARES = Number(o.shares);
const CPU_CGROUP = '/sys/fs/cgroup/cpu';

const lab = async (...args) =>
  (await run(`${root}scripts/lab/lab`, ['--prefix', o.prefix, ...args], { maxBuffer: 4 << 20 })).stdout;
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const f1 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));

/** The launcher packed next to the workloads: `parallel N WORKLOAD ARGS...` runs N copies and waits. */
const PARALLEL = `#!/bin/sh
# Runs N copies of a packed workload side by side (one per vCPU) and waits for all of them.
n=$1; w=$2; shift 2
i=0
while [ "$i" -lt "$n" ]; do
	"/virtmig/bin/$w" "$@" &
	i=$((i + 1))
done
wait
`;

/** Builds (or reuses, by content hash) the lab guest image with the workloads plus `parallel`. */
async function guestImage() {
  await run('make', ['-s', '-C', `${root}native/workloads`]);
  const dir = `${root}.cache/cpu-vs-cap/bin`;
  await mkdir(dir, { recursive: true });
  for (const w of ['dhrystone', 'linpack', 'livermore', 'dirtier'])
    await copyFile(`${root}native/build/bin/${w}`, join(dir, w));
  await writeFile(join(dir, 'parallel'), PARALLEL, { mode: 0o755 });
  const { stdout } = await run(`${root}scripts/guest/build-guest`, ['--json', '--workloads-dir', dir], {
    maxBuffer: 1 << 20,
  });
  const image = JSON.parse(stdout);
  if (!image.workloads.includes('parallel')) throw new Error('build-guest did not pack the parallel launcher');
  return image;
}

/** Sets cpu.shares of a cpu-controller cgroup and returns a function that puts the old value back. */
async function boostShares(cgroupDir, shares) {
  const file = join(cgroupDir, 'cpu.shares');
  const old = (await readFile(file, 'utf8')).trim();
  await writeFile(file, String(shares));
  return () => writeFile(file, old).catch(() => undefined);
}

/** Polls a file until `pred(text)` holds; resolves to the text. */
async function waitForLog(path, pred, timeoutMs, what) {
  const t0 = Date.now();
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (pred(text)) return text;
    if (/^VIRTMIG ERROR/m.test(text)) throw new Error(`guest: ${/^VIRTMIG ERROR.*$/m.exec(text)[0]}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} in ${path}`);
    await sleep(200);
  }
}

/** Sum of vcpu.N.time (ns) in one domain's bulk stats. */
const vcpuTimeNs = (fields) =>
  Object.entries(fields).reduce((s, [k, v]) => (/^vcpu\.\d+\.time$/.test(k) ? s + Number(v) : s), 0);

/**
 * One cap point: DomainCpuSampler over the window (whole domain, cgroup cpu.time), the vCPU threads'
 * own time from the bulk stats at both ends (what the cap limits), and the host's busy share.
 */
async function measurePoint(hv, name) {
  const ac = new AbortController();
  const host = [];
  const hostLoop = (async () => {
    for await (const s of new HostCpuSampler({ intervalMs: INTERVAL_MS, signal: ac.signal })) host.push(s.totalPercent);
  })();
  const statsOf = async () => (await hv.allDomainStats()).find((s) => s.name === name);
  const before = await statsOf();
  const t0 = process.hrtime.bigint();
  const samples = [];
  const want = Math.max(1, Math.round((WINDOW_S * 1000) / INTERVAL_MS));
  for await (const s of new DomainCpuSampler(hv, { intervalMs: INTERVAL_MS, domains: [name] })) {
    const d = s.domains.find((x) => x.name === name);
    if (d) samples.push(d.percentOfOneCpu);
    if (samples.length >= want) break;
  }
  const after = await statsOf();
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  ac.abort();
  await hostLoop;
  const pct = mean(samples);
  return {
    samples,
    measuredPctOneCpu: pct,
    sdPctOneCpu: sd(samples),
    vcpuPctOneCpu: ((vcpuTimeNs(after.fields) - vcpuTimeNs(before.fields)) / elapsedNs) * 100,
    hostBusyPct: host.length ? mean(host) : Number.NaN,
  };
}

async function guestSweep(status, image, hostCpus) {
  const [A] = status.hosts;
  const hv = await QemuHypervisor.open(A.uri, { domainType: status.domainType, memoryBalloon: false });
  const points = [];
  const guestResults = [];
  let restore;
  try {
    if (SHARES > 0) restore = await boostShares(join(CPU_CGROUP, `virtmig-${o.prefix}-a`), SHARES);
    for (const workload of WORKLOADS) {
      for (const vcpus of VCPUS) {
        const name = `cap-${workload}-${vcpus}v`;
        const serialLog = join(status.stateDir, 'guests', `${name}.log`);
        await mkdir(join(status.stateDir, 'guests'), { recursive: true });
        await writeFile(serialLog, '');
        // Each run of the workload is 10 s of guest time, so verified results keep arriving while
        // the caps change; the launcher restarts all copies together.
        const cmdline = `console=ttyS0 quiet virtmig.workload=parallel virtmig.args="${vcpus} ${workload} --seconds 10"`;
        await hv.defineDomain({
          name,
          memoryMiB: MEMORY,
          vcpus,
          kernel: image.kernel,
          initrd: image.initrd,
          cmdline,
          serialLog,
        });
        try {
          const t0 = Date.now();
          await hv.startDomain(name);
          await waitForLog(serialLog, (t) => /^VIRTMIG WORKLOAD parallel/m.test(t), 180_000, 'the workload start');
          log(`${name}: booted, workload running after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
          for (const cap of CAPS) {
            await hv.setCpuCap(name, cap);
            await sleep(WARMUP_S * 1000);
            const m = await measurePoint(hv, name);
            const expectedPctOneCpu = Math.min(cap, 100 * vcpus);
            const p = {
              workload,
              vcpus,
              cap,
              expectedPctOneCpu,
              expectedPctHost: expectedPctOneCpu / hostCpus,
              ...m,
              measuredPctHost: m.measuredPctOneCpu / hostCpus,
              vcpuPctHost: m.vcpuPctOneCpu / hostCpus,
              othersPctHost: m.hostBusyPct - m.measuredPctOneCpu / hostCpus,
            };
            points.push(p);
            log(
              `  cap ${String(cap).padStart(3)}%: domain ${f1(p.measuredPctOneCpu)}% of one CPU (sd ${f1(p.sdPctOneCpu)}), vCPUs ${f1(p.vcpuPctOneCpu)}, expected ${expectedPctOneCpu}; host busy ${f1(p.hostBusyPct)}%`,
            );
          }
          const text = await readFile(serialLog, 'utf8');
          const results = text.split('\n').filter((l) => l.startsWith('WL {'));
          let verified = 0;
          for (const line of results) if (createWorkload(workload).parse(line.slice(3)).verified) verified++;
          guestResults.push({ workload, vcpus, results: results.length, verified });
        } finally {
          await hv.destroyDomain(name).catch(() => undefined);
          await hv.undefineDomain(name).catch(() => undefined);
        }
      }
    }
  } finally {
    await restore?.();
    await hv.close();
  }
  return { points, guestResults };
}

/**
 * Table 4: each workload on the host, confined to N cores with taskset. Its own CPU time over the
 * wall time is its usage; against the N cores it may use that is the usage of an N-core host.
 */
async function hostRuns(hostCpus) {
  const rows = [];
  let cgroup;
  let restore;
  const ownCgroup = (await readFile('/proc/self/cgroup', 'utf8'))
    .split('\n')
    .find((l) => /^\d+:cpu:/.test(l))
    ?.split(':')[2];
  if (SHARES > 0 && ownCgroup !== undefined) {
    // This process (and so the workloads it starts) moves into a boosted child of its own cpu cgroup.
    cgroup = join(CPU_CGROUP, ownCgroup, `virtmig-cpu-vs-cap-${process.pid}`);
    await mkdir(cgroup);
    await writeFile(join(cgroup, 'cpu.shares'), String(SHARES));
    await writeFile(join(cgroup, 'cgroup.procs'), String(process.pid));
    restore = async () => {
      await writeFile(join(CPU_CGROUP, ownCgroup, 'cgroup.procs'), String(process.pid));
      await rmdir(cgroup);
    };
  }
  try {
    for (const workload of WORKLOADS) {
      for (const n of HOST_CORES) {
        if (n > hostCpus) continue;
        // The highest-numbered cores, so a 1-core run stays off CPU 0 where most interrupts land.
        const cores = Array.from({ length: n }, (_, i) => hostCpus - n + i);
        const ac = new AbortController();
        const perCore = [];
        const sampler = (async () => {
          for await (const s of new HostCpuSampler({ intervalMs: 500, signal: ac.signal })) {
            perCore.push(mean(s.perCore.filter((c) => cores.includes(c.cpu)).map((c) => c.percent)));
          }
        })();
        let r;
        try {
          r = await runOnHost(createWorkload(workload), { seconds: HOST_SECONDS }, { cores });
        } finally {
          ac.abort();
          await sampler;
        }
        const cpuSeconds = Number(r.raw.cpu_seconds);
        const row = {
          workload,
          cores: n,
          expectedPctHost: 100 / n,
          workloadPctHost: (cpuSeconds / r.seconds / n) * 100,
          coresBusyPct: perCore.length ? mean(perCore) : Number.NaN,
          score: r.score,
          unit: r.unit,
        };
        rows.push(row);
        log(
          `host ${workload} on ${n} core(s) [${cores}]: workload ${f1(row.workloadPctHost)}% of those cores, busy ${f1(row.coresBusyPct)}%, ${r.score.toFixed(0)} ${r.unit}`,
        );
      }
    }
  } finally {
    await restore?.();
  }
  return rows;
}

function markdown({ points, guestResults, host, hostCpus, loadavg }) {
  const out = [];
  out.push(
    `Host: ${hostCpus} CPUs, TCG guests, ${MEMORY} MiB, window ${WINDOW_S} s after ${WARMUP_S} s warm-up, sampled every ${INTERVAL_MS} ms; cpu.shares boost ${SHARES || 'off'}; load average at start ${loadavg}.`,
  );
  out.push('');
  WORKLOADS.forEach((w, i) => {
    const mine = points.filter((p) => p.workload === w);
    if (!mine.length) return;
    out.push(
      `Table ${i + 1}: ${w}, domain CPU usage in % of the host (${hostCpus} CPUs) against the cap (% of one CPU)`,
    );
    out.push('');
    const vs = VCPUS.filter((v) => mine.some((p) => p.vcpus === v));
    out.push(
      `| cap % | ${vs.map((v) => `${v} vCPU expected | ${v} vCPU measured (sd) | ${v} vCPU threads only`).join(' | ')} |`,
    );
    out.push(`|---|${vs.map(() => '---|---|---').join('|')}|`);
    for (const cap of CAPS) {
      const cells = vs.map((v) => {
        const p = mine.find((x) => x.vcpus === v && x.cap === cap);
        return p
          ? `${f1(p.expectedPctHost)} | ${f1(p.measuredPctHost)} (${f1(p.sdPctOneCpu / hostCpus)}) | ${f1(p.vcpuPctHost)}`
          : '- | - | -';
      });
      out.push(`| ${cap} | ${cells.join(' | ')} |`);
    }
    const others = mine.map((p) => p.othersPctHost).filter(Number.isFinite);
    const gr = guestResults.filter((g) => g.workload === w);
    out.push('');
    out.push(
      `Other load on the host meanwhile: ${f1(Math.min(...others))}-${f1(Math.max(...others))} % of the host. Guest results: ${gr.map((g) => `${g.vcpus} vCPU ${g.verified}/${g.results} verified`).join(', ')}.`,
    );
    out.push('');
  });
  if (host.length) {
    out.push(`Table 4: host CPU usage of each workload confined to N cores (% of an N-core host)`);
    out.push('');
    out.push(
      '| workload | cores | expected % | workload CPU time / wall % | busy % of those cores (all processes) | score |',
    );
    out.push('|---|---|---|---|---|---|');
    for (const r of host) {
      out.push(
        `| ${r.workload} | ${r.cores} | ${f1(r.expectedPctHost)} | ${f1(r.workloadPctHost)} | ${f1(r.coresBusyPct)} | ${r.score.toFixed(0)} ${r.unit} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

async function main() {
  const t0 = Date.now();
  const loadavg = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  const hostCpus = (await readFile('/proc/stat', 'utf8')).split('\n').filter((l) => /^cpu\d+ /.test(l)).length;
  let points = [];
  let guestResults = [];
  let host = [];
  if (!o['skip-host']) host = await hostRuns(hostCpus);
  if (!o['skip-guests']) {
    const image = await guestImage();
    let status;
    if (o['reuse-lab']) status = JSON.parse(await lab('status', '--json'));
    else {
      await lab('down');
      status = JSON.parse(await lab('up', '--json'));
    }
    if (status.state !== 'running') throw new Error(`lab ${o.prefix} is not running`);
    log(
      `lab ${o.prefix} up (${status.accel}); ${WORKLOADS.length} workloads x ${VCPUS.length} guests x ${CAPS.length} caps`,
    );
    try {
      ({ points, guestResults } = await guestSweep(status, image, hostCpus));
    } finally {
      if (!o['reuse-lab']) await lab('down');
    }
  }
  const md = markdown({ points, guestResults, host, hostCpus, loadavg });
  console.log(md);
  if (o.out) await writeFile(o.out, `${md}\n`);
  if (o.json)
    await writeFile(
      o.json,
      `${JSON.stringify({ hostCpus, loadavg, shares: SHARES, windowS: WINDOW_S, points, guestResults, host }, null, 1)}\n`,
    );
  log(`cpu-vs-cap took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
