import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { buildShim, resolveShim, SHIM_ENV, ShimMissingError, type ShimPaths, shimPaths } from '../src/index.js';

describe('resolveShim', () => {
  let dir: string;
  let paths: ShimPaths;
  const savedEnv = process.env[SHIM_ENV];
  const opened: string[] = [];
  const open = (path: string): string => {
    opened.push(path);
    return `lib:${path}`;
  };
  const failOn =
    (bad: string) =>
    (path: string): string => {
      if (path === bad) throw new Error(`${path}: wrong ELF class: ELFCLASS32\nmore`);
      return open(path);
    };
  const touch = (p: string): void => {
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, '');
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtmig-locate-'));
    paths = shimPaths(dir);
    opened.length = 0;
    delete process.env[SHIM_ENV];
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedEnv === undefined) delete process.env[SHIM_ENV];
    else process.env[SHIM_ENV] = savedEnv;
  });

  it('places every shim path inside the package directory, the prebuilt one per platform and architecture', () => {
    expect(paths.built).to.equal(join(dir, 'build', 'libvirtmig-shim.so'));
    expect(paths.prebuilt).to.equal(
      join(dir, 'prebuilds', `${process.platform}-${process.arch}`, 'libvirtmig-shim.so'),
    );
    expect(paths.sourceDir).to.equal(join(dir, 'native'));
  });

  it('uses $VIRTMIG_LIBVIRT_SHIM alone, even when the package has its own shims', () => {
    touch(paths.built);
    const own = join(dir, 'mine.so');
    touch(own);
    process.env[SHIM_ENV] = own;
    expect(resolveShim(open, paths)).to.deep.include({ status: 'found', path: own, origin: 'env' });
    expect(opened).to.deep.equal([own]);
  });

  it('reports a $VIRTMIG_LIBVIRT_SHIM that does not exist instead of falling back', () => {
    touch(paths.prebuilt);
    process.env[SHIM_ENV] = join(dir, 'absent.so');
    const r = resolveShim(open, paths);
    expect(r).to.deep.include({ status: 'missing' });
    expect(r.status === 'missing' && r.reason).to.include(`${SHIM_ENV} names`);
    expect(opened).to.deep.equal([]);
  });

  it('prefers the shim built on this machine over the prebuilt one', () => {
    touch(paths.built);
    touch(paths.prebuilt);
    expect(resolveShim(open, paths)).to.deep.include({ path: paths.built, origin: 'built' });
  });

  it('uses the prebuilt shim when nothing was built here', () => {
    touch(paths.prebuilt);
    expect(resolveShim(open, paths)).to.deep.include({ path: paths.prebuilt, origin: 'prebuilt' });
  });

  it('names why the prebuilt shim did not load and that the sources to build one are missing', () => {
    touch(paths.prebuilt);
    const r = resolveShim(failOn(paths.prebuilt), paths);
    expect(r.status).to.equal('missing');
    if (r.status !== 'missing') return;
    expect(r.reason).to.include('wrong ELF class').and.include("the shim's C sources are missing");
    expect(r.reason).not.to.include('more');
    expect(r.fix).to.include('reinstall @virtmig/libvirt');
    const err = new ShimMissingError(r);
    expect(err.code).to.equal('E_FUNCTION_UNAVAILABLE');
    expect(err.message).to.include(r.fix);
  });
});

describe('buildShim', () => {
  it('names a missing C compiler and how to install one, creating no library', () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtmig-build-'));
    const savedCc = process.env.CC;
    try {
      for (const f of ['shim.c', 'support.c', 'events.c']) writeFileSync(join(dir, f), '');
      process.env.CC = join(dir, 'no-such-cc');
      const out = join(dir, 'out', 'libvirtmig-shim.so');
      const r = buildShim(dir, out);
      expect(r).to.deep.include({ status: 'failed' });
      expect(r.status === 'failed' && r.fix).to.include('build-essential');
      expect(r.status === 'failed' && r.reason).to.include('no C compiler');
      expect(existsSync(out)).to.equal(false);
    } finally {
      if (savedCc === undefined) delete process.env.CC;
      else process.env.CC = savedCc;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names missing libvirt headers (libvirt-dev) when the real compiler cannot find them, leaving nothing behind', function () {
    this.timeout(60_000);
    // The real compiler and the real shim sources against a system root that is this machine's
    // minus /usr/include/libvirt: what a machine without libvirt-dev looks like to cc.
    const dir = mkdtempSync(join(tmpdir(), 'virtmig-build-'));
    const savedCc = process.env.CC;
    try {
      const include = join(dir, 'root', 'usr', 'include');
      mkdirSync(include, { recursive: true });
      for (const e of readdirSync('/usr/include'))
        if (e !== 'libvirt') symlinkSync(join('/usr/include', e), join(include, e));
      symlinkSync('/usr/lib', join(dir, 'root', 'usr', 'lib'));
      const cc = join(dir, 'cc');
      writeFileSync(cc, `#!/bin/sh\nexec cc --sysroot=${join(dir, 'root')} "$@"\n`);
      chmodSync(cc, 0o755);
      process.env.CC = cc;
      // The repository's shim sources (the package's native/ copy exists only in a packed tarball).
      const sources = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'native', 'libvirt-shim');
      const out = join(dir, 'out', 'libvirtmig-shim.so');
      const r = buildShim(sources, out);
      expect(r).to.deep.include({
        status: 'failed',
        reason: 'the libvirt headers or libvirt.so are missing (libvirt-dev)',
      });
      expect(r.status === 'failed' && r.fix).to.include('libvirt-dev');
      expect(readdirSync(join(dir, 'out'))).to.deep.equal([]);
    } finally {
      if (savedCc === undefined) delete process.env.CC;
      else process.env.CC = savedCc;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
