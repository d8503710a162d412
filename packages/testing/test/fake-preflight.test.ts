import { PREFLIGHT_CHECK_NAMES, type PreflightError } from '@virtmig/core';
import { expect } from 'chai';
import { type FakeHostOptions, FakeHypervisor, FakeNetwork, ManualClock } from '../src/index.js';
import { rejectsWith } from './helpers.js';

/** Hosts a and b (b with `bOptions`), a 512 MiB guest `vm` running on a. */
async function pair(bOptions: FakeHostOptions = {}, aOptions: FakeHostOptions = {}) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const network = new FakeNetwork({ clock });
  network.addHost('a', aOptions);
  network.addHost('b', bOptions);
  const a = new FakeHypervisor({ network, host: 'a' });
  const b = new FakeHypervisor({ network, host: 'b' });
  await a.defineDomain({ name: 'vm', memoryMiB: 512, vcpus: 1, disks: [{ kind: 'file', path: '/srv/a/vm.img' }] });
  await a.startDomain('vm');
  return { clock, network, a, b };
}

const failedChecks = (r: { checks: readonly { name: string; status: string }[] }) =>
  r.checks.filter((c) => c.status === 'fail').map((c) => c.name);

/** Migrates and expects a refusal naming `check`, with the guest still running on a and nothing on b. */
async function expectRefused(
  p: Awaited<ReturnType<typeof pair>>,
  check: string,
  options = {},
  onDestination?: string,
): Promise<void> {
  const e = (await rejectsWith(p.a.migrate('vm', p.b, options), 'E_PREFLIGHT')) as PreflightError;
  expect(e.check).to.equal(check);
  expect(e.report.ok).to.equal(false);
  expect(e.message).to.contain(`refused: ${check}: `);
  expect((await p.a.lookupDomain('vm')).state).to.equal('running');
  if (onDestination === undefined) await rejectsWith(p.b.lookupDomain('vm'), 'E_NOT_FOUND');
  else expect((await p.b.lookupDomain('vm')).uuid, "the destination's own domain").to.equal(onDestination);
}

describe('FakeHypervisor preflight', () => {
  it('passes every check between two default hosts, in order, and migrate attaches the report to its result', async () => {
    const p = await pair();
    const r = await p.a.preflight('vm', p.b);
    expect(r.ok).to.equal(true);
    expect(r.checks.map((c) => c.name)).to.deep.equal([...PREFLIGHT_CHECK_NAMES]);
    expect(r.checks.every((c) => c.status === 'pass')).to.equal(true);
    expect(r).to.include({ domain: 'vm', sourceUri: 'fake:///a', destinationUri: 'fake:///b' });
    const migrating = p.a.migrate('vm', p.b);
    await p.clock.runAll();
    const m = await migrating;
    expect(m.preflight?.ok).to.equal(true);
  });

  it('an unreachable destination fails destination-reachable and skips every later check', async () => {
    const p = await pair();
    p.network.setReachable('b', false);
    const r = await p.a.preflight('vm', p.b);
    expect(failedChecks(r)).to.deep.equal(['destination-reachable']);
    expect(
      r.checks.slice(1).every((c) => c.status === 'skip' && c.reason === 'the destination is unreachable'),
    ).to.equal(true);
    await expectRefused(p, 'destination-reachable');
  });

  it('another domain of that name on the destination fails name-free', async () => {
    const p = await pair();
    const theirs = await p.b.defineDomain({ name: 'vm', memoryMiB: 64, vcpus: 1 });
    const r = await p.a.preflight('vm', p.b);
    expect(failedChecks(r)).to.deep.equal(['name-free']);
    expect(r.checks[1]?.reason).to.match(/another domain named vm \(UUID [-0-9a-f]+, shutoff\)/);
    await expectRefused(p, 'name-free', {}, theirs.uuid);
  });

  it('a destination with another CPU model fails cpu-compatible', async () => {
    const p = await pair({ model: 'Other CPU' });
    expect(failedChecks(await p.a.preflight('vm', p.b))).to.deep.equal(['cpu-compatible']);
    await expectRefused(p, 'cpu-compatible');
  });

  it('a destination with less free memory than the guest fails memory-available, counting its running guests', async () => {
    const p = await pair({ memoryMiB: 1024 });
    expect((await p.a.preflight('vm', p.b)).ok).to.equal(true);
    await p.b.defineDomain({ name: 'big', memoryMiB: 600, vcpus: 1 });
    await p.b.startDomain('big');
    const r = await p.a.preflight('vm', p.b);
    expect(failedChecks(r)).to.deep.equal(['memory-available']);
    expect(r.checks.find((c) => c.name === 'memory-available')?.reason).to.equal(
      'needs 512 MiB + 0 MiB reserve, 424 MiB free',
    );
    await expectRefused(p, 'memory-available');
  });

  it("the caller's memory reserve counts: a reserve above the destination's spare memory fails memory-available", async () => {
    const p = await pair({ memoryMiB: 1024 });
    expect((await p.a.preflight('vm', p.b, { memoryReserveMiB: 512 })).ok).to.equal(true);
    expect(failedChecks(await p.a.preflight('vm', p.b, { memoryReserveMiB: 513 }))).to.deep.equal(['memory-available']);
    await expectRefused(p, 'memory-available', { preflight: { memoryReserveMiB: 513 } });
  });

  it("a file disk outside the destination's storage paths fails disks-reachable; inside them it passes", async () => {
    const outside = await pair({ storagePaths: ['/srv/b'] });
    expect(failedChecks(await outside.a.preflight('vm', outside.b))).to.deep.equal(['disks-reachable']);
    await expectRefused(outside, 'disks-reachable');
    const inside = await pair({ storagePaths: ['/srv/a'] });
    expect((await inside.a.preflight('vm', inside.b)).ok).to.equal(true);
  });

  it('preflight: false skips the checks, so the migration itself meets the unreachable destination', async () => {
    const p = await pair();
    p.network.setReachable('b', false);
    const migrating = rejectsWith(p.a.migrate('vm', p.b, { preflight: false }), 'E_MIGRATION_FAILED');
    await p.clock.runAll();
    await migrating;
  });

  it('refuses bad input with E_INVALID_ARGUMENT before anything runs, a missing guest with E_NOT_FOUND, a closed connection with E_CLOSED', async () => {
    const p = await pair();
    await rejectsWith(p.a.preflight('vm', p.b, { memoryReserveMiB: -1 }), 'E_INVALID_ARGUMENT');
    await rejectsWith(
      p.a.preflight('vm', p.b, { nope: 1 } as unknown as { memoryReserveMiB: number }),
      'E_INVALID_ARGUMENT',
    );
    await rejectsWith(p.a.migrate('vm', p.b, { preflight: { memoryReserveMiB: 1.5 } }), 'E_INVALID_ARGUMENT');
    await rejectsWith(p.a.preflight('bad name!', p.b), 'E_INVALID_ARGUMENT');
    await rejectsWith(p.a.preflight('missing', p.b), 'E_NOT_FOUND');
    expect((await p.a.lookupDomain('vm')).state).to.equal('running');
    await p.a.close();
    await rejectsWith(p.a.preflight('vm', p.b), 'E_CLOSED');
  });
});
