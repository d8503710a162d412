import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const fixture = fileURLToPath(new URL('./fixtures/node-test-conformance.js', import.meta.url));

/** Runs the fixture with `node --test` (TAP output) and returns its exit code and output. */
async function nodeTest(env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--test', '--test-reporter=tap', fixture], {
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: err.stdout ?? '' };
  }
}

function count(out: string, what: string): number {
  return Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(out)?.[1] ?? Number.NaN);
}

describe('the conformance kit under node:test (node --test in a child process)', function () {
  this.timeout(240_000);

  it('runs every applicable check on test:///default, passing, with the skip reported as skipped with its reason', async () => {
    const { code, out } = await nodeTest();
    expect(code, out).to.equal(0);
    expect(count(out, 'fail'), out).to.equal(0);
    expect(count(out, 'pass'), out).to.be.greaterThan(50);
    expect(out).to.match(
      /lifecycle\/shutdown skipped: listed as skipped by node:test # SKIP listed as skipped by node:test/,
    );
    expect(out).to.match(/ok \d+ - lifecycle\/define-start: /);
  });

  it('fails a broken driver on the ids of the checks it breaks', async () => {
    const { code, out } = await nodeTest({ KIT_BREAK_SUSPEND: '1' });
    expect(code).to.not.equal(0);
    expect(out).to.match(/not ok \d+ - lifecycle\/suspend: /);
    expect(out).to.match(/ok \d+ - lifecycle\/define-start: /);
  });
});
