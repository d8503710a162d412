// The packages as a new user gets them: published to a real (local) registry, installed into a
// project outside this repository, then used through the README's SDK example and the CLI.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { freshProject, publishAll, readmeSdkExample, startRegistry } from './registry.mjs';

const run = promisify(execFile);

async function doctor(project, env = {}) {
  try {
    const { stdout } = await project.exec('npx', ['virtmig', 'doctor', '--json'], { env: { ...process.env, ...env } });
    return JSON.parse(stdout);
  } catch (e) {
    // doctor exits 4 when a required component is missing; its JSON is still on stdout.
    if (e.code === 4) return JSON.parse(e.stdout);
    throw e;
  }
}

describe('packages installed from a registry', function () {
  this.timeout(600_000);
  let registry;
  let tarballs;
  let project;

  before(async () => {
    registry = await startRegistry();
    try {
      tarballs = await publishAll(registry);
      project = await freshProject(registry, ['@virtmig/cli', '@virtmig/testing', '@virtmig/core']);
      const { stdout } = await run('du', ['-sh', 'node_modules'], { cwd: project.dir });
      console.log(`      default install: ${(project.installMs / 1000).toFixed(0)} s, ${stdout.split('\t')[0]}`);
    } catch (e) {
      await registry.stop();
      throw e;
    }
  });

  after(async () => {
    await project?.remove();
    await registry?.stop();
  });

  it('ships @virtmig/libvirt with its prebuilt linux-x64 shim, the shim C source and a LICENSE', async () => {
    const { stdout } = await run('tar', ['-tzf', tarballs['@virtmig/libvirt']]);
    expect(stdout.split('\n')).to.include.members([
      'package/prebuilds/linux-x64/libvirtmig-shim.so',
      'package/native/shim.c',
      'package/native/support.c',
      'package/native/events.c',
      'package/LICENSE',
    ]);
    expect(stdout).not.to.match(/package\/build\//);
  });

  it('ships the TypeScript sources that every source map points at', async () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const files = (await run('tar', ['-tzf', tarball])).stdout.split('\n');
      for (const map of files.filter((f) => f.endsWith('.js.map'))) {
        const { stdout } = await run('tar', ['-xzOf', tarball, map], { maxBuffer: 16 << 20 });
        for (const source of JSON.parse(stdout).sources) {
          const shipped = join(map, '..', source);
          expect(files, `${name}: ${map} -> ${source}`).to.include(shipped);
        }
      }
    }
  });

  it('installs without compiling an FFI engine: ffi-napi is not installed by default', () => {
    expect(existsSync(join(project.dir, 'node_modules', '@2060.io', 'ffi-napi'))).to.equal(false);
    expect(existsSync(join(project.dir, 'node_modules', 'koffi'))).to.equal(true);
  });

  it("runs the README's SDK example on test:///default", async () => {
    await writeFile(join(project.dir, 'example.mjs'), await readmeSdkExample());
    const { stdout } = await project.exec(process.execPath, ['example.mjs']);
    expect(stdout).to.match(/state: 'running'/);
    expect(stdout).to.match(/'vm1 defined'.*'vm1 started'.*'vm1 stopped'.*'vm1 undefined'/s);
  });

  it('npx virtmig doctor --json reports the prebuilt shim from the installed package', async () => {
    const shim = (await doctor(project)).find((c) => c.name === 'libvirt shim');
    expect(shim.ok).to.equal(true);
    expect(shim.detail).to.include(join('node_modules', '@virtmig', 'libvirt', 'prebuilds', 'linux-x64'));
    expect(shim.detail).to.include('prebuilt');
  });

  it('npx virtmig inventory test:///default --json lists the test driver host and its domain', async () => {
    const { stdout } = await project.exec('npx', ['virtmig', 'inventory', 'test:///default', '--json']);
    expect(stdout).to.include('test:///default');
    expect(stdout).to.include('"test"');
  });

  it('selecting the absent ffi-napi engine is a typed error that says how to add it', async () => {
    const lib = (await doctor(project, { VIRTMIG_FFI_ENGINE: 'ffi-napi' })).find((c) => c.name === 'libvirt library');
    expect(lib.ok).to.equal(false);
    expect(lib.detail).to.include('npm install @2060.io/ffi-napi @2060.io/ref-napi');
  });

  it('builds the shim from the shipped source on first use when the prebuilt one cannot load', async () => {
    const prebuilt = join(
      project.dir,
      'node_modules',
      '@virtmig',
      'libvirt',
      'prebuilds',
      'linux-x64',
      'libvirtmig-shim.so',
    );
    const original = await readFile(prebuilt);
    await writeFile(prebuilt, 'not an ELF file');
    try {
      const shim = (await doctor(project)).find((c) => c.name === 'libvirt shim');
      expect(shim.ok).to.equal(true);
      expect(shim.detail).to.include(join('node_modules', '@virtmig', 'libvirt', 'build', 'libvirtmig-shim.so'));
      expect(shim.detail).to.include('built from source on first use');
    } finally {
      await writeFile(prebuilt, original);
    }
  });
  it('a package written by npx virtmig new-driver installs from the registry and its npm test passes on the new class', async () => {
    const dir = join(project.dir, 'virtmig-driver-acme');
    await project.exec('npx', ['virtmig', 'new-driver', 'acme', '--dir', dir]);
    // The scaffold is a standalone package: it takes @virtmig/* from the same registry as a user would.
    await writeFile(join(dir, '.npmrc'), await readFile(join(project.dir, '.npmrc')));
    await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 16 << 20, timeout: 300_000 });
    const { stdout } = await run('npm', ['test'], { cwd: dir, maxBuffer: 16 << 20, timeout: 300_000 });
    expect(stdout).to.match(/\d+ passing/);
    expect(stdout).not.to.match(/\d+ failing/);
    // The conformance run names its checks by id, so it ran the kit on AcmeHypervisor, not a fake.
    expect(stdout).to.match(/lifecycle\//);
  });
});
