// A lab guest whose only disk is an iSCSI LUN served by tgt inside the lab,
// live-migrated from host a to host b: the data written before the migration
// is read back intact after it, and what the guest writes on b reaches the
// LUN. Real lab (own prefix), real tgtd, real QEMU iSCSI driver; everything
// is stopped at the end.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseGuestConsoleLine } from '@virtmig/core';
import { QemuHypervisor } from '@virtmig/driver-qemu';
import { LabStorage } from '@virtmig/iscsi';
import { expect } from 'chai';
import { buildGuest, HeartbeatWatcher, lab, labJson, virsh } from '../../scripts/lab/harness.mjs';
import { tgtdProcesses } from '../processes.mjs';

// Own lab prefix, or $VIRTMIG_TEST_LAB_PREFIX so that two checkouts can run it side by side.
const prefix = process.env.VIRTMIG_TEST_LAB_PREFIX ?? 'vmlun';
const g = ['--prefix', prefix];
const DOMAIN = 'lunguest';
const MiB = 1 << 20;

const md5 = (buf) => createHash('md5').update(buf).digest('hex');

/** The guest's `DISK <seq> <md5>` lines (scripts/guest/init, virtmig.disk=vda). */
function diskLines(watcher) {
  return watcher.lines.flatMap((l) => {
    const p = parseGuestConsoleLine(l);
    return p.kind === 'disk-read' ? [{ seq: p.seq, md5: p.md5 }] : [];
  });
}

describe('live migration of a guest whose disk is a shared iSCSI LUN (real lab, tgt, QEMU)', function () {
  this.timeout(240_000);
  let status;
  let storage;
  let image;
  let a;
  let b;
  let watcher;
  let lunAddress;
  let chap;
  let pattern;
  let controlPort;

  before(async () => {
    image = await buildGuest();
    await lab([...g, 'down']);
    status = await labJson([...g, 'up']);
    const [ha, hb] = status.hosts;
    storage = new LabStorage({
      prefix,
      stateDir: status.stateDir,
      netns: ha.netns,
      address: ha.address,
      hosts: status.hosts.map((h) => ({ name: h.name, uri: h.uri, netns: h.netns })),
      // The CHAP secret goes to both daemons through the SDK's secrets API.
      secrets: (uri) => QemuHypervisor.open(uri),
    });
    a = await QemuHypervisor.open(ha.uri, { domainType: status.domainType, memoryBalloon: false });
    b = await QemuHypervisor.open(hb.uri, { domainType: status.domainType, memoryBalloon: false });
  });

  after(async () => {
    await watcher?.stop().catch(() => {});
    for (const h of [a, b]) {
      if (!h) continue;
      await h.destroyDomain(DOMAIN).catch(() => {});
      await h.undefineDomain(DOMAIN).catch(() => {});
      await h.close();
    }
    await storage?.down();
    await lab([...g, 'down']);
  });

  it("serves a 256 MiB sparse LUN from tgtd in host a's namespace, with CHAP and an ACL of both hosts", async () => {
    const s = await storage.up({ chap: true });
    expect(s.state).to.equal('running');
    expect(s.portal).to.equal('10.77.0.1:3260');
    expect(s.acl).to.have.members(status.hosts.map((h) => storage.initiatorIqn(h.name)));
    expect(s.chap?.username).to.equal(`virtmig-${prefix}`);
    controlPort = s.tgtd.controlPort;
    chap = await storage.chapCredentials();
    lunAddress = { portal: { host: '10.77.0.1', port: 3260 }, iqn: s.iqn, lun: s.lun };
    // Host b reaches the portal over the veth, presenting its own IQN.
    expect(await storage.initiator('b').capacityOf(lunAddress, { chap })).to.equal(256 * MiB);
    const tgtd = await tgtdProcesses(`-C ${controlPort} `);
    expect(tgtd).to.have.length.greaterThan(0);
    // tgtd lives in host a's network namespace, not in the root one.
    const ns = await readlink(`/proc/${s.tgtd.pid}/ns/net`);
    expect(ns).to.equal(`net:[${(await stat(`/run/netns/${status.hosts[0].netns}`)).ino}]`);
  });

  it('writes a pattern through the initiator before the guest boots, and the guest on a reads it back', async () => {
    pattern = randomBytes(MiB);
    await storage.initiator('a').write(lunAddress, 0, pattern, chap);
    const serialLog = join(status.stateDir, `${DOMAIN}.log`);
    await writeFile(serialLog, '');
    await a.defineDomain({
      name: DOMAIN,
      memoryMiB: 128,
      vcpus: 1,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline: 'console=ttyS0 quiet virtmig.disk=vda',
      serialLog,
      disks: [await storage.disk('a')],
    });
    watcher = new HeartbeatWatcher(serialLog);
    await watcher.start();
    await a.startDomain(DOMAIN);
    await watcher.waitFor(
      (w) => diskLines(w).length >= 2 || w.lines.some((l) => l.startsWith('VIRTMIG ERROR')),
      120_000,
    );
    expect(watcher.lines.filter((l) => l.startsWith('VIRTMIG ERROR'))).to.deep.equal([]);
    expect(watcher.lines).to.include(`VIRTMIG DISK vda ${(256 * MiB) / 512}`);
    for (const d of diskLines(watcher)) expect(d.md5).to.equal(md5(pattern));
    const sessions = (await storage.status()).sessions;
    expect(sessions.map((x) => x.address)).to.include('10.77.0.1');
  });

  it('live-migrates the guest to b; the guest on b reads the same data and its writes reach the LUN', async () => {
    const before = diskLines(watcher).at(-1).seq;
    const result = await a.migrate(DOMAIN, b, {
      migrateUri: 'tcp://10.77.0.2',
      heartbeat: true,
      persistDestination: true,
      undefineSource: true,
      timeoutMs: 120_000,
    });
    expect(result.totalTimeMs).to.be.greaterThan(0);
    console.log(
      `      migration: total ${result.totalTimeMs} ms, downtime ${result.downtimeMs} ms, host heartbeat gap ${result.heartbeat?.hostGapMs} ms`,
    );
    expect((await a.listDomains()).map((d) => d.name)).to.not.include(DOMAIN);
    expect((await b.listDomains()).find((d) => d.name === DOMAIN)?.state).to.equal('running');
    // The guest kept running (no new boot) and kept reading the disk on b.
    await watcher.waitFor((w) => diskLines(w).some((d) => d.seq >= before + 3), 60_000);
    expect(watcher.lines.filter((l) => l.startsWith('VIRTMIG BOOT'))).to.have.length(1);
    const afterMigration = diskLines(watcher).filter((d) => d.seq > before + 1);
    expect(afterMigration.length).to.be.greaterThan(0);
    for (const d of afterMigration) expect(d.md5).to.equal(md5(pattern));
    const seqs = diskLines(watcher).map((d) => d.seq);
    expect(seqs).to.deep.equal(seqs.map((_, i) => i));
    // b's QEMU now holds the session, over the veth from 10.77.0.2.
    const sessions = (await storage.status()).sessions;
    expect(sessions.map((x) => x.address)).to.deep.equal(['10.77.0.2']);
    // The record the guest writes at 1 MiB, read through the initiator from host b.
    const last = diskLines(watcher).at(-1).seq;
    const rec = (await storage.initiator('b').read(lunAddress, MiB, 512, chap)).toString('latin1');
    const m = /^DISKREC (\d+) (\d+)\n\0+$/.exec(rec);
    expect(m, JSON.stringify(rec.slice(0, 40))).to.not.equal(null);
    expect(Number(m[1])).to.be.at.least(last);
    expect(Number(m[1])).to.be.greaterThan(before + 1);
  });

  it('sees a second pattern the host writes while the guest runs on b', async () => {
    const second = randomBytes(MiB);
    await storage.initiator('b').write(lunAddress, 0, second, chap);
    await watcher.waitFor((w) => diskLines(w).at(-1).md5 === md5(second), 30_000);
    expect(await storage.initiator('a').read(lunAddress, 0, 64, chap)).to.deep.equal(second.subarray(0, 64));
  });

  it("storage down stops tgtd and removes the LUN, the secret files and tgtd's sockets", async () => {
    await b.destroyDomain(DOMAIN);
    await b.undefineDomain(DOMAIN).catch(() => {});
    const t0 = performance.now();
    const { removed } = await storage.down();
    console.log(`      storage down: ${Math.round(performance.now() - t0)} ms`);
    expect(removed).to.include(join(status.stateDir, 'storage', 'lun1.img'));
    expect(await tgtdProcesses(`-C ${controlPort} `)).to.deep.equal([]);
    expect(existsSync(`/run/tgtd/socket.${controlPort}`)).to.equal(false);
    expect(existsSync(join(status.stateDir, 'storage'))).to.equal(false);
    expect((await storage.status()).state).to.equal('stopped');
    // The libvirt secret went with it on both daemons.
    for (const h of status.hosts) expect((await virsh(h.uri, ['secret-list'])).trim()).to.equal('');
  });
});
