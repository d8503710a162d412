// `virtmig export` as an experimenter uses it: a simulated run (`driver: fake`, no lab), every
// tidy table exported as CSV and as JSON Lines, and each file loaded by pandas (python3-pandas
// from Debian, installed by scripts/setup) with no options beyond what the format needs
// (`lines=True` for JSON Lines): the columns are the export's, numeric ones come out numeric.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ResultsDb, TIDY_TABLES } from '@virtmig/bench';
import { expect } from 'chai';
import { repoRoot } from '../../scripts/lab/harness.mjs';

const run = promisify(execFile);
const bin = join(repoRoot, 'packages/cli/dist/src/bin.js');
// Debian's interpreter, where python3-pandas installs (a python3 earlier on PATH may be another one).
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const LOAD = `
import json, sys
import pandas as pd
out = {}
for name, csv, jsonl in json.loads(sys.argv[1]):
    frames = {"csv": pd.read_csv(csv), "jsonl": pd.read_json(jsonl, lines=True)}
    out[name] = {
        fmt: {
            "rows": len(df),
            "columns": list(df.columns),
            "numeric": [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])],
            "bool": [c for c in df.columns if pd.api.types.is_bool_dtype(df[c])],
            "allNull": [c for c in df.columns if df[c].isna().all()],
        }
        for fmt, df in frames.items()
    }
print(json.dumps(out))
`;

async function virtmig(...args) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 120_000, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('virtmig export loads in pandas', function () {
  this.timeout(300_000);
  let dir;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'virtmig-export-pandas-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads every table as CSV and JSON Lines with the export columns, numeric columns numeric and flags boolean', async () => {
    const spec = join(dir, 'fake.yaml');
    await writeFile(
      spec,
      [
        'name: pandas-fake',
        'driver: fake',
        'hosts: [{source: "fake:///a", destination: "fake:///b"}]',
        'guest: {image: none}',
        'workloads: [dhrystone, linpack]',
        'matrix: {ramMiB: [64, 128], vcpus: [1], capPercent: [50], hostCores: [2], trials: 1}',
        'migration: {enabled: true}',
        'sampling: {intervalMs: 50}',
        'durations: {warmupMs: 0, measureMs: 150}',
        '',
      ].join('\n'),
    );
    const db = join(dir, 'r.db');
    const ran = await virtmig('run', spec, '--db', db);
    expect(ran.code, ran.stderr).to.equal(0);

    const tables = TIDY_TABLES.filter((t) => t !== 'decisions');
    const files = [];
    for (const t of tables) {
      const csv = join(dir, `${t}.csv`);
      const jsonl = join(dir, `${t}.jsonl`);
      for (const [format, out] of [
        ['csv', csv],
        ['jsonl', jsonl],
      ]) {
        const r = await virtmig('export', db, '--table', t, '--format', format, '--out', out);
        expect(r.code, r.stderr).to.equal(0);
      }
      files.push([t, csv, jsonl]);
    }
    // An experiment run takes no balancing decisions: the table is its header row alone.
    const decisions = await virtmig('export', db, '--table', 'decisions');
    expect(decisions.code, decisions.stderr).to.equal(0);
    expect(decisions.stdout.split('\r\n').filter(Boolean)).to.have.length(1);

    const { stdout } = await run(python, ['-c', LOAD, JSON.stringify(files)], { timeout: 120_000 });
    const loaded = JSON.parse(stdout);

    const rdb = ResultsDb.open(db, { readonly: true });
    try {
      for (const t of tables) {
        const tidy = rdb.tidy(t);
        expect(tidy.rows.length, t).to.be.greaterThan(0);
        for (const format of ['csv', 'jsonl']) {
          const got = loaded[t][format];
          const where = `${t}.${format}`;
          expect(got.columns, where).to.deep.equal(tidy.columns.map((c) => c.name));
          expect(got.rows, where).to.equal(tidy.rows.length);
          for (const c of tidy.columns) {
            if (got.allNull.includes(c.name)) continue;
            if (c.type === 'integer' || c.type === 'real')
              expect(got.numeric, `${where}: ${c.name}`).to.include(c.name);
            else if (c.type === 'boolean') expect(got.bool, `${where}: ${c.name}`).to.include(c.name);
            else expect(got.numeric, `${where}: ${c.name}`).to.not.include(c.name);
          }
        }
      }
      expect(loaded.migrations.csv.columns).to.include.members([
        'run_id',
        'environment_id',
        'total_time_ms',
        'downtime_ms',
        'data_transferred_bytes',
        'dirty_rate_bytes_per_s',
        'ram_mib',
      ]);
      expect(loaded.trials.csv.rows).to.equal(4);
    } finally {
      rdb.close();
    }
  });
});
