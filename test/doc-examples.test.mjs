// The package READMEs' code examples that need no lab, run exactly as written (each block is plain
// ES module code), as test/readme.test.mjs does for the root README's. Examples that need the lab
// or a driver package of your own say so in their README.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// [README, index of its ts/js block, what its output shows when it worked]
const EXAMPLES = [
  ['packages/core/README.md', 0, { stderr: /no driver registered for URI scheme "vbox"/ }],
  ['packages/core/README.md', 1, { stdout: /precopy at \d+ ms[\s\S]*round 1: 8\.0 MiB\/s dirtied/ }],
  ['packages/driver-test/README.md', 0, { stdout: /vm1.*cpuTime|cpuTime.*vm1/s }],
];

function codeBlocks(markdown) {
  return [...markdown.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('package README examples', () => {
  for (const [readme, index, expected] of EXAMPLES) {
    it(`${readme} example ${index + 1} runs as written`, async () => {
      const code = codeBlocks(readFileSync(join(root, readme), 'utf8'))[index];
      expect(code, `${readme} has ts/js example ${index + 1}`).to.be.a('string');
      // Written inside the repo so its imports resolve through the workspace's node_modules.
      const file = join(root, 'test', `.doc-example-${readme.replaceAll('/', '-')}-${index}.mjs`);
      writeFileSync(file, code);
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [file], { timeout: 60_000 });
        if (expected.stdout) expect(stdout).to.match(expected.stdout);
        if (expected.stderr) expect(stderr).to.match(expected.stderr);
      } finally {
        rmSync(file, { force: true });
      }
    });
  }
});
