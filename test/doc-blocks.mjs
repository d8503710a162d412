// The code examples of the project's Markdown, in one place: which files hold them, how a ```ts
// block is found, and how one is turned into plain ES module code to run (the examples are
// TypeScript, type-checked by test/doc-examples.test.mjs; running them needs the types stripped).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository's root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// Generated (docs/api), installed or built trees hold no examples of ours.
const SKIP = new Set(['node_modules', 'dist', 'build', '.git', '.cache', 'api', 'results', 'prebuilds']);

/** Every Markdown file of the project, relative to the root, sorted. */
export function markdownFiles(dir = ROOT) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry) || entry.startsWith('.doc-')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...markdownFiles(path));
    else if (entry.endsWith('.md')) out.push(relative(ROOT, path));
  }
  return out.sort();
}

/** The ```ts blocks of a Markdown text, in order. */
export function tsBlocks(markdown) {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** The `index`-th ```ts block of a file (relative to the root), or undefined. */
export function tsBlockOf(file, index) {
  return tsBlocks(readFileSync(join(ROOT, file), 'utf8'))[index];
}

/** A TypeScript example as ES module JavaScript that Node runs as written (types removed). */
export function runnable(code) {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
}
