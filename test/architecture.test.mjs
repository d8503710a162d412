// The package arrows of docs/architecture.md, checked: what each package's src/ imports from other
// @virtmig packages, and what its package.json declares as runtime dependencies (none unused). core is the
// vocabulary every package may use; tests (devDependencies) may also use @virtmig/testing and
// whatever their fixtures need.
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// The arrows block of docs/architecture.md: one `allowed, imports <- package` line per package.
function parseArrows(markdown) {
  const block = /```arrows\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (block === undefined) throw new Error('docs/architecture.md has no ```arrows block');
  const allowed = {};
  for (const line of block.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^\s*([a-z, -]*?)\s*<-\s*([a-z-]+)\s*$/.exec(line);
    if (!m) throw new Error(`docs/architecture.md: not an arrow line: ${line}`);
    if (m[2] in allowed) throw new Error(`docs/architecture.md: ${m[2]} has two arrow lines`);
    allowed[m[2]] = m[1] === '' ? [] : m[1].split(',').map((s) => s.trim());
  }
  return allowed;
}

const ALLOWED = parseArrows(readFileSync(join(repoRoot, 'docs', 'architecture.md'), 'utf8'));
const IMPORT = /(?:from\s+|import\s*\(\s*)'@virtmig\/([a-z-]+)'/g;

async function sourceFiles(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (/\.(ts|mts)$/.test(e.name)) out.push(p);
  }
  return out;
}

describe('package boundaries (docs/architecture.md arrows)', () => {
  it('every package under packages/ has its arrows line in docs/architecture.md', async () => {
    const dirs = (await readdir(join(repoRoot, 'packages'), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(dirs.sort()).to.deep.equal(Object.keys(ALLOWED).sort());
  });

  for (const [pkg, allowed] of Object.entries(ALLOWED)) {
    it(`${pkg}: src/ imports and runtime dependencies only along its arrows (${allowed.join(', ') || 'none'})`, async () => {
      const root = join(repoRoot, 'packages', pkg);
      const imported = new Map();
      for (const file of await sourceFiles(join(root, 'src'))) {
        for (const m of (await readFile(file, 'utf8')).matchAll(IMPORT)) {
          if (m[1] !== pkg) imported.set(m[1], file.slice(root.length + 1));
        }
      }
      const bad = [...imported].filter(([dep]) => !allowed.includes(dep)).map(([dep, file]) => `${dep} (${file})`);
      expect(bad, `${pkg} imports against the arrows`).to.deep.equal([]);
      const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
      const declared = Object.keys(manifest.dependencies ?? {})
        .filter((d) => d.startsWith('@virtmig/'))
        .map((d) => d.slice('@virtmig/'.length));
      expect(
        declared.filter((d) => !allowed.includes(d)),
        `${pkg} declares dependencies against the arrows`,
      ).to.deep.equal([]);
      expect(
        [...imported.keys()].filter((d) => !declared.includes(d)),
        `${pkg} imports packages its package.json does not declare`,
      ).to.deep.equal([]);
    });

    it(`${pkg}: every runtime dependency in its package.json is imported by src/ (tools and tests use devDependencies)`, async () => {
      const root = join(repoRoot, 'packages', pkg);
      const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
      const sources = await Promise.all((await sourceFiles(join(root, 'src'))).map((f) => readFile(f, 'utf8')));
      const unused = Object.keys(manifest.dependencies ?? {}).filter((dep) => {
        const quoted = new RegExp(`['"]${dep.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/[^'"]*)?['"]`);
        return !sources.some((text) => quoted.test(text));
      });
      expect(unused, `${pkg} declares dependencies its src/ never loads`).to.deep.equal([]);
    });
  }
});
