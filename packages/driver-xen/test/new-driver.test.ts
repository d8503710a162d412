import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
// dist/test/ -> the repository root.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const generator = join(root, 'scripts', 'new-driver');

describe('scripts/new-driver', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'virtmig-new-driver-'));
    // A miniature workspace around the generated package: the shared tsconfig, the packages it
    // references and node_modules, so its relative paths resolve as they do in packages/.
    await mkdir(join(work, 'packages'));
    await symlink(join(root, 'tsconfig.base.json'), join(work, 'tsconfig.base.json'));
    await symlink(join(root, 'node_modules'), join(work, 'node_modules'));
    for (const p of ['core', 'libvirt', 'testing']) await symlink(join(root, 'packages', p), join(work, 'packages', p));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('generates a driver package with every name substituted that type-checks against core, libvirt and testing', async function () {
    this.timeout(60_000);
    const dest = join(work, 'packages', 'driver-bhyve');
    const { stdout } = await run(generator, ['bhyve', '--dest', dest]);
    expect(stdout).to.match(/created .*driver-bhyve/);
    const files = (await readdir(dest, { recursive: true })).map(String).sort();
    expect(files).to.include.members([
      'package.json',
      'src/bhyve-hypervisor.ts',
      'src/index.ts',
      'test/conformance.test.ts',
    ]);
    for (const f of files.filter((x) => /\.(ts|json|md)$/.test(x))) {
      expect(await readFile(join(dest, f), 'utf8'), f).not.to.match(/__(name|Name|NAME)__/);
    }
    expect(JSON.parse(await readFile(join(dest, 'package.json'), 'utf8')).name).to.equal('@virtmig/driver-bhyve');
    expect(await readFile(join(dest, 'src', 'bhyve-hypervisor.ts'), 'utf8')).to.include(
      'export class BhyveHypervisor extends LibvirtHypervisor',
    );
    await run(process.execPath, [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(dest, 'tsconfig.json'),
      '--noEmit',
    ]);
  });

  it('refuses a name that cannot be a URI scheme, and an existing destination, with exit code 2', async () => {
    for (const args of [['Bad'], ['has-dash'], ['xen', '--dest', join(root, 'packages', 'driver-xen')]]) {
      const err = (await run(generator, args).then(
        () => null,
        (e: unknown) => e,
      )) as { code?: number; stderr?: string } | null;
      expect(err?.code, args.join(' ')).to.equal(2);
      expect(err?.stderr).to.match(/^new-driver: /);
    }
  });
});
