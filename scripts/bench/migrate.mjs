// Migration benchmark on the local lab (own prefix vmqbench; taken down at the end).
// 1. The same 128 MiB guest migrated back and forth, alternating virtmig's QemuHypervisor.migrate
//    and `virsh migrate --live` with the same options (migrate URI, nothing else); each side
//    opens its connections inside the timed section, as virsh does. Prints the wall-time ratio.
// 2. A sweep of guest RAM x dirty rate (the guest's dirtier workload), each migrated once over
//    the unshaped veth and once with the link shaped to 1 Gb/s; total time and downtime.
// Ends with: migrate-bench: virtmig/virsh=<r> downtime-ms-virtmig=<n> downtime-ms-virsh=<n>
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QemuHypervisor } from '@virtmig/driver-qemu';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const PREFIX = process.env.BENCH_LAB_PREFIX ?? 'vmqbench';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const RAMS = (process.env.BENCH_RAMS ?? '128,256,512').split(',').map(Number);
const RATES = (process.env.BENCH_RATES ?? '0,32,128').split(',').map(Number);
// BENCH_SWEEP=0 runs only the virtmig-vs-virsh comparison.
const SWEEP = process.env.BENCH_SWEEP !== '0';
const virtmigBin = `${root}packages/cli/dist/src/bin.js`;

const log = (s) => process.stderr.write(`${s}\n`);
const lab = async (...args) =>
  (await run(`${root}scripts/lab/lab`, ['--prefix', PREFIX, ...args], { maxBuffer: 4 << 20 })).stdout;
const virtmig = async (...args) =>
  (await run(process.execPath, [virtmigBin, ...args, '--prefix', PREFIX], { maxBuffer: 4 << 20 })).stdout;
const virsh = async (uri, args) => (await run('virsh', ['-q', '-c', uri, ...args], { maxBuffer: 4 << 20 })).stdout;
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const downtimeOf = (text) => Number(/^Total downtime:\s+(\d+)/m.exec(text)?.[1] ?? Number.NaN);

async function virtmigMigrate(src, dst, name, o, extra = {}) {
  const t0 = performance.now();
  const a = await QemuHypervisor.open(src.uri);
  const b = await QemuHypervisor.open(dst.uri);
  try {
    const r = await a.migrate(name, b, { migrateUri: `tcp://${dst.address}`, ...o, ...extra });
    return { wallMs: performance.now() - t0, downtimeMs: r.downtimeMs, totalMs: r.totalTimeMs, result: r };
  } finally {
    await a.close();
    await b.close();
  }
}

async function virshMigrate(src, dst, name) {
  const t0 = performance.now();
  await virsh(src.uri, ['migrate', '--live', name, dst.uri, '--migrateuri', `tcp://${dst.address}`]);
  const wallMs = performance.now() - t0;
  return { wallMs, downtimeMs: downtimeOf(await virsh(dst.uri, ['domjobinfo', name, '--completed'])) };
}

async function main() {
  const t0 = performance.now();
  await lab('down');
  const status = JSON.parse(await lab('up', '--json'));
  const [A, B] = status.hosts;
  log(
    `lab ${PREFIX} up (${status.accel}); ${ROUNDS} rounds of virtmig vs virsh, then a ${RAMS.length}x${RATES.length} sweep`,
  );
  try {
    // Part 1: virtmig vs virsh, same guest, alternating tools and directions.
    const name = 'bench-ab';
    await virtmig('guest', 'start', name, '--on', 'a', '--memory', '128', '--json');
    let where = [A, B];
    const ours = [];
    const theirs = [];
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? ['virtmig', 'virsh'] : ['virsh', 'virtmig'];
      for (const tool of order) {
        const [src, dst] = where;
        const m = tool === 'virtmig' ? await virtmigMigrate(src, dst, name, {}) : await virshMigrate(src, dst, name);
        (tool === 'virtmig' ? ours : theirs).push(m);
        log(
          `  round ${i + 1} ${tool.padEnd(7)} ${src.name}->${dst.name}: wall ${m.wallMs.toFixed(0)} ms, downtime ${m.downtimeMs} ms`,
        );
        where = [dst, src];
      }
    }
    await virtmig('guest', 'stop', name);
    const ratio = median(ours.map((m) => m.wallMs)) / median(theirs.map((m) => m.wallMs));
    const dtOurs = median(ours.map((m) => m.downtimeMs));
    const dtTheirs = median(theirs.map((m) => m.downtimeMs));
    console.log('virtmig vs virsh (128 MiB idle guest, unshaped veth, median of %d each)', ROUNDS);
    console.log(`| tool | wall ms (median) | wall ms (min-max) | downtime ms (median) |`);
    console.log('|---|---|---|---|');
    for (const [tool, ms] of [
      ['virtmig', ours],
      ['virsh', theirs],
    ]) {
      const w = ms.map((m) => m.wallMs);
      console.log(
        `| ${tool} | ${median(w).toFixed(0)} | ${Math.min(...w).toFixed(0)}-${Math.max(...w).toFixed(0)} | ${median(ms.map((m) => m.downtimeMs))} |`,
      );
    }
    console.log('');

    // Part 2: RAM x dirty rate, unshaped then 1 Gb/s.
    const rows = [];
    for (const ram of SWEEP ? RAMS : []) {
      for (const rate of RATES) {
        const g = `bench-${ram}-${rate}`;
        const wss = Math.min(Math.floor(ram / 2), 128);
        const wl =
          rate > 0 ? ['--workload', 'dirtier', '--args', `--wss-mb ${wss} --rate-mbps ${rate} --seconds 100000`] : [];
        await virtmig('guest', 'start', g, '--on', 'a', '--memory', String(ram), ...wl);
        let pair = [A, B];
        for (const shaped of [false, true]) {
          if (shaped) await lab('shape', '--rate', '1gbit');
          else await lab('shape', '--clear');
          const [src, dst] = pair;
          let row;
          try {
            const m = await virtmigMigrate(src, dst, g, { timeoutMs: 60_000 }, { heartbeat: true });
            const r = m.result;
            row = {
              ram,
              rate,
              link: shaped ? '1 Gb/s' : 'veth',
              total: r.totalTimeMs,
              libvirtTotal: r.reportedTotalTimeMs,
              downtime: r.downtimeMs,
              hbGap: r.heartbeat?.hostGapMs,
              iterations: r.iterations,
              mib: r.dataTransferredBytes / 1048576,
              dirty: (r.dirtyRateBps ?? 0) / 1048576,
            };
            pair = [dst, src];
          } catch (e) {
            row = { ram, rate, link: shaped ? '1 Gb/s' : 'veth', error: e.code ?? String(e) };
          }
          rows.push(row);
          log(`  ${JSON.stringify(row)}`);
        }
        await lab('shape', '--clear');
        await virtmig('guest', 'stop', g);
      }
    }
    if (SWEEP) {
      console.log('RAM x dirty rate sweep (virtmig, one migration per cell, TCG guests)');
      console.log(
        '| RAM MiB | dirty MiB/s (set) | link | total ms (virtmig) | total ms (libvirt) | downtime ms (libvirt) | heartbeat gap ms | passes | MiB sent |',
      );
      console.log('|---|---|---|---|---|---|---|---|---|');
      for (const r of rows) {
        if (r.error) console.log(`| ${r.ram} | ${r.rate} | ${r.link} | ${r.error} | | | | | |`);
        else
          console.log(
            `| ${r.ram} | ${r.rate} | ${r.link} | ${r.total} | ${r.libvirtTotal ?? '-'} | ${r.downtime ?? '-'} | ${r.hbGap ?? '-'} | ${r.iterations ?? '-'} | ${r.mib.toFixed(0)} |`,
          );
      }
      console.log('');
    }
    log(`bench took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    console.log(
      `migrate-bench: virtmig/virsh=${ratio.toFixed(3)} downtime-ms-virtmig=${Math.round(dtOurs)} downtime-ms-virsh=${Math.round(dtTheirs)}`,
    );
  } finally {
    await lab('down');
  }
}

await main();
