// The code examples of the READMEs and docs/: every ```ts block type-checks as written (strict,
// against the built packages, so a renamed export or option breaks this test, not a reader), and
// those that need no lab run, as test/readme.test.mjs does for the root README's. Examples that
// need the lab or a driver package of your own say so in their text.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { markdownFiles, ROOT, runnable, tsBlockOf, tsBlocks } from './doc-blocks.mjs';

const run = promisify(execFile);

// [file, index of its ts block, what its output shows when it worked]
const RUNNABLE = [
  ['packages/core/README.md', 0, { stderr: /no driver registered for URI scheme "vbox"/ }],
  ['packages/core/README.md', 1, { stdout: /precopy at \d+ ms[\s\S]*round 1: 8\.0 MiB\/s dirtied/ }],
  ['packages/driver-test/README.md', 0, { stdout: /vm1.*cpuTime|cpuTime.*vm1/s }],
  [
    'packages/bench/README.md',
    0,
    {
      stdout:
        /simulated: true, environment env-[0-9a-f]{16}\n.*fake:\/\/\/a: Fake 1\.0\.0, libvirt 9\.0\.0, simulated.*total_time_ms/s,
    },
  ],
  ['packages/balance/README.md', 1, { stdout: /^1 migrate vm2 b\n1 true\n/m }],
];

describe('documentation examples', () => {
  it('every ts block in the READMEs and docs/ type-checks as written (strict)', async function () {
    this.timeout(180_000);
    // Inside the repository so that @virtmig/* resolves through the workspace's node_modules.
    const dir = join(ROOT, 'test', '.doc-typecheck');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const names = new Map();
    try {
      for (const file of markdownFiles()) {
        tsBlocks(readFileSync(join(ROOT, file), 'utf8')).forEach((code, i) => {
          const name = `${file.replaceAll('/', '__')}__${i}.mts`;
          names.set(name, `${file} ts block ${i + 1}`);
          // `export {}` makes each block its own module, as a reader's file would be.
          writeFileSync(join(dir, name), `export {};\n${code}`);
        });
      }
      expect(names.size, 'ts blocks found').to.be.greaterThan(15);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          extends: '../../tsconfig.base.json',
          compilerOptions: {
            noEmit: true,
            composite: false,
            declaration: false,
            declarationMap: false,
            sourceMap: false,
          },
          include: ['*.mts'],
        }),
      );
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const r = await run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { maxBuffer: 8 << 20 }).catch(
        (e) => e,
      );
      const errors = String(r.stdout ?? '')
        .split('\n')
        .filter((l) => l.includes('error TS'))
        .map((l) => {
          const m = /^(?:.*[/\\])?([^/\\(]+\.mts)\((\d+),\d+\): (.*)$/.exec(l);
          // Line 1 of each file is the added `export {}`.
          return m ? `${names.get(m[1])}, line ${Number(m[2]) - 1}: ${m[3]}` : l;
        });
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [file, index, expected] of RUNNABLE) {
    it(`${file} example ${index + 1} runs as written`, async () => {
      const code = tsBlockOf(file, index);
      expect(code, `${file} has ts example ${index + 1}`).to.be.a('string');
      const script = join(ROOT, 'test', `.doc-example-${file.replaceAll('/', '-')}-${index}.mjs`);
      writeFileSync(script, runnable(code));
      try {
        const { stdout, stderr } = await run(process.execPath, [script], { timeout: 60_000 });
        if (expected.stdout) expect(stdout).to.match(expected.stdout);
        if (expected.stderr) expect(stderr).to.match(expected.stderr);
      } finally {
        rmSync(script, { force: true });
      }
    });
  }
});
