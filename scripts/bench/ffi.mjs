#!/usr/bin/env node
// FFI benchmark: virtmig's libvirt binding against C (the floor) and python3-libvirt, side by side
// in one run on the same test-driver domain. Prints a table and, last, the `ffi-bench:` line.
// Usage: node scripts/bench/ffi.mjs [--calls N] [--rounds R] [--cycles N] [--close-runs N]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { testNodeXml } from '@virtmig/driver-test';
import { Connection, LibvirtBinding } from '@virtmig/libvirt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    cycles: { type: 'string', default: '1000000' },
    'close-runs': { type: 'string', default: '10' },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const CYCLES = Number(values.cycles);
const CLOSE_RUNS = Number(values['close-runs']);
const PYTHON = '/usr/bin/python3';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (s) => process.stderr.write(`${s}\n`);

function nsPerCall(fn, calls) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn();
  return Number(process.hrtime.bigint() - t0) / calls;
}

// (b) all-domain stats on a 1000-domain custom test node: virtmig (decoded to JS objects) vs python.
const dir = mkdtempSync(join(tmpdir(), 'virtmig-bench-'));
const nodeXml = join(dir, 'node-1000.xml');
writeFileSync(nodeXml, testNodeXml({ domains: 1000 }));
const nodeUri = `test://${nodeXml}`;
const conn = await Connection.open(nodeUri);
// Interleaved blocks (virtmig, then python, five times) so machine noise hits both alike.
const BLOCKS = 5;
const PER_BLOCK = 10;
const pyStats = `import libvirt, sys, time
libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.open(sys.argv[1]); n = int(sys.argv[2]); t = []
for _ in range(n):
    s = time.perf_counter_ns(); r = c.getAllDomainStats(); t.append(time.perf_counter_ns() - s)
assert len(r) == 1000
t.sort(); print(t[len(t) // 2])`;
const statRatios = [];
const virtmigBlocks = [];
const pyBlocks = [];
for (let blk = 0; blk < BLOCKS; blk++) {
  const times = [];
  for (let i = 0; i < PER_BLOCK; i++) {
    const t0 = process.hrtime.bigint();
    const recs = conn.allDomainStatsSync();
    times.push(Number(process.hrtime.bigint() - t0));
    if (recs.length !== 1000) throw new Error(`expected 1000 records, got ${recs.length}`);
  }
  const py = Number(execFileSync(PYTHON, ['-c', pyStats, nodeUri, String(PER_BLOCK)], { encoding: 'utf8' }));
  virtmigBlocks.push(median(times));
  pyBlocks.push(py);
  statRatios.push(median(times) / py);
}
const virtmigStatsNs = median(virtmigBlocks);
const pyStatsNs = median(pyBlocks);
const statsRatio = median(statRatios);
conn.close();
await conn.events.stopped();
rmSync(dir, { recursive: true, force: true });

// (a) virDomainGetInfo per call, each contender measured once per round, rounds interleaved.
const engines = Object.fromEntries(['koffi', 'ffi-napi'].map((e) => [e, new LibvirtBinding({ engine: e })]));
const doms = {};
for (const [name, b] of Object.entries(engines)) {
  const conn = b.call('virConnectOpen', 'test:///default');
  doms[name] = { b, conn, dom: b.call('virDomainLookupByName', conn, 'test'), buf: b.engine.alloc(40) };
}
const pyGetInfo = `import libvirt, sys, time
libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.open('test:///default'); d = c.lookupByName('test'); n = int(sys.argv[1])
t = time.perf_counter_ns()
for _ in range(n): d.info()
print((time.perf_counter_ns() - t) / n)`;
const samples = { c: [], koffi: [], 'ffi-napi': [], python: [] };
for (let r = 0; r < ROUNDS; r++) {
  samples.c.push(
    Number(
      execFileSync(join(root, 'native/build/bin/ffi-bench-getinfo'), ['test:///default', 'test', String(CALLS)], {
        encoding: 'utf8',
      }),
    ),
  );
  for (const name of ['koffi', 'ffi-napi']) {
    const { b, dom, buf } = doms[name];
    const calls = name === 'koffi' ? CALLS : Math.ceil(CALLS / 10);
    samples[name].push(nsPerCall(() => b.call('virDomainGetInfo', dom, buf), calls));
  }
  samples.python.push(Number(execFileSync(PYTHON, ['-c', pyGetInfo, String(CALLS)], { encoding: 'utf8' })));
  log(
    `round ${r + 1}/${ROUNDS}: ${Object.entries(samples)
      .map(([k, v]) => `${k}=${v.at(-1).toFixed(0)}ns`)
      .join(' ')}`,
  );
}
for (const { b, conn, dom } of Object.values(doms)) {
  b.call('virDomainFree', dom);
  b.call('virConnectClose', conn);
}
const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));

// (c) RSS growth over lookup + free cycles through the idiomatic layer, in a fresh process so
// the heap left by (a) and (b) does not blur the figure.
const rssScript = `
import { Connection } from '@virtmig/libvirt';
const c = await Connection.open('test:///default');
const rss = () => process.memoryUsage().rss / 2 ** 20;
for (let i = 0; i < 10000; i++) c.lookupDomainSync('test').free();
await new Promise((r) => setTimeout(r, 50));
globalThis.gc();
const rss0 = rss();
for (let i = 0; i < ${CYCLES}; i++) c.lookupDomainSync('test').free();
await new Promise((r) => setTimeout(r, 50));
globalThis.gc();
console.log(rss() - rss0);
c.close();
`;
const rssFile = join(root, 'scripts', 'bench', '.rss-child.mjs');
writeFileSync(rssFile, rssScript);
let growth;
try {
  growth = Number(execFileSync(process.execPath, ['--expose-gc', rssFile], { encoding: 'utf8' }));
} finally {
  rmSync(rssFile, { force: true });
}

// (d) close() with calls in flight: fresh processes on each engine, each opening, starting
// worker-thread calls and closing 100 times; a process killed by a signal (SIGSEGV) is a crash.
const closeScript = `
import { Connection } from '@virtmig/libvirt';
const engine = process.argv[2];
for (let i = 0; i < 100; i++) {
  const c = await Connection.open('test:///default', { engine });
  const calls = [c.listAllDomains().then((ds) => ds.forEach((d) => d.free())), c.lookupDomain('test').then((d) => d.free()), c.capabilities(), c.allDomainStats()];
  c.close();
  for (const r of await Promise.allSettled(calls)) if (r.status === 'rejected' && r.reason?.code !== 'E_CLOSED') throw r.reason;
}
`;
const closeFile = join(root, 'scripts', 'bench', '.close-child.mjs');
writeFileSync(closeFile, closeScript);
let closeCrashes = 0;
let closeFailures = 0;
try {
  for (let r = 0; r < CLOSE_RUNS; r++) {
    for (const engine of ['koffi', 'ffi-napi']) {
      const run = spawnSync(process.execPath, [closeFile, engine], { encoding: 'utf8', timeout: 60_000 });
      if (run.signal !== null) closeCrashes += 1;
      else if (run.status !== 0) closeFailures += 1;
    }
  }
} finally {
  rmSync(closeFile, { force: true });
}
if (closeFailures > 0)
  log(
    `close-in-flight: ${closeFailures} runs failed without a crash (a call rejected with something other than E_CLOSED)`,
  );

const fmt = (x) => x.toFixed(2);
log('');
log('| measurement | value |');
log('|---|---|');
log(`| virDomainGetInfo, C (floor) | ${med.c.toFixed(0)} ns/call |`);
log(`| virDomainGetInfo, virtmig/koffi | ${med.koffi.toFixed(0)} ns/call (${fmt(med.koffi / med.c)}x C) |`);
log(
  `| virDomainGetInfo, virtmig/ffi-napi | ${med['ffi-napi'].toFixed(0)} ns/call (${fmt(med['ffi-napi'] / med.c)}x C) |`,
);
log(`| virDomainGetInfo, python3-libvirt | ${med.python.toFixed(0)} ns/call (${fmt(med.python / med.c)}x C) |`);
log(`| all-domain stats, 1000 domains, virtmig | ${(virtmigStatsNs / 1e6).toFixed(2)} ms |`);
log(`| all-domain stats, 1000 domains, python3-libvirt | ${(pyStatsNs / 1e6).toFixed(2)} ms |`);
log(`| RSS growth over ${CYCLES} lookup+free cycles | ${growth.toFixed(1)} MB |`);
log(`| close() with calls in flight, ${CLOSE_RUNS * 2} processes × 100 | ${closeCrashes} crashed |`);
console.log(
  `ffi-bench: koffi/c=${fmt(med.koffi / med.c)} ffi-napi/c=${fmt(med['ffi-napi'] / med.c)} python/c=${fmt(med.python / med.c)} allstats-virtmig/python=${fmt(statsRatio)} rss-growth-mb=${growth.toFixed(1)} close-in-flight-crashes=${closeCrashes}`,
);
