import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSpec } from '@virtmig/bench';
import { DriverRegistry, UnknownSchemeError, UnsupportedError } from '@virtmig/core';
import { registerTestDriver } from '@virtmig/driver-test';
import { expect } from 'chai';
import { checkRunnable, runCommand } from '../src/commands/run.js';
import { cliRegistry } from '../src/drivers.js';

const spec = (over: Record<string, unknown> = {}) =>
  validateSpec({
    name: 'checks',
    driver: 'test',
    hosts: [{ source: 'test:///default', destination: 'test:///default' }],
    guest: { image: 'none' },
    workloads: ['dhrystone'],
    matrix: { ramMiB: [128], vcpus: [1], capPercent: [0], trials: 1 },
    ...over,
  });

describe('virtmig run checks before creating anything', () => {
  it('refuses a driver that is not registered with E_UNKNOWN_SCHEME', () => {
    const s = spec({ driver: 'nosuch', hosts: [{ source: 'nosuch:///a', destination: 'nosuch:///b' }] });
    expect(() => checkRunnable(cliRegistry(), s)).to.throw(UnknownSchemeError, /nosuch/);
  });

  it('refuses CPU caps on the test driver, whose declared capabilities lack cpuCap', () => {
    const s = spec({ matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 } });
    expect(() => checkRunnable(cliRegistry(), s)).to.throw(UnsupportedError, /CPU caps/);
  });

  it('refuses migration on the test driver, which cannot migrate', () => {
    // A spec cannot name two test hosts (the URI policy allows test:///default only), so the
    // capability check is reached here with a validated spec whose migration is switched on after.
    const s = spec();
    const migrating = { ...s, migration: { ...s.migration, enabled: true } };
    expect(() => checkRunnable(cliRegistry(), migrating)).to.throw(UnsupportedError, /live migration/);
  });

  it('accepts an uncapped, non-migrating spec on the test driver', () => {
    expect(() => checkRunnable(cliRegistry(), spec())).not.to.throw();
  });

  it('creates neither the database nor its directory for a refused spec', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtmig-run-checks-'));
    try {
      const db = join(dir, 'sub', 'x.db');
      const testOnly = new DriverRegistry();
      registerTestDriver(testOnly);
      const err = await runCommand(testOnly, undefined, { preset: 'paper', db }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // The paper preset runs on the lab (QEMU): with only the test driver registered it is refused.
      expect(err).to.be.instanceOf(UnknownSchemeError);
      expect(existsSync(join(dir, 'sub'))).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
