import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, NotFoundError } from '@virtmig/core';
import { expect } from 'chai';
import { expandMatrix, ResultsDb } from '../src/index.js';
import { openSqlite } from '../src/sqlite.js';
import { fakeSpec } from './helpers.js';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('ResultsDb read-only open', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtmig-rodb-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A file made by `make`, opened read-only: refused with `error`, byte-identical, nothing beside it. */
  const refusals: [string, (p: string) => void, new (...a: never[]) => Error, RegExp][] = [
    [
      'an empty file',
      (p) => writeFileSync(p, ''),
      InvalidArgumentError,
      /not a virtmig results database: the file is empty/,
    ],
    ['random bytes', (p) => writeFileSync(p, Buffer.alloc(4096, 0xa5)), InvalidArgumentError, /not a SQLite database/],
    [
      "another program's SQLite file",
      (p) => {
        const raw = openSqlite(p);
        raw.exec('CREATE TABLE notes (body TEXT)');
        raw.close();
      },
      InvalidArgumentError,
      /another program/,
    ],
    [
      'a virtmig database of a newer schema',
      (p) => {
        ResultsDb.open(p).close();
        const raw = openSqlite(p);
        raw.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 'x')").run();
        raw.close();
      },
      InvalidArgumentError,
      /schema version 99, newer/,
    ],
  ];
  for (const [what, make, error, message] of refusals) {
    it(`refuses ${what} and leaves it and its directory unchanged`, () => {
      const p = join(dir, 'x.db');
      make(p);
      const before = sha(p);
      expect(() => ResultsDb.open(p, { readonly: true })).to.throw(error, message);
      expect(sha(p)).to.equal(before);
      expect(readdirSync(dir)).to.deep.equal(['x.db']);
    });
  }

  it('refuses a missing file with E_NOT_FOUND and creates nothing', () => {
    expect(() => ResultsDb.open(join(dir, 'missing.db'), { readonly: true })).to.throw(NotFoundError);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('reads a WAL-mode results database without creating -wal or -shm files beside it', () => {
    const p = join(dir, 'r.db');
    const db = ResultsDb.open(p);
    const spec = fakeSpec();
    const runId = db.createRun(spec, expandMatrix(spec));
    db.close();
    const before = sha(p);
    const ro = ResultsDb.open(p, { readonly: true });
    expect(ro.run(runId).experiment).to.equal('unit');
    expect(ro.trials(runId)).to.have.length(expandMatrix(spec).length);
    ro.close();
    expect(sha(p)).to.equal(before);
    expect(readdirSync(dir)).to.deep.equal(['r.db']);
  });

  it("refuses, read-write too, another program's SQLite file without writing to it", () => {
    const p = join(dir, 'other.db');
    const raw = openSqlite(p);
    raw.exec('CREATE TABLE notes (body TEXT)');
    raw.close();
    const before = sha(p);
    expect(() => ResultsDb.open(p)).to.throw(InvalidArgumentError, /another program/);
    expect(sha(p)).to.equal(before);
  });

  describe('with a -wal file beside it', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    // A separate process creates the database and a run, then keeps it open, so the run exists only
    // in the -wal file (libvirt-style: nothing checkpointed) and a -shm file is in use.
    const writerSource = `
      import { ResultsDb, expandMatrix } from ${JSON.stringify(join(here, '..', 'src', 'index.js'))};
      import { fakeSpec } from ${JSON.stringify(join(here, 'helpers.js'))};
      const db = ResultsDb.open(process.argv[1]);
      const spec = fakeSpec();
      const runId = db.createRun(spec, expandMatrix(spec));
      process.stdout.write(runId + '\\n');
      process.stdin.on('data', () => {});
      process.stdin.on('end', () => db.close());
    `;
    let writer: ChildProcess | undefined;
    const startWriter = (p: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', writerSource, p], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        writer = child;
        child.once('error', reject);
        child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
      });
    afterEach(() => {
      writer?.kill('SIGKILL');
      writer = undefined;
    });

    /** Every file in `dir` with its content hash and modification time in nanoseconds. */
    const snapshot = (d: string): string[] =>
      readdirSync(d)
        .sort()
        .map((f) => `${f} ${sha(join(d, f))} ${statSync(join(d, f), { bigint: true }).mtimeNs}`);

    it('reads the run that exists only in the -wal of a writer still holding it, changing no file beside it', async () => {
      const p = join(dir, 'live.db');
      const runId = await startWriter(p);
      expect(existsSync(`${p}-wal`)).to.equal(true);
      expect(existsSync(`${p}-shm`)).to.equal(true);
      const before = snapshot(dir);
      const ro = ResultsDb.open(p, { readonly: true });
      try {
        expect(ro.run(runId).experiment).to.equal('unit');
        expect(ro.trials(runId)).to.have.length(expandMatrix(fakeSpec()).length);
      } finally {
        ro.close();
      }
      expect(snapshot(dir)).to.deep.equal(before);
    });

    it('reads the run in the -wal a killed writer left behind, changing no file beside it', async () => {
      const p = join(dir, 'crashed.db');
      const runId = await startWriter(p);
      const child = writer as ChildProcess;
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGKILL');
      });
      rmSync(`${p}-shm`);
      const before = snapshot(dir);
      expect(before.map((l) => l.split(' ')[0])).to.deep.equal(['crashed.db', 'crashed.db-wal']);
      const ro = ResultsDb.open(p, { readonly: true });
      try {
        expect(ro.run(runId).status).to.equal('running');
      } finally {
        ro.close();
      }
      expect(snapshot(dir)).to.deep.equal(before);
    });
  });
});
