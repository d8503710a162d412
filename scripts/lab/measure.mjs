#!/usr/bin/env node
// Boots an idle test guest on lab host a and live-migrates it back and forth
// between the hosts, printing boot time, migration wall time, libvirt's total
// time and downtime, and the heartbeat gap seen from the host.
//   node scripts/lab/measure.mjs [--memory MiB] [--runs N] [--prefix P] [--json]
// The lab must be up (scripts/lab/lab up).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildGuest, domainXml, HeartbeatWatcher, labJson, migrate, virsh } from './harness.mjs';

const { values } = parseArgs({
  options: {
    memory: { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
    prefix: { type: 'string', default: process.env.VIRTMIG_LAB_PREFIX ?? 'vmlab' },
    json: { type: 'boolean', default: false },
  },
});
const memoryMiB = Number(values.memory);
const runs = Number(values.runs);
if (!Number.isInteger(memoryMiB) || memoryMiB < 64 || !Number.isInteger(runs) || runs < 1) {
  console.error('measure: --memory must be an integer >= 64 and --runs >= 1');
  process.exit(2);
}

const status = await labJson(['--prefix', values.prefix, 'status']);
if (status.state !== 'running') {
  console.error(`measure: lab ${values.prefix} is not running (scripts/lab/lab up)`);
  process.exit(1);
}
const [a, b] = status.hosts;
const image = await buildGuest();
const dir = await mkdtemp(join(tmpdir(), 'virtmig-measure-'));
const name = `measure-${process.pid}`;
const serialLog = join(dir, 'serial.log');
await writeFile(serialLog, '');
const xmlPath = join(dir, 'domain.xml');
await writeFile(
  xmlPath,
  domainXml({ name, memoryMiB, kernel: image.kernel, initrd: image.initrd, serialLog, type: status.domainType }),
);

const watcher = new HeartbeatWatcher(serialLog);
await watcher.start();
const results = [];
let where = a;
try {
  const t0 = performance.now();
  await virsh(a.uri, ['create', xmlPath]);
  await watcher.waitFor((w) => w.beats.length > 0, 120_000);
  const bootMs = watcher.beats[0].hostMs - t0;
  const bootLine = watcher.lines.find((l) => l.startsWith('VIRTMIG BOOT'));
  const guestBootMs = bootLine ? Number(bootLine.split(' ')[2]) : undefined;
  await watcher.waitFor((w) => w.beats.length > 10, 30_000);
  for (let i = 0; i < runs; i++) {
    const to = where === a ? b : a;
    const m = await migrate(where.uri, to.uri, name, `tcp://${to.address}`);
    const seqAfter = watcher.lastSeq;
    await watcher.waitFor((w) => w.lastSeq >= seqAfter + 5, 30_000);
    const gaps = watcher.gaps(m.t0, m.t1 + 2000);
    results.push({
      from: where.name,
      to: to.name,
      wallMs: Math.round(m.wallMs),
      totalMs: m.job.elapsedMs,
      downtimeMs: m.job.downtimeMs,
      dataMiB: Math.round((m.job.dataBytes ?? 0) / (1 << 20)),
      hostGapMs: Math.round(gaps.hostMs),
      guestGapMs: gaps.guestMs,
    });
    where = to;
  }
  const report = { memoryMiB, accel: status.accel, bootMs: Math.round(bootMs), guestBootMs, migrations: results };
  if (values.json) {
    console.log(JSON.stringify(report));
  } else {
    console.log(
      `${memoryMiB} MiB ${status.accel}: boot ${report.bootMs} ms to first heartbeat (guest uptime ${guestBootMs} ms)`,
    );
    for (const r of results) {
      console.log(
        `${r.from}->${r.to}: wall ${r.wallMs} ms, total ${r.totalMs} ms, downtime ${r.downtimeMs} ms, ` +
          `${r.dataMiB} MiB sent, heartbeat gap host ${r.hostGapMs} ms / guest ${r.guestGapMs} ms`,
      );
    }
  }
} finally {
  await watcher.stop();
  await virsh(where.uri, ['destroy', name]).catch(() => {});
  await rm(dir, { recursive: true, force: true });
}
