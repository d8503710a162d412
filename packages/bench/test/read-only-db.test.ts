import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
