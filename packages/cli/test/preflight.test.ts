import { InvalidArgumentError, PreflightError, type PreflightReport } from '@virtmig/core';
import { expect } from 'chai';
import { migrationOptionsFromCli } from '../src/commands/migrate.js';
import { formatPreflightReport, preflightGuest } from '../src/commands/preflight.js';
import { EXIT, exitCodeFor } from '../src/exit-codes.js';

const REPORT: PreflightReport = {
  domain: 'vm',
  sourceUri: 'qemu:///a',
  destinationUri: 'qemu:///b',
  ok: false,
  startedAt: '2026-12-02T00:00:00.000Z',
  durationMs: 3.21,
  checks: [
    { name: 'destination-reachable', status: 'pass', reason: 'the destination daemon answers', durationMs: 0.5 },
    {
      name: 'cpu-compatible',
      status: 'fail',
      reason: "the destination cannot provide the guest's CPU: missing avx512f",
      durationMs: 1.25,
      suggestion: "<cpu mode='custom'><model>qemu64</model></cpu>",
    },
  ],
};

describe('virtmig preflight', () => {
  it('a preflight refusal exits 5 (REFUSED), distinct from every other failure', () => {
    expect(exitCodeFor(new PreflightError(REPORT)))
      .to.equal(EXIT.REFUSED)
      .and.equal(5);
    expect(Object.values(EXIT).filter((c) => c === 5)).to.have.length(1);
  });

  it('prints one line per check with its status, time and reason, the verdict, and the CPU baseline suggestion', () => {
    const text = formatPreflightReport(REPORT);
    const lines = text.split('\n');
    expect(lines[1]).to.match(/^PASS +destination-reachable +0\.5 ms +the destination daemon answers$/);
    expect(lines[2]).to.match(
      /^FAIL +cpu-compatible +1\.3 ms +the destination cannot provide the guest's CPU: missing avx512f$/,
    );
    expect(text).to.contain('refused: vm qemu:///a -> qemu:///b in 3.2 ms');
    expect(text).to.contain("cpu-compatible: suggested instead:\n<cpu mode='custom'><model>qemu64</model></cpu>");
  });

  it('refuses a bad guest, host or --reserve with E_INVALID_ARGUMENT naming the flag before any host is asked', async () => {
    const cases: [string, Parameters<typeof preflightGuest>[1], string][] = [
      ['bad name!', { from: 'a', to: 'b' }, 'guest'],
      ['vm', { from: 'xen:///x', to: 'b' }, '--from'],
      ['vm', { from: 'a', to: 'http://b' }, '--to'],
      ['vm', { from: 'a', to: 'b', reserve: '-3' }, '--reserve'],
    ];
    for (const [guest, o, field] of cases) {
      const e = await preflightGuest(guest, o).catch((x: unknown) => x);
      expect(e, field).to.be.instanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).field).to.equal(field);
    }
  });

  it('virtmig migrate maps --no-preflight to preflight: false and --reserve to the preflight reserve, and refuses both together', () => {
    expect(migrationOptionsFromCli({ from: 'a', to: 'b', preflight: false })).to.deep.equal({ preflight: false });
    expect(migrationOptionsFromCli({ from: 'a', to: 'b', preflight: true, reserve: '256' })).to.deep.equal({
      preflight: { memoryReserveMiB: 256 },
    });
    expect(migrationOptionsFromCli({ from: 'a', to: 'b', preflight: true })).to.deep.equal({});
    expect(() => migrationOptionsFromCli({ from: 'a', to: 'b', preflight: false, reserve: '1' }))
      .to.throw(InvalidArgumentError)
      .with.property('field', '--reserve');
  });
});
