// The secrets API on the lab's real libvirt daemons (libvirt's test driver has no secret driver):
// the conformance kit's secrets checks on host a, and what only a real daemon shows: the value
// that arrives (read back by virsh, the independent observer), a private secret that no client
// can read, the same UUID on both hosts, and secret handles freed under calls in flight.
import { randomBytes, randomUUID } from 'node:crypto';
import { QemuHypervisor } from '@virtmig/driver-qemu';
import { ENUMS } from '@virtmig/libvirt';
import { runConformance } from '@virtmig/testing';
import { expect } from 'chai';
import { virsh } from '../../scripts/lab/harness.mjs';
import { ensureLab } from './helpers.mjs';

async function open(host) {
  const status = await ensureLab();
  return QemuHypervisor.open(status.hosts.find((x) => x.name === host).uri, { domainType: status.domainType });
}

runConformance({
  name: 'qemu secrets (lab libvirtd)',
  connect: () => open('a'),
  domainConfig: (name) => ({ name, memoryMiB: 64, vcpus: 1 }),
  only: { ids: ['secrets'], reason: 'this file is about secrets; test/qemu/conformance.test.mjs runs the rest' },
  timeoutMs: 60_000,
});

describe('secrets on the lab libvirtd (QEMU driver)', function () {
  this.timeout(120_000);
  let status;
  let a;
  let b;
  const made = [];

  before(async () => {
    status = await ensureLab();
    [a, b] = await Promise.all([open('a'), open('b')]);
  });

  after(async () => {
    for (const [h, uuid] of made) await h.undefineSecret(uuid).catch(() => {});
    await a?.close();
    await b?.close();
  });

  const usage = () => `virtmig-test-${process.pid}-${randomUUID().slice(0, 8)}`;

  it('setSecretValue stores exactly the bytes given (string as UTF-8, binary as is), as virsh reads them back', async () => {
    const info = await a.defineSecret({ usageType: 'ceph', usageId: usage(), private: false });
    made.push([a, info.uuid]);
    await a.setSecretValue(info.uuid, 'pässwörd-1');
    const uri = status.hosts[0].uri;
    const read = async () => Buffer.from((await virsh(uri, ['secret-get-value', info.uuid])).trim(), 'base64');
    expect((await read()).toString('utf8')).to.equal('pässwörd-1');
    const bytes = randomBytes(64);
    bytes[0] = 0;
    await a.setSecretValue(info.uuid, bytes);
    expect((await read()).equals(bytes)).to.equal(true);
  });

  it('a secret is private by default: no client can read its value back', async () => {
    const info = await a.defineSecret({ usageType: 'iscsi', usageId: usage() });
    made.push([a, info.uuid]);
    await a.setSecretValue(info.uuid, 'never-readable');
    const xml = await virsh(status.hosts[0].uri, ['secret-dumpxml', info.uuid]);
    expect(xml).to.match(/<secret ephemeral='no' private='yes'>/);
    const readBack = await virsh(status.hosts[0].uri, ['secret-get-value', info.uuid]).then(
      () => 'read',
      (e) => String(e.stderr),
    );
    expect(readBack).to.match(/private/);
  });

  it('the same UUID and usage can be defined on both hosts, as a domain that migrates needs', async () => {
    const uuid = randomUUID();
    const usageId = usage();
    for (const h of [a, b]) {
      made.push([h, uuid]);
      expect(await h.defineSecret({ usageType: 'iscsi', usageId, uuid })).to.deep.equal({
        uuid,
        usageType: 'iscsi',
        usageId,
      });
      await h.setSecretValue(uuid, 'shared-chap-secret');
      expect((await h.lookupSecretByUsage('iscsi', usageId)).uuid).to.equal(uuid);
    }
  });

  it('freeing a secret handle with setValue and xml in flight, 50 times: every call settles (resolved or E_CLOSED), nothing leaks', async () => {
    const info = await a.defineSecret({ usageType: 'iscsi', usageId: usage() });
    made.push([a, info.uuid]);
    const counts = { resolved: 0, closed: 0 };
    for (let i = 0; i < 50; i++) {
      const s = await a.connection.lookupSecretByUuid(info.uuid);
      const calls = [s.setValue(`value-${i}`), s.xml(), s.setValue(new Uint8Array([i + 1]))];
      s.free();
      calls.push(s.setValue('after-free'));
      for (const r of await Promise.allSettled(calls)) {
        if (r.status === 'fulfilled') counts.resolved += 1;
        else if (r.reason?.code === 'E_CLOSED') counts.closed += 1;
        else throw r.reason;
      }
    }
    expect(counts.resolved + counts.closed).to.equal(200);
    expect(counts.closed).to.be.at.least(50);
    const usageType = ENUMS.virSecretUsageType.VIR_SECRET_USAGE_TYPE_ISCSI;
    const again = await a.connection.lookupSecretByUsage(usageType, (await a.lookupSecret(info.uuid)).usageId);
    expect(again.uuid()).to.equal(info.uuid);
    again.free();
  });
});
