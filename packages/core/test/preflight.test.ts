import { expect } from 'chai';
import {
  assertPreflightOptions,
  assertPreflightPassed,
  PREFLIGHT_CHECK_NAMES,
  type PreflightCheckName,
  PreflightError,
  type PreflightOutcome,
  runPreflightChecks,
} from '../src/index.js';

const subject = { domain: 'vm', sourceUri: 'x:///a', destinationUri: 'x:///b' };
const all = (
  f: (name: PreflightCheckName) => Promise<PreflightOutcome>,
): { [K in PreflightCheckName]: () => Promise<PreflightOutcome> } =>
  Object.fromEntries(PREFLIGHT_CHECK_NAMES.map((n) => [n, () => f(n)])) as {
    [K in PreflightCheckName]: () => Promise<PreflightOutcome>;
  };

describe('preflight (core)', () => {
  it('runs every check in order, timing each on the given clock, and is ok when none failed (skips included)', async () => {
    let t = 0;
    const r = await runPreflightChecks(
      subject,
      all(async (n) => {
        t += 2;
        return n === 'cpu-compatible' ? { status: 'skip', reason: 'no <cpu>' } : { status: 'pass', reason: 'fine' };
      }),
      () => t,
    );
    expect(r.checks.map((c) => c.name)).to.deep.equal([...PREFLIGHT_CHECK_NAMES]);
    expect(r.checks.every((c) => c.durationMs === 2)).to.equal(true);
    expect(r.durationMs).to.equal(14);
    expect(r.ok).to.equal(true);
    expect(() => assertPreflightPassed(r)).to.not.throw();
  });

  it('an unreachable destination skips every later check; a throwing check fails with its first line', async () => {
    const r = await runPreflightChecks(
      subject,
      all(async (n) => {
        if (n === 'destination-reachable') return { status: 'fail', reason: 'no answer' };
        throw new Error('never called');
      }),
    );
    expect(r.checks.slice(1).every((c) => c.status === 'skip')).to.equal(true);
    const thrown = await runPreflightChecks(
      subject,
      all(async (n) => {
        if (n === 'memory-available') throw new Error('boom\nsecond line');
        return { status: 'pass', reason: 'fine' };
      }),
    );
    expect(thrown.checks.find((c) => c.name === 'memory-available')).to.include({ status: 'fail', reason: 'boom' });
  });

  it('PreflightError has code E_PREFLIGHT, names the first failed check and lists every failed one in one line', async () => {
    const r = await runPreflightChecks(
      subject,
      all(async (n) =>
        n === 'name-free' || n === 'disks-reachable'
          ? { status: 'fail', reason: `${n} is bad` }
          : { status: 'pass', reason: 'fine' },
      ),
    );
    let e: unknown;
    try {
      assertPreflightPassed(r);
    } catch (err) {
      e = err;
    }
    expect(e).to.be.instanceOf(PreflightError);
    const p = e as PreflightError;
    expect(p.code).to.equal('E_PREFLIGHT');
    expect(p.check).to.equal('name-free');
    expect(p.details.failed).to.deep.equal(['name-free', 'disks-reachable']);
    expect(p.message).to.equal(
      'preflight of vm to x:///b refused: name-free: name-free is bad; disks-reachable: disks-reachable is bad',
    );
    expect(p.report).to.equal(r);
  });

  it('assertPreflightOptions refuses a non-object, an unknown key and a reserve that is not a whole number of MiB >= 0', () => {
    for (const bad of [null, 3, [], { memoryReserveMiB: -1 }, { memoryReserveMiB: 1.5 }, { reserve: 1 }]) {
      expect(() => assertPreflightOptions(bad), JSON.stringify(bad))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    }
    expect(() => assertPreflightOptions({ memoryReserveMiB: 0 })).to.not.throw();
  });
});
