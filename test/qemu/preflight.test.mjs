// The preflight on the lab's two real libvirt hosts: a normal guest passes and migrates with its
// cost recorded as the start of the reservation stage; a destination without enough memory and a
// disk only the source's storage pools hold are refused with the check's name, by the library,
// by `virtmig preflight` (exit 5) and by `virtmig migrate`, leaving the guest running on the
// source and nothing on the destination. The CPU check compares for real on b; see the last test
// for why the lab's identical hosts cannot plant a CPU refusal.

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { labPair, prefix, rejectsWith, virtmig } from './helpers.mjs';

const run = promisify(execFile);

/** A copy of a running lab guest's definition under a new name, with `edit` applied to its XML. */
async function variant(h, from, name, edit) {
  const xml = (await h.domainXml(from))
    .replace(/<uuid>[^<]*<\/uuid>/, '')
    .replace(`<name>${from}</name>`, `<name>${name}</name>`)
    .replaceAll(`${from}.log`, `${name}.log`)
    .replace(/<cpu\b[\s\S]*?<\/cpu>|<cpu\b[^>]*\/>/, '');
  return edit(xml);
}

/** Expects `name` running on the source and absent from the destination. */
async function expectOnSourceOnly(a, b, name) {
  expect((await a.lookupDomain(name)).state).to.equal('running');
  await rejectsWith(() => b.lookupDomain(name), 'E_NOT_FOUND');
}

describe('preflight on the lab', function () {
  this.timeout(300_000);
  // Registered before labPair's hooks, so it runs while the hosts are still open.
  const extra = [];
  after(async () => {
    for (const [h, name] of extra) {
      await h.destroyDomain(name).catch(() => undefined);
      await h.undefineDomain(name).catch(() => undefined);
    }
  });
  const lab = labPair('pre');

  it('a normal lab guest passes every check, and migrate records the preflight as the start of the reservation stage', async () => {
    const { a, b, status } = lab;
    const name = await lab.guest('a');
    const r = await a.preflight(name, b);
    expect(r.ok, JSON.stringify(r.checks)).to.equal(true);
    expect(r.checks.find((c) => c.name === 'cpu-compatible').status, 'a real comparison on b').to.equal('pass');
    const cli = await virtmig('preflight', name, '--from', 'a', '--to', 'b', '--prefix', prefix, '--json');
    expect(cli.code, cli.stderr).to.equal(0);
    expect(JSON.parse(cli.stdout).ok).to.equal(true);
    const m = await a.migrate(name, b, { migrateUri: `tcp://${status.hosts[1].address}` });
    expect(m.preflight.ok).to.equal(true);
    expect(m.stages.reservation.startMs).to.equal(0);
    expect(m.stages.reservation.endMs).to.be.at.least(Math.round(m.preflight.durationMs));
    expect((await b.lookupDomain(name)).state).to.equal('running');
    const costs = [r.durationMs, m.preflight.durationMs].map((x) => x.toFixed(1));
    console.log(
      `      preflight cost: ${costs.join(' ms, ')} ms; reservation ${m.stages.reservation.endMs} ms of ${m.totalTimeMs} ms`,
    );
  });

  it('a destination without enough free memory (a reserve above it) is refused with memory-available', async () => {
    const { a, b } = lab;
    const name = await lab.guest('a');
    const free = await b.connection.freeMemoryBytes();
    const memoryReserveMiB = Math.ceil(free / 2 ** 20);
    const r = await a.preflight(name, b, { memoryReserveMiB });
    expect(r.ok).to.equal(false);
    expect(r.checks.filter((c) => c.status === 'fail').map((c) => c.name)).to.deep.equal(['memory-available']);
    const e = await rejectsWith(() => a.migrate(name, b, { preflight: { memoryReserveMiB } }), 'E_PREFLIGHT');
    expect(e.check).to.equal('memory-available');
    await expectOnSourceOnly(a, b, name);
    const cli = await virtmig(
      'preflight',
      name,
      '--from',
      'a',
      '--to',
      'b',
      '--reserve',
      String(memoryReserveMiB),
      '--prefix',
      prefix,
    );
    expect(cli.code).to.equal(5);
    expect(cli.stdout).to.match(/FAIL +memory-available .*needs 128 MiB \+ \d+ MiB reserve, \d+ MiB free/);
    const mig = await virtmig(
      'migrate',
      name,
      '--from',
      'a',
      '--to',
      'b',
      '--reserve',
      String(memoryReserveMiB),
      '--prefix',
      prefix,
    );
    expect(mig.code).to.equal(5);
    expect(mig.stderr.trim().split('\n')).to.have.length(1);
    expect(mig.stderr).to.contain('refused: memory-available: needs 128 MiB');
    await expectOnSourceOnly(a, b, name);
  });

  it('a disk in a directory pool only the source defines is refused with disks-reachable; the same pool on both hosts passes', async () => {
    const { a, b, status } = lab;
    const base = await lab.guest('a');
    const dir = `${status.stateDir}/pool-pre-${process.pid}`;
    const pool = `pre-${process.pid}`;
    mkdirSync(dir, { recursive: true });
    const disk = `${dir}/disk.img`;
    writeFileSync(disk, Buffer.alloc(1 << 20));
    const virsh = (h, ...args) => run('virsh', ['-c', status.hosts[h].uri, ...args]);
    try {
      await virsh(0, 'pool-create-as', pool, 'dir', '--target', dir);
      const name = `${base}d`;
      const xml = await variant(a, base, name, (x) =>
        x.replace(
          '</devices>',
          `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vdb' bus='virtio'/></disk></devices>`,
        ),
      );
      extra.push([a, name]);
      await a.defineDomain({ name, memoryMiB: 128, vcpus: 1, xml });
      await a.startDomain(name);
      const r = await a.preflight(name, b);
      const failed = r.checks.filter((c) => c.status === 'fail');
      expect(failed.map((c) => c.name)).to.deep.equal(['disks-reachable']);
      expect(failed[0].reason).to.contain(disk);
      const e = await rejectsWith(() => a.migrate(name, b), 'E_PREFLIGHT');
      expect(e.check).to.equal('disks-reachable');
      await expectOnSourceOnly(a, b, name);
      const cli = await virtmig('preflight', name, '--from', 'a', '--to', 'b', '--prefix', prefix, '--json');
      expect(cli.code).to.equal(5);
      expect(JSON.parse(cli.stdout).checks.find((c) => c.name === 'disks-reachable').status).to.equal('fail');
      expect(cli.stderr).to.contain('refused: disks-reachable');
      // The directory is one filesystem for both lab hosts: once b's libvirt has it as a pool too, it counts as shared.
      await virsh(1, 'pool-create-as', pool, 'dir', '--target', dir);
      const shared = await a.preflight(name, b);
      expect(shared.checks.find((c) => c.name === 'disks-reachable').status).to.equal('pass');
    } finally {
      for (const h of [0, 1]) await virsh(h, 'pool-destroy', pool).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("identical lab hosts cannot plant a CPU refusal: a guest defined on a with a feature TCG lacks runs with it disabled, and b's comparison passes", async () => {
    // Both lab hosts are one QEMU binary on one machine. libvirt rewrites a running guest's <cpu>
    // to what the source host really provides (a required avx512f becomes policy='disable'), so
    // b can always run it; the refusal path (with its baseline suggestion) is unit-tested on a
    // stubbed binding.
    const { a, b } = lab;
    const base = await lab.guest('a');
    const name = `${base}c`;
    const xml = await variant(a, base, name, (x) =>
      x.replace(
        '</os>',
        "</os><cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model><feature policy='require' name='avx512f'/></cpu>",
      ),
    );
    extra.push([a, name]);
    await a.defineDomain({ name, memoryMiB: 128, vcpus: 1, xml });
    await a.startDomain(name);
    expect(await a.domainXml(name)).to.match(/<feature policy='disable' name='avx512f'\/>/);
    const r = await a.preflight(name, b);
    expect(r.checks.find((c) => c.name === 'cpu-compatible').status).to.equal('pass');
  });
});
