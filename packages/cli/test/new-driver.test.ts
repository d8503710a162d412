import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { installedVirtmigRanges, newDriver, writeTreeAtomically } from '../src/commands/new-driver.js';
import { EXIT } from '../src/index.js';
import { virtmig } from './virtmig-bin.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
// dist/test/ -> the repository root.
const root = resolve(here, '../../../..');

/** Every path under `dir`, with file contents, so a test can see that nothing changed. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name).slice(dir.length + 1);
    out[p] = e.isFile() ? await readFile(join(dir, p), 'utf8') : '<dir>';
  }
  return out;
}

/** The generated package's own test run, as `npm test` in it, against this workspace's built packages. */
async function npmTest(pkg: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['test', '--silent'], { cwd: pkg, timeout: 120_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

/**
 * Makes the generated package's dependencies resolvable as `npm install` would: `@virtmig/*` link
 * to this workspace's packages, the tools to the workspace's copies, their bins under .bin.
 */
async function linkDependencies(pkg: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const deps = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)];
  for (const dep of deps) {
    const target = dep.startsWith('@virtmig/')
      ? join(root, 'packages', dep.slice('@virtmig/'.length))
      : join(root, 'node_modules', dep);
    await mkdir(dirname(join(pkg, 'node_modules', dep)), { recursive: true });
    await symlink(target, join(pkg, 'node_modules', dep));
  }
  await mkdir(join(pkg, 'node_modules', '.bin'));
  await symlink('../typescript/bin/tsc', join(pkg, 'node_modules', '.bin', 'tsc'));
  await symlink('../mocha/bin/mocha.js', join(pkg, 'node_modules', '.bin', 'mocha'));
}

describe('virtmig new-driver', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'virtmig-new-driver-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe('refusals (exit 2, one line, nothing written)', () => {
    const badNames = [
      'Bad',
      'has space',
      '../evil',
      'a/b',
      'a;rm -rf x',
      '$(touch x)',
      '`id`',
      '-x',
      'x-',
      'a--b',
      '9lives',
      'x'.repeat(41),
      '',
    ];
    for (const name of badNames) {
      it(`refuses the name ${JSON.stringify(name)}`, async () => {
        // After `--`, so that a leading '-' reaches the name check instead of the option parser.
        const r = await virtmig('new-driver', '--dir', join(work, 'out'), '--', name);
        expect(r.code).to.equal(EXIT.USAGE);
        expect(r.stderr.trim().split('\n')).to.have.length(1);
        expect(await readdir(work)).to.deep.equal([]);
      });
    }

    for (const scheme of ['Ch', 'ch+ssh', 'c-h', 'ch;id', '1ch', '']) {
      it(`refuses the scheme ${JSON.stringify(scheme)}`, async () => {
        const r = await virtmig('new-driver', 'cloud', '--scheme', scheme, '--dir', join(work, 'out'));
        expect(r.code).to.equal(EXIT.USAGE);
        expect(r.stderr).to.match(/^virtmig: --scheme: .*\n$/);
        expect(await readdir(work)).to.deep.equal([]);
      });
    }

    it('asks for --scheme when the name cannot be one', async () => {
      const r = await virtmig('new-driver', 'cloud-hypervisor', '--dir', join(work, 'out'));
      expect(r.code).to.equal(EXIT.USAGE);
      expect(r.stderr).to.match(/^virtmig: --scheme: required.*\n$/);
      expect(await readdir(work)).to.deep.equal([]);
    });

    it('refuses a non-empty directory and leaves its contents as they were', async () => {
      await mkdir(join(work, 'out'));
      await writeFile(join(work, 'out', 'mine.txt'), 'keep me');
      const before = await tree(work);
      const r = await virtmig('new-driver', 'bhyve', '--dir', join(work, 'out'));
      expect(r.code).to.equal(EXIT.USAGE);
      expect(r.stderr).to.match(/^virtmig: --dir: .* is not empty\n$/);
      expect(await tree(work)).to.deep.equal(before);
    });

    it('refuses an existing file as --dir and leaves it as it was', async () => {
      await writeFile(join(work, 'out'), 'a file');
      const before = await tree(work);
      const r = await virtmig('new-driver', 'bhyve', '--dir', join(work, 'out'));
      expect(r.code).to.equal(EXIT.USAGE);
      expect(r.stderr).to.match(/^virtmig: --dir: .* is not a directory\n$/);
      expect(await tree(work)).to.deep.equal(before);
    });

    it('refuses a --dir whose parent does not exist, creating neither', async () => {
      const r = await virtmig('new-driver', 'bhyve', '--dir', join(work, 'missing', 'out'));
      expect(r.code).to.equal(EXIT.USAGE);
      expect(await readdir(work)).to.deep.equal([]);
    });

    it('fills an existing empty directory', async () => {
      await mkdir(join(work, 'out'));
      const result = await newDriver({
        name: 'bhyve',
        dir: join(work, 'out'),
        versions: { '@virtmig/core': '^1.0.0', '@virtmig/libvirt': '^1.0.0', '@virtmig/testing': '^1.0.0' },
      });
      expect(result.files).to.include('src/bhyve-hypervisor.ts');
      expect(await readdir(work)).to.deep.equal(['out']);
    });
  });

  it('a write that fails half-way leaves neither the package nor its temporary directory', async () => {
    const files = { 'a.txt': 'written first', 'bad\0name': 'cannot be written', 'z.txt': 'never reached' };
    const err = await writeTreeAtomically(join(work, 'out'), files).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
    expect(await readdir(work)).to.deep.equal([]);
  });

  it('asks for the @virtmig versions installed with the CLI', async () => {
    const version = (p: string) =>
      readFile(join(root, 'packages', p, 'package.json'), 'utf8').then((t) => `^${JSON.parse(t).version}`);
    expect(await installedVirtmigRanges()).to.deep.equal({
      '@virtmig/core': await version('core'),
      '@virtmig/libvirt': await version('libvirt'),
      '@virtmig/testing': await version('testing'),
    });
  });

  describe('a generated package, built and tested on its own', function () {
    this.timeout(180_000);

    it('is standalone, type-checks and passes its own tests, which run the conformance suite on its class', async () => {
      const dir = join(work, 'ch-driver');
      const r = await virtmig('new-driver', 'cloud-hypervisor', '--scheme', 'ch', '--dir', dir, '--json');
      expect(r.code, r.stderr).to.equal(EXIT.OK);
      expect(JSON.parse(r.stdout).files).to.include.members([
        'package.json',
        'tsconfig.json',
        'README.md',
        'src/cloud-hypervisor-hypervisor.ts',
        'test/conformance.test.ts',
        'test/binding-calls.test.ts',
      ]);
      const tsconfig = JSON.parse(await readFile(join(dir, 'tsconfig.json'), 'utf8'));
      expect(tsconfig).not.to.have.property('extends');
      expect(tsconfig).not.to.have.property('references');
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      expect(manifest.name).to.equal('virtmig-driver-cloud-hypervisor');
      expect(manifest.dependencies).to.deep.equal({ '@virtmig/core': '^0.1.0', '@virtmig/libvirt': '^0.1.0' });
      expect(manifest.devDependencies['@virtmig/testing']).to.equal('^0.1.0');
      expect(Object.values(manifest.devDependencies)).to.satisfy((rs: string[]) =>
        rs.every((v) => /^\^\d+\.\d+\.\d+$/.test(v)),
      );
      expect(manifest.files).to.deep.equal(['dist/src']);
      expect(manifest.scripts).to.include.keys('build', 'test');
      expect(await readFile(join(dir, 'src', 'cloud-hypervisor-hypervisor.ts'), 'utf8')).to.include(
        'export class CloudHypervisorHypervisor extends LibvirtHypervisor',
      );

      await linkDependencies(dir);
      const t = await npmTest(dir);
      expect(t.code, t.out).to.equal(0);
      expect(t.out).to.include('Hypervisor contract: CloudHypervisorHypervisor on ch:///system');
      expect(t.out).to.include('CloudHypervisorHypervisor libvirt calls');
      expect(t.out).to.match(/\b\d{2,} passing/);
      // Checks the suite finds not applicable (no migration peer) may be listed as pending; none may fail.
      expect(t.out).not.to.match(/\d+ failing/);
    });

    it("fails its conformance run when the class's capabilities claim what it cannot do", async () => {
      const dir = join(work, 'bhyve');
      expect((await virtmig('new-driver', 'bhyve', '--dir', dir)).code).to.equal(EXIT.OK);
      const caps = join(dir, 'src', 'capabilities.ts');
      const text = await readFile(caps, 'utf8');
      expect(text).to.include('  cpuCap: false,');
      await writeFile(caps, text.replace('  cpuCap: false,', '  cpuCap: true,'));
      await linkDependencies(dir);
      const t = await npmTest(dir);
      expect(t.code).not.to.equal(0);
      expect(t.out).to.match(
        /Hypervisor contract: BhyveHypervisor on bhyve:\/\/\/system[\s\S]*setCpuCap follows capabilities\.cpuCap/,
      );
      expect(t.out).to.match(/\b[1-9]\d* failing/);
    });
  });
});
