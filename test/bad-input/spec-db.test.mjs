// The bad-input corpus of specs, presets, CLI flags of run/report/recommend/guest/storage and
// results-database files: each value goes through the public API (a typed error) and through
// the CLI (exit 2 or 3 with one line on stderr), and nothing runs or changes in the cwd.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec, preset, ResultsDb, validateSpec } from '@virtmig/bench';
import { isVirtmigError } from '@virtmig/core';
import { expect } from 'chai';
import { makeCanary, root, runCli, snapshotTree } from './harness.mjs';
import { testDriverSpec } from './spec-db-fixtures.mjs';

const require = (await import('node:module')).createRequire(join(root, 'packages', 'bench', 'package.json'));
const Sqlite = require('better-sqlite3');

const base = () => testDriverSpec();

/** Each row: what it is, and the spec (an object, or YAML/JSON text) `canary` may appear in. */
const specCorpus = (canary) => [
  ['a string where a list goes', { ...base(), workloads: 'dhrystone' }],
  ['a number where a name goes', { ...base(), name: 42 }],
  ['an unknown top-level key', { ...base(), command: canary }],
  ['an unknown key in the matrix', { ...base(), matrix: { ...base().matrix, shell: canary } }],
  ['a driver named by a path', { ...base(), driver: canary }],
  ['a driver with a shell metacharacter', { ...base(), driver: 'qemu;rm -rf /' }],
  [
    'an unregistered driver',
    { ...base(), driver: 'nosuch', hosts: [{ source: 'nosuch:///a', destination: 'nosuch:///b' }] },
  ],
  ['CPU caps on a driver without cpuCap', { ...base(), matrix: { ...base().matrix, capPercent: [50] } }],
  // The test driver's only host URI a spec may name is test:///default, so a migrating pair of
  // test hosts is refused by the URI policy before the capability check could say it cannot migrate.
  [
    'migration between two test hosts',
    { ...base(), hosts: [{ source: 'test:///default', destination: 'test:///b' }], migration: { enabled: true } },
  ],
  [
    'a matrix of ten billion trials',
    {
      ...base(),
      matrix: {
        ramMiB: Array.from({ length: 1000 }, (_, i) => 16 + i),
        vcpus: Array.from({ length: 1000 }, (_, i) => 1 + i),
        capPercent: [0],
        hostCores: [1],
        trials: 10_000,
      },
    },
  ],
  ['a guest kernel that is a relative path', { ...base(), guest: { kernel: canary.slice(1), initrd: '/i' } }],
  ['a guest kernel with ..', { ...base(), guest: { kernel: '/boot/../x', initrd: '/i' } }],
  ['a guest kernel with $(x)', { ...base(), guest: { kernel: '/boot/$(x)', initrd: '/i' } }],
  [
    'an IQN of month 13',
    { ...base(), storage: { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-13.a.b', lun: 0 } },
  ],
  [
    'an IQN over 223 bytes',
    {
      ...base(),
      storage: { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: `iqn.2024-01.a.b:${'x'.repeat(220)}`, lun: 0 },
    },
  ],
  [
    'an IQN with a newline',
    { ...base(), storage: { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.a.b\n:x', lun: 0 } },
  ],
  [
    'a portal on port 99999',
    { ...base(), storage: { kind: 'iscsi', portal: '10.0.0.1:99999', iqn: 'iqn.2024-01.a.b', lun: 0 } },
  ],
  [
    'a portal at 256.0.0.1',
    { ...base(), storage: { kind: 'iscsi', portal: '256.0.0.1:3260', iqn: 'iqn.2024-01.a.b', lun: 0 } },
  ],
  [
    'a portal with a NUL',
    { ...base(), storage: { kind: 'iscsi', portal: '10.0.0.1\0:3260', iqn: 'iqn.2024-01.a.b', lun: 0 } },
  ],
  [
    'a LUN of 16384',
    { ...base(), storage: { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.a.b', lun: 16384 } },
  ],
  ['a __proto__ key', `{"__proto__": {"polluted": 1}, ${JSON.stringify(base()).slice(1)}`],
  ['a constructor key', `{"constructor": {"prototype": {}}, ${JSON.stringify(base()).slice(1)}`],
  [
    'a __proto__ connect option',
    { ...base(), hosts: [{ ...base().hosts[0], connectOptions: JSON.parse('{"__proto__": "x"}') }] },
  ],
  ['a name with ../', { ...base(), name: '../x' }],
  ['a name with a shell command', { ...base(), name: 'a;rm -rf /' }],
  ['a name with $(x)', { ...base(), name: '$(x)' }],
  ['a name with a NUL', { ...base(), name: 'a\0b' }],
  ['a name with a newline', { ...base(), name: 'a\nb' }],
  ['a very long name', { ...base(), name: 'a'.repeat(100_000) }],
  ['a spec nested 10,000 deep', `name: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`],
  ['YAML that does not parse', 'name: [unclosed\nhosts: {'],
  [
    'a YAML alias bomb',
    `a: &a [x,x,x,x,x,x,x,x,x,x]\n${Array.from(
      { length: 9 },
      (_, i) =>
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(',')}]`,
    ).join('\n')}\n`,
  ],
  ['an empty document', ''],
  ['a list, not a mapping', '- name: x\n'],
];

/** Runs `f`; returns the error it threw (the test fails if it returned). */
function thrown(f) {
  try {
    f();
  } catch (e) {
    return e;
  }
  expect.fail('expected a throw');
}

describe('bad input: specs', () => {
  let canary;
  let cwd;
  beforeEach(() => {
    canary = makeCanary();
    cwd = mkdtempSync(join(tmpdir(), 'virtmig-bad-spec-'));
  });
  afterEach(() => {
    canary.dispose();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('every spec of the corpus that the schema refuses is a typed E_INVALID_ARGUMENT from parseSpec/validateSpec', () => {
    for (const [what, spec] of specCorpus('/x/canary')) {
      if (['an unregistered driver', 'CPU caps on a driver without cpuCap'].includes(what)) continue;
      const e = thrown(() => (typeof spec === 'string' ? parseSpec(spec) : validateSpec(spec)));
      expect(isVirtmigError(e, 'E_INVALID_ARGUMENT'), `${what}: ${e}`).to.equal(true);
      expect(e.message, what).not.to.include('\n');
    }
    expect({}.polluted).to.equal(undefined);
  });

  it('virtmig run refuses every spec of the corpus with one line, exit 2 (4 for a driver capability), nothing run or created', async function () {
    this.timeout(300_000);
    for (const [what, spec] of specCorpus(canary.program)) {
      const file = join(cwd, 'spec.yaml');
      writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec));
      const before = snapshotTree(cwd);
      const r = await runCli(['run', 'spec.yaml', '--db', 'results/sub/x.db'], { cwd });
      const expected = what.includes('cpuCap') ? 4 : 2;
      expect(r.code, `${what}: ${r.stderr}`).to.equal(expected);
      expect(r.stderr.trim().split('\n'), what).to.have.length(1);
      expect(snapshotTree(cwd), what).to.deep.equal(before);
      expect(existsSync(join(cwd, 'results')), what).to.equal(false);
      expect(canary.ran(), what).to.equal(false);
    }
  });

  it('a YAML parse error never quotes the line it failed on (a secret may be there)', async () => {
    const text = `name: x\nhosts:\n  - source: qemu:///a\n    connectOptions: {password: "s3cr3t-Passw0rd\n`;
    expect(thrown(() => parseSpec(text)).message).not.to.include('s3cr3t');
    writeFileSync(join(cwd, 's.yaml'), text);
    const r = await runCli(['run', 's.yaml'], { cwd });
    expect(r.code).to.equal(2);
    expect(r.stderr).not.to.include('s3cr3t');
  });

  it('a spec file that is a directory or a FIFO-like device is refused, not read forever', async () => {
    for (const path of [cwd, '/dev/zero']) {
      const r = await runCli(['run', path], { cwd });
      expect(r.code, path).to.equal(2);
    }
  });
});

describe('bad input: presets', () => {
  const names = [
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty',
    'valueOf',
    '../paper',
    'paper;id',
    '$(id)',
    'a\nb',
    'x'.repeat(10_000),
  ];
  for (const name of names) {
    it(`preset(${JSON.stringify(name.slice(0, 20))}) is E_INVALID_ARGUMENT; virtmig run --preset exits 2 with one line`, async () => {
      expect(
        isVirtmigError(
          thrown(() => preset(name)),
          'E_INVALID_ARGUMENT',
        ),
      ).to.equal(true);
      const cwd = mkdtempSync(join(tmpdir(), 'virtmig-bad-preset-'));
      try {
        const r = await runCli(['run', '--preset', name], { cwd });
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr.trim().split('\n')).to.have.length(1);
        expect(r.stderr).to.include('paper, paper-quick');
        expect(snapshotTree(cwd)).to.deep.equal([]);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  }
});

const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Each row: what it is, how to make it at `path`, the exit code of report/recommend. */
const dbCorpus = [
  ['an empty file', (p) => writeFileSync(p, ''), 2],
  ['random bytes', (p) => writeFileSync(p, createHash('sha512').update('x').digest()), 2],
  ['a text file', (p) => writeFileSync(p, 'SQLite format 2 -- not really\n'.repeat(10)), 2],
  [
    "another program's SQLite file",
    (p) => {
      const db = new Sqlite(p);
      db.exec("CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('x')");
      db.close();
    },
    2,
  ],
  [
    'a virtmig database of a newer schema',
    (p) => {
      ResultsDb.open(p).close();
      const db = new Sqlite(p);
      db.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 'x')").run();
      db.close();
    },
    2,
  ],
  ['a directory', (p) => rmSync(p, { force: true }) ?? require('node:fs').mkdirSync(p), 2],
];

describe('bad input: results databases', () => {
  let cwd;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'virtmig-bad-db-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  for (const [what, make, code] of dbCorpus) {
    for (const command of [['report'], ['report', '--out', 'r.html'], ['recommend']]) {
      it(`virtmig ${command.join(' ')} refuses ${what} (exit ${code}, one line) and leaves it byte-identical`, async () => {
        const p = join(cwd, 'x.db');
        make(p);
        const before = snapshotTree(cwd);
        const r = await runCli([command[0], 'x.db', ...command.slice(1)], { cwd });
        expect(r.code, r.stderr).to.equal(code);
        expect(r.stderr.trim().split('\n')).to.have.length(1);
        expect(snapshotTree(cwd)).to.deep.equal(before);
        expect(readdirSync(cwd)).to.deep.equal(['x.db']);
      });
    }
  }

  it('virtmig report on a missing file exits 3 and creates nothing', async () => {
    const r = await runCli(['report', 'missing.db'], { cwd });
    expect(r.code).to.equal(3);
    expect(readdirSync(cwd)).to.deep.equal([]);
  });

  it('ResultsDb.open read-only refuses each file of the corpus with a typed error, changing none', () => {
    for (const [what, make] of dbCorpus) {
      const p = join(cwd, `${what.replace(/\W/g, '_')}.db`);
      make(p);
      const before = snapshotTree(cwd);
      const e = thrown(() => ResultsDb.open(p, { readonly: true }));
      expect(isVirtmigError(e, 'E_INVALID_ARGUMENT'), `${what}: ${e}`).to.equal(true);
      expect(snapshotTree(cwd), what).to.deep.equal(before);
    }
  });

  it("virtmig run refuses another program's SQLite file as --db without writing to it", async () => {
    const p = join(cwd, 'other.db');
    dbCorpus[3][1](p);
    const before = sha(p);
    writeFileSync(join(cwd, 's.json'), JSON.stringify(base()));
    const r = await runCli(['run', 's.json', '--db', 'other.db'], { cwd });
    expect(r.code, r.stderr).to.equal(2);
    expect(sha(p)).to.equal(before);
    expect(readdirSync(cwd).sort()).to.deep.equal(['other.db', 's.json']);
  });
});

describe('bad input: CLI flags of run, report, recommend, guest and storage', () => {
  let cwd;
  let canary;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'virtmig-bad-flags-'));
    canary = makeCanary();
  });
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
    canary.dispose();
  });

  const rows = (c) => [
    ['run with both a spec and a preset', ['run', 's.json', '--preset', 'paper']],
    ['run --resume without --db or spec', ['run', '--resume']],
    ['run --resume of a database that does not exist', ['run', '--resume', '--db', 'results/sub/x.db'], 3],
    ['recommend --threshold 0', ['recommend', 'x.db', '--threshold', '0']],
    ['recommend --threshold 1e3', ['recommend', 'x.db', '--threshold', '1e3']],
    ['recommend --policy $(x)', ['recommend', 'x.db', '--policy', '$(x)']],
    ['recommend --policy constructor', ['recommend', 'x.db', '--policy', 'constructor']],
    ['guest start ../x', ['guest', 'start', '../x', '--on', 'a']],
    ['guest start a;rm -rf /', ['guest', 'start', 'a;rm -rf /', '--on', 'a']],
    ['guest start $(x)', ['guest', 'start', '$(x)', '--on', 'a']],
    ['guest start with a newline', ['guest', 'start', 'a\nb', '--on', 'a']],
    ['guest start with a very long name', ['guest', 'start', 'g'.repeat(5000), '--on', 'a']],
    ['guest start --memory -1', ['guest', 'start', 'g', '--on', 'a', '--memory', '-1']],
    ['guest start --vcpus 1e9', ['guest', 'start', 'g', '--on', 'a', '--vcpus', '1e9']],
    ['guest start --workload naming a program', ['guest', 'start', 'g', '--on', 'a', '--workload', c]],
    ['guest start --args with $(x)', ['guest', 'start', 'g', '--on', 'a', '--args', '$(x)']],
    ['guest start --wait abc', ['guest', 'start', 'g', '--on', 'a', '--wait', 'abc']],
    ['guest start --on a host the lab does not have', ['guest', 'start', 'g', '--on', 'zz']],
    [
      'recommend --live --hosts with a URI that names a program',
      ['recommend', 'x.db', '--live', '--hosts', `test:///default,qemu+ssh://h/system?command=${c}`],
    ],
    ['guest stop ../x', ['guest', 'stop', '../x']],
    ['guest start --prefix ../x', ['guest', 'start', 'g', '--on', 'a', '--prefix', '../x']],
    ['storage up --size 0', ['storage', 'up', '--size', '0']],
    ['storage up --size 1T', ['storage', 'up', '--size', '1T']],
    ['storage up --prefix a;b', ['storage', 'up', '--prefix', 'a;b']],
    ['storage status --prefix $(x)', ['storage', 'status', '--prefix', '$(x)']],
    ['lab up --prefix ../x', ['lab', 'up', '--prefix', '../x']],
    ['lab up --kind nosuch', ['lab', 'up', '--kind', 'nosuch']],
  ];

  it('each bad flag exits 2 (3 for a missing database) with one line; nothing runs or is created', async function () {
    this.timeout(300_000);
    writeFileSync(join(cwd, 's.json'), JSON.stringify(base()));
    for (const [what, args, code = 2] of rows(canary.program)) {
      const before = snapshotTree(cwd);
      const r = await runCli(args, { cwd, env: { ...process.env, VIRTMIG_LAB_PREFIX: 'vmbadnone' } });
      expect(r.code, `${what}: ${r.stderr}`).to.equal(code);
      expect(r.stderr.trim().split('\n'), `${what}: ${r.stderr}`).to.have.length(1);
      expect(snapshotTree(cwd), what).to.deep.equal(before);
      expect(canary.ran(), what).to.equal(false);
    }
  });
});
