import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TidyTable } from '@virtmig/bench';
import { expect } from 'chai';
import { tidyCsv, tidyJsonl } from '../src/commands/export.js';
import { EXIT } from '../src/index.js';
import { virtmig } from './virtmig-bin.js';

const SPEC = [
  'name: export-unit',
  'driver: fake',
  'hosts: [{source: "fake:///a", destination: "fake:///b"}]',
  'guest: {image: none}',
  'workloads: [dhrystone]',
  'matrix: {ramMiB: [64], vcpus: [1], capPercent: [50], hostCores: [2], trials: 1}',
  'migration: {enabled: true}',
  'sampling: {intervalMs: 50}',
  'durations: {warmupMs: 0, measureMs: 100}',
  '',
].join('\n');

describe('virtmig export', function () {
  this.timeout(120_000);
  let dir: string;
  let db: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-export-'));
    await writeFile(join(dir, 'spec.yaml'), SPEC);
    db = join(dir, 'r.db');
    const r = await virtmig('run', join(dir, 'spec.yaml'), '--db', db);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes RFC 4180 CSV: a header row, CRLF line ends, quotes around commas, quotes and line breaks, empty for null', () => {
    const t: TidyTable = {
      name: 'trials',
      columns: [
        { name: 'run_id', type: 'text' },
        { name: 'error', type: 'text' },
        { name: 'total_time_ms', type: 'real' },
        { name: 'migrate', type: 'boolean' },
      ],
      rows: [
        ['r1', 'a, "b"\nc', 12.5, true],
        ['r2', null, null, false],
      ],
    };
    expect(tidyCsv(t)).to.equal('run_id,error,total_time_ms,migrate\r\nr1,"a, ""b""\nc",12.5,true\r\nr2,,,false\r\n');
    expect(
      tidyJsonl(t)
        .split('\n')
        .map((l) => (l ? JSON.parse(l) : l)),
    ).to.deep.equal([
      { run_id: 'r1', error: 'a, "b"\nc', total_time_ms: 12.5, migrate: true },
      { run_id: 'r2', error: null, total_time_ms: null, migrate: false },
      '',
    ]);
  });

  it('prints a table to stdout, and writes --out, without changing the database or writing beside it', async () => {
    const before = await readdir(dir);
    const bytes = await readFile(db);
    const mtime = (await stat(db)).mtimeMs;
    const r = await virtmig('export', db, '--table', 'migrations');
    expect(r.code, r.stderr).to.equal(0);
    const [header, row, end] = r.stdout.split('\r\n');
    expect(header?.split(',').slice(0, 2)).to.deep.equal(['run_id', 'environment_id']);
    expect(header).to.include('total_time_ms').and.include('dirty_rate_bytes_per_s');
    expect(row).to.match(/,export-unit,true,dhrystone\/ram64/);
    expect(end).to.equal('');
    const out = join(dir, 'm.jsonl');
    const w = await virtmig('export', db, '--table', 'migrations', '--format', 'jsonl', '--out', out);
    expect(w.code, w.stderr).to.equal(0);
    expect(w.stderr).to.match(/1 rows of migrations written to/);
    expect(JSON.parse((await readFile(out, 'utf8')).trim())).to.include({ workload: 'dhrystone', ram_mib: 64 });
    expect((await readdir(dir)).sort()).to.deep.equal([...before, 'm.jsonl'].sort());
    expect((await readFile(db)).equals(bytes)).to.equal(true);
    expect((await stat(db)).mtimeMs).to.equal(mtime);
  });

  for (const [what, args, field] of [
    ['an unknown format', ['--format', 'xlsx'], '--format'],
    ['an unknown table', ['--table', 'runs'], '--table'],
    ['an --out that is the database', ['--out', 'DB'], '--out'],
  ] as const) {
    it(`refuses ${what} with exit 2 before opening the database, writing nothing`, async () => {
      const before = await readdir(dir);
      const r = await virtmig('export', db, ...args.map((a) => (a === 'DB' ? db : a)));
      expect(r.code).to.equal(EXIT.USAGE);
      expect(r.stderr).to.include(field);
      expect(r.stdout).to.equal('');
      expect(await readdir(dir)).to.deep.equal(before);
    });
  }

  it('refuses a missing database and the decisions table of a database without one with exit 3, creating nothing', async () => {
    const missing = await virtmig('export', join(dir, 'nope.db'), '--out', join(dir, 'x.csv'));
    expect(missing.code).to.equal(EXIT.NOT_FOUND);
    const decisions = await virtmig('export', db, '--table', 'decisions', '--out', join(dir, 'd.csv'));
    expect(decisions.code).to.equal(EXIT.NOT_FOUND);
    expect(decisions.stderr).to.match(/no decisions table/);
    expect(await readdir(dir)).to.not.include.members(['nope.db', 'x.csv', 'd.csv']);
  });
});
