// npm pack/publish hook: puts the shim's C sources into native/ and builds the prebuilt
// linux-x64 shim into prebuilds/, then checks it needs nothing beyond libvirt's and glibc's
// versioned ABI, so the tarball works on any glibc linux-x64 with libvirt0.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shimPaths } from '../dist/src/locate.js';
import { buildShim, SHIM_SOURCES } from '../dist/src/shim-build.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const generated = join(pkg, '..', '..', 'native', 'libvirt-shim');
const paths = shimPaths(pkg);

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`prepack: the prebuilt shim is built on linux-x64 only, this is ${process.platform}-${process.arch}`);
  process.exit(1);
}
mkdirSync(paths.sourceDir, { recursive: true });
for (const file of SHIM_SOURCES) {
  const from = join(generated, file);
  if (existsSync(from)) copyFileSync(from, join(paths.sourceDir, file));
}
const built = buildShim(paths.sourceDir, paths.prebuilt);
if (built.status === 'failed') {
  console.error(`prepack: ${built.reason}. Fix: ${built.fix}`);
  process.exit(1);
}

const ALLOWED_NEEDED = new Set(['libvirt.so.0', 'libc.so.6']);
const needed = [
  ...execFileSync('readelf', ['-d', paths.prebuilt], { encoding: 'utf8' }).matchAll(/\(NEEDED\).*\[(.+)\]/g),
].map((m) => m[1]);
const undefinedSymbols = execFileSync('objdump', ['-T', paths.prebuilt], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => l.includes('*UND*') && !/\bw\b/.test(l.slice(17, 26)));
const unversioned = undefinedSymbols.filter((l) => !/\((LIBVIRT|GLIBC)_[0-9.]+\)/.test(l));
const problems = [
  ...needed.filter((n) => !ALLOWED_NEEDED.has(n)).map((n) => `needs ${n}`),
  ...unversioned.map((l) => `unversioned symbol ${l.trim().split(/\s+/).pop()}`),
];
if (problems.length > 0) {
  console.error(`prepack: ${paths.prebuilt} links beyond libvirt.so.0 and libc: ${problems.join(', ')}`);
  process.exit(1);
}
const newest = (prefix) =>
  [...new Set(undefinedSymbols.flatMap((l) => l.match(new RegExp(`${prefix}_[0-9.]+`, 'g')) ?? []))]
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .pop();
console.error(
  `prepack: ${paths.prebuilt}: NEEDED ${needed.join(', ')}; newest symbol versions ${newest('LIBVIRT')}, ${newest('GLIBC')}`,
);
