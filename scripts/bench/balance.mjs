#!/usr/bin/env node
// The balance-study comparison, reduced: on the local lab (own prefix, default vmbal), for each
// policy and run in an interleaved random order, two busy guests (dhrystone, 128 and 160 MiB,
// capped at 50 %) start on host a, the threshold is set between a's load with both and with one
// (the machine is shared, so it is measured, not assumed), and `virtmig balance` runs for a fixed
// window. Then per policy: migrations, time to balance, migration time and downtime, with 95 %
// CIs and Mann-Whitney U against the study's policy. Ends with:
// balance-bench: policies=<n> runs=<n> study-time-to-balance-s=<n> best-policy=<name> study-vs-random-p=<p>
// Usage: node scripts/bench/balance.mjs [--policies study,random,mmt] [--runs 2] [--window 60] [--prefix vmbal] [--seed 1]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { balanceRunMetrics, comparePolicies, seededRandom } from '@virtmig/analysis';
import { snapshotHost } from '@virtmig/balance';
import { ResultsDb } from '@virtmig/bench';
import { balanceTimelines } from '@virtmig/cli';
import { QemuHypervisor } from '@virtmig/driver-qemu';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: {
    policies: { type: 'string', default: 'study,random,mmt' },
    runs: { type: 'string', default: '2' },
    window: { type: 'string', default: '60' },
    prefix: { type: 'string', default: process.env.VIRTMIG_LAB_PREFIX ?? 'vmbal' },
    seed: { type: 'string', default: '1' },
  },
});
const POLICIES = values.policies.split(',');
const RUNS = Number(values.runs);
const PREFIX = values.prefix;
const log = (s) => process.stderr.write(`${s}\n`);
const bin = `${root}packages/cli/dist/src/bin.js`;
const virtmig = async (...args) =>
  (await run(process.execPath, [bin, ...args], { maxBuffer: 8 << 20, timeout: 900_000 })).stdout;

const status = JSON.parse(await virtmig('lab', 'up', '--prefix', PREFIX, '--json'));
const [a, b] = await Promise.all(
  status.hosts.map((h) => QemuHypervisor.open(h.uri, { domainType: status.domainType, memoryBalloon: false })),
);
const dir = mkdtempSync(join(tmpdir(), 'virtmig-balance-bench-'));
const db = join(dir, 'balance.db');
const next = seededRandom(Number(values.seed));
const order = POLICIES.flatMap((p) => Array.from({ length: RUNS }, (_, i) => ({ policy: p, i })));
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(next() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
try {
  for (const [k, { policy, i }] of order.entries()) {
    const guests = [`bb${k}s`, `bb${k}b`];
    try {
      for (const [g, mem] of [
        [guests[0], '128'],
        [guests[1], '160'],
      ]) {
        await virtmig('guest', 'start', g, '--on', 'a', '--memory', mem, '--workload', 'dhrystone', '--prefix', PREFIX);
        await a.setCpuCap(g, 50);
      }
      const snap = await snapshotHost(a, 'a', { sampleMs: 5000 });
      const load = snap.vms.reduce((s, v) => s + v.cpuPercent, 0) / snap.cores;
      const threshold = Math.max(1, Math.round(load * 0.7 * 10) / 10);
      log(
        `balance-bench: run ${k + 1}/${order.length}: ${policy} #${i + 1}, a at ${load.toFixed(1)} %, threshold ${threshold} %`,
      );
      await virtmig(
        'balance',
        '--hosts',
        'lab',
        '--prefix',
        PREFIX,
        '--policy',
        policy,
        '--threshold',
        String(threshold),
        '--samples',
        '2',
        '--interval',
        '3',
        '--duration',
        values.window,
        '--host-cooldown',
        '5',
        '--db',
        db,
        '--json',
      );
    } finally {
      for (const g of guests) await virtmig('guest', 'stop', g, '--prefix', PREFIX).catch(() => undefined);
    }
  }
  const rdb = ResultsDb.open(db, { readonly: true });
  const metrics = balanceTimelines(rdb).map(balanceRunMetrics);
  rdb.close();
  const rows = comparePolicies(metrics);
  for (const r of rows) {
    const ci = r.summary.ci ? ` ± ${r.summary.ci.halfWidth.toFixed(2)}` : '';
    log(
      `  ${r.policy.padEnd(8)} ${r.metric.padEnd(16)} ${r.summary.mean.toFixed(2)}${ci} (n=${r.summary.n})${r.pVsStudy === undefined ? '' : ` p vs study ${r.pVsStudy.toFixed(3)}`}`,
    );
  }
  const ttb = rows.filter((r) => r.metric === 'timeToBalanceS');
  const best = [...ttb].sort((x, y) => x.summary.mean - y.summary.mean)[0];
  const study = ttb.find((r) => r.policy === 'study');
  const random = ttb.find((r) => r.policy === 'random');
  console.log(
    `balance-bench: policies=${POLICIES.length} runs=${metrics.length} study-time-to-balance-s=${study ? study.summary.mean.toFixed(1) : 'none'} best-policy=${best?.policy ?? 'none'} study-vs-random-p=${random?.pVsStudy === undefined ? 'none' : random.pVsStudy.toFixed(3)}`,
  );
} finally {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
}
