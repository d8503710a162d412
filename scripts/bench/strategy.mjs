#!/usr/bin/env node
// Strategy bench on the local lab: for each cell (a dirtier guest at a set rate, the migration
// bandwidth limited to --bandwidth), one default pre-copy migration A→B and one back with
// `--downtime-target`, and whether each met the target by its measured downtime.
// Usage: node scripts/bench/strategy.mjs [--prefix P] [--target-ms 50] [--bandwidth 100] [--rates 32,64]
// Prints per-cell lines, then: strategy-bench: target-ms=<n> met=<k>/<n> default-met=<k>/<n>
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/cli/dist/src/bin.js', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const prefix = flag('--prefix', process.env.VIRTMIG_LAB_PREFIX ?? 'vmlab');
const targetMs = Number(flag('--target-ms', '50'));
const bandwidth = flag('--bandwidth', '100');
const rates = flag('--rates', '32,64').split(',').map(Number);

async function virtmig(...a) {
  const { stdout } = await run(process.execPath, [bin, ...a, '--prefix', prefix], { maxBuffer: 16 << 20 });
  return a.includes('--json') ? JSON.parse(stdout) : stdout;
}

await virtmig('lab', 'up', '--json');
let met = 0;
let defaultMet = 0;
for (const rate of rates) {
  const name = `strat${rate}-${process.pid % 10000}`;
  await virtmig(
    'guest',
    'start',
    name,
    '--on',
    'a',
    '--memory',
    '256',
    '--workload',
    'dirtier',
    '--args',
    `--wss-mb 64 --rate-mbps ${rate} --seconds 100000`,
    '--json',
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const plain = await virtmig('migrate', name, '--from', 'a', '--to', 'b', '--bandwidth', bandwidth, '--json');
    const chosen = await virtmig(
      'migrate',
      name,
      '--from',
      'b',
      '--to',
      'a',
      '--bandwidth',
      bandwidth,
      '--downtime-target',
      String(targetMs),
      '--json',
    );
    const plainMet = plain.downtimeMs !== undefined && plain.downtimeMs <= targetMs;
    if (plainMet) defaultMet++;
    if (chosen.strategy.met) met++;
    console.log(
      `cell dirtier=${rate}MiB/s bandwidth=${bandwidth}MiB/s: default downtime=${plain.downtimeMs}ms ${plainMet ? 'met' : 'missed'}; ${chosen.strategy.strategy} downtime=${chosen.downtimeMs}ms ${chosen.strategy.met ? 'met' : 'missed'} (${chosen.strategy.reason})`,
    );
  } finally {
    await virtmig('guest', 'stop', name).catch(() => undefined);
  }
}
console.log(
  `strategy-bench: target-ms=${targetMs} met=${met}/${rates.length} default-met=${defaultMet}/${rates.length}`,
);
