// The README's SDK example, run as written (its TypeScript with the types stripped; the type check
// is test/doc-examples.test.mjs's), and its CLI lines that need no lab, run through `npx virtmig` as a reader of the README would.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { readmeSdkExample } from './packaging/registry.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The dry-run line's database goes to a temporary directory, not the checkout's results/.
const dryRunDb = join(mkdtempSync(join(tmpdir(), 'virtmig-readme-')), 'dry-run.db');

describe('README', () => {
  it('runs its SDK example as written and sees the lifecycle events', async () => {
    const code = await readmeSdkExample();
    expect(code, 'README has a ts example').to.be.a('string');
    // Written inside the repo so its imports resolve through the workspace's node_modules.
    const file = join(root, 'test', '.readme-example.mjs');
    writeFileSync(file, code);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 60_000 });
      expect(stdout).to.match(/state: 'running'/);
      // Events arrive from libvirt's event loop; the example prints them last.
      expect(stdout).to.match(/'vm1 defined'.*'vm1 started'.*'vm1 stopped'.*'vm1 undefined'/s);
    } finally {
      rmSync(file, { force: true });
    }
  });

  // The README's CLI lines that need no lab, with test:///default for the URI placeholders.
  const CLI = [
    {
      readme: 'npx virtmig inventory',
      args: ['inventory', 'test:///default', '--json'],
      expect: /"test:\/\/\/default"/,
    },
    { readme: 'npx virtmig domains', args: ['domains', '--uri', 'test:///default', '--json'], expect: /"test"/ },
    { readme: 'npx virtmig doctor', args: ['doctor', '--json'], expect: /"libvirt shim"/ },
    {
      readme: 'npx virtmig run --preset dry-run --db results/dry-run.db',
      args: ['run', '--preset', 'dry-run', '--db', dryRunDb, '--json'],
      expect: /"simulated": true/,
    },
  ];

  it('runs `npx virtmig --help` from the repository root, listing every command the README shows', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const { stdout } = await promisify(execFile)('npx', ['virtmig', '--help'], { cwd: root, timeout: 60_000 });
    for (const [, command] of readme.matchAll(/^npx virtmig (\w+)/gm)) expect(stdout).to.include(`  ${command}`);
  });

  after(() => rmSync(dirname(dryRunDb), { recursive: true, force: true }));

  for (const line of CLI) {
    it(`runs the README's \`${line.readme}\` line: npx virtmig ${line.args.join(' ')}`, async () => {
      const readme = readFileSync(join(root, 'README.md'), 'utf8');
      expect(readme).to.include(line.readme);
      const { stdout } = await promisify(execFile)('npx', ['virtmig', ...line.args], { cwd: root, timeout: 60_000 });
      expect(stdout).to.match(line.expect);
      JSON.parse(stdout);
    });
  }
});
