// The study's Table 5 on the xenlab testbed: a 128 MiB PV domU whose disk is the LIO LUN runs
// Dhrystone, Linpack or Livermore and is live-migrated between the two Xen hosts over the
// migration link shaped to 1 Gb/s, BENCH_XEN_RUNS times each (alternating direction). Total
// time is virtmig's (around virDomainMigrate3); downtime is the host-stamped heartbeat gap
// (libxl reports none). Printed beside the study's figures and the pre-copy model.
// Uses a running xenlab, or brings one up and takes it down at the end.
// Ends with: xen-table5: dhrystone-total-s=<n> dhrystone-down-ms=<n> ... livermore-down-ms=<n>
import { predictPrecopy } from '@virtmig/analysis';
import {
  ConsoleFollower,
  ensureSharedLun,
  hostOf,
  openBoth,
  pvDomain,
  removeEverywhere,
  xenlab,
  xenlabStatus,
} from '../xenlab/harness.mjs';

const RUNS = Number(process.env.BENCH_XEN_RUNS ?? 2);
const MEMORY_MIB = Number(process.env.BENCH_XEN_MEMORY_MIB ?? 128);
const RATE = process.env.BENCH_XEN_RATE ?? '1gbit';
const WORKLOADS = ['dhrystone', 'linpack', 'livermore'];
// The study (Xen, 1 Gb/s, iSCSI): total migration time and downtime of its three workloads.
const STUDY = { totalS: '63-64', downS: '18-28' };

const log = (s) => process.stderr.write(`${s}\n`);
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const wasUp = (await xenlabStatus()).state === 'running';
const t0 = Date.now();
const status = wasUp ? await xenlabStatus() : JSON.parse(await xenlab('up', '--json'));
if (!wasUp) log(`xenlab up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
const hosts = await openBoth(status);
const rows = {};
try {
  await ensureSharedLun(status);
  await xenlab('shape', '--rate', RATE);
  for (const workload of WORKLOADS) {
    const name = `xb-${workload}-${process.pid}`;
    const tty = new ConsoleFollower(status, name);
    const runs = [];
    try {
      await hosts[0].defineDomain(pvDomain(name, { workload, disk: true, memoryMiB: MEMORY_MIB }));
      await hosts[0].startDomain(name);
      await tty.waitFor(/^WL /);
      for (let i = 0; i < RUNS; i++) {
        const [src, dst, dstName] = i % 2 === 0 ? [hosts[0], hosts[1], 'xen-b'] : [hosts[1], hosts[0], 'xen-a'];
        const r = await src.migrate(name, dst, {
          live: true,
          migrateUri: `tcp://${hostOf(status, dstName).migrationAddress}`,
          heartbeatLog: async () => tty.heartbeatLog(),
        });
        log(
          `${workload} run ${i + 1}: total ${r.totalTimeMs.toFixed(0)} ms, downtime ${r.downtimeMs} ms (${r.downtimeSource})`,
        );
        runs.push(r);
        // Let the guest settle on its new host before migrating back.
        await tty.waitFor(new RegExp(`^HB ${Math.max(...tty.heartbeatSeqs()) + 10} `), 120_000);
      }
    } finally {
      tty.stop();
      await removeEverywhere(hosts, name);
    }
    rows[workload] = {
      totalS: median(runs.map((r) => r.totalTimeMs)) / 1000,
      downMs: median(runs.map((r) => r.downtimeMs)),
    };
  }
} finally {
  await xenlab('shape', '--clear').catch(() => undefined);
  for (const h of hosts) await h.close();
  if (!wasUp) await xenlab('down');
}

// CPU-bound workloads dirty little memory: the model's lower bound is one full copy of the
// guest's RAM at the link rate (lambda = 0), plus QEMU's 300 ms stop-and-copy threshold.
const rateBps = (Number.parseFloat(RATE) * { k: 1e3, m: 1e6, g: 1e9 }[RATE.replace(/^[\d.]+/, '')[0]]) / 8;
const model = predictPrecopy({ memoryBytes: MEMORY_MIB * 1024 * 1024, bandwidthBps: rateBps, dirtyRateBps: 0 });
const modelText =
  model.kind === 'converges'
    ? `${(model.totalTimeMs / 1000).toFixed(2)} s / ${model.downtimeMs.toFixed(0)} ms`
    : model.reason;

const pad = (s, n) => String(s).padEnd(n);
console.log(
  `Table 5 on the xenlab (Xen 4.17 under QEMU ${status.accel}, ${MEMORY_MIB} MiB PV domU, LIO LUN, link ${RATE}, median of ${RUNS})`,
);
console.log(
  `${pad('workload', 11)}${pad('total (s)', 11)}${pad('downtime (ms)', 15)}${pad('study total (s)', 17)}${pad('study downtime (s)', 20)}pre-copy model (lambda=0)`,
);
for (const w of WORKLOADS) {
  const r = rows[w];
  console.log(
    `${pad(w, 11)}${pad(r.totalS.toFixed(2), 11)}${pad(r.downMs, 15)}${pad(STUDY.totalS, 17)}${pad(STUDY.downS, 20)}${modelText}`,
  );
}
console.log(
  `xen-table5: ${WORKLOADS.map((w) => `${w}-total-s=${rows[w].totalS.toFixed(2)} ${w}-down-ms=${Math.round(rows[w].downMs)}`).join(' ')}`,
);
