// The study's setup for real: a PV domU whose disk is a LIO LUN (made with the targetcli
// adapter over ssh, reached by both dom0s with the iscsiadm adapter) live-migrates between the
// two Xen hosts while it runs each CPU-intensive workload.
import { expect } from 'chai';
import {
  ConsoleFollower,
  ensureSharedLun,
  ensureXenlab,
  hostOf,
  LUN,
  openBoth,
  pvDomain,
  removeEverywhere,
  runnerOf,
  SHARED_IQN,
} from '../../scripts/xenlab/harness.mjs';

const MiB = 1024 * 1024;

async function md5OfLun(status, host, byPath) {
  const r = await runnerOf(status, host).run('sh', [
    '-c',
    'dd if="$1" bs=1M count=4 iflag=direct 2>/dev/null | md5sum',
    'sh',
    byPath,
  ]);
  return r.stdout.split(' ')[0];
}

describe('xenlab: PV domU on a shared LIO LUN, live-migrated between two Xen hosts', function () {
  this.timeout(1_800_000);
  let status;
  let lun;
  let a;
  let b;

  before(async () => {
    status = await ensureXenlab();
    lun = await ensureSharedLun(status);
    [a, b] = await openBoth(status);
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  it('the targetcli adapter made the target with its LUN, an ACL per dom0 and CHAP on the storage host', async () => {
    const t = (await lun.target.listTargets()).find((x) => x.iqn === SHARED_IQN);
    expect(t, 'target not listed').to.not.equal(undefined);
    expect(t.luns.map((l) => [l.lun, l.sizeBytes])).to.deep.equal([[LUN, 256 * MiB]]);
    expect([...t.allowedInitiators].sort()).to.deep.equal(
      ['xen-a', 'xen-b'].map((n) => hostOf(status, n).initiatorIqn).sort(),
    );
    expect(t.chapUsers).to.include(lun.chap.username);
  });

  it('both dom0s are logged in with iscsiadm and see the LUN under the same by-path device', async () => {
    for (const n of ['xen-a', 'xen-b']) {
      const sessions = await lun.initiators[n].sessions();
      expect(sessions.map((s) => s.iqn)).to.include(SHARED_IQN);
      const size = await runnerOf(status, n).run('blockdev', ['--getsize64', lun.byPath]);
      expect(Number(size.stdout.trim())).to.equal(256 * MiB);
    }
  });

  for (const workload of ['dhrystone', 'linpack', 'livermore']) {
    it(`migrates a domU running ${workload} from xen-a to xen-b: result filled, heartbeat continuous, disk data intact`, async () => {
      const name = `xl-${workload}-${process.pid}`;
      const tty = new ConsoleFollower(status, name);
      try {
        await a.defineDomain(pvDomain(name, { workload, disk: true }));
        await a.startDomain(name);
        const disk = await tty.waitFor(/^VIRTMIG DISK [0-9a-f]{32}$/);
        await tty.waitFor(new RegExp(`^VIRTMIG WORKLOAD ${workload} `));
        await tty.waitFor(/^WL /);
        const beforeSeqs = tty.heartbeatSeqs().length;
        const r = await a.migrate(name, b, {
          live: true,
          migrateUri: `tcp://${hostOf(status, 'xen-b').migrationAddress}`,
          heartbeatLog: async () => tty.heartbeatLog(),
        });
        expect(beforeSeqs).to.be.greaterThan(0);
        expect(r.domain).to.equal(name);
        expect(r.postCopy).to.equal(false);
        expect(r.totalTimeMs).to.be.greaterThan(0);
        expect(r.downtimeSource).to.equal('heartbeat');
        expect(r.downtimeMs)
          .to.be.a('number')
          .and.greaterThan(0)
          .and.lessThan(r.totalTimeMs + 5000);
        expect((await b.lookupDomain(name)).state).to.equal('running');
        expect((await a.listDomains()).filter((d) => d.name === name && d.state !== 'shutoff')).to.deep.equal([]);

        // The guest keeps running on xen-b: new heartbeats there continue the sequence, no reboot.
        await tty.waitFor(/^HB \d+ \d+$/, 120_000, 'xen-b');
        const lastSeen = Math.max(...tty.heartbeatSeqs());
        await tty.waitFor(new RegExp(`^HB ${lastSeen + 5} `), 120_000, 'xen-b');
        const seqs = [...new Set(tty.heartbeatSeqs())].sort((x, y) => x - y);
        expect(seqs[0]).to.equal(0);
        expect(seqs.at(-1)).to.equal(seqs.length - 1, 'heartbeat sequence has holes');
        expect(tty.lines.filter((l) => l.host === 'xen-b' && l.line.startsWith('VIRTMIG BOOT'))).to.deep.equal([]);

        // The pattern the guest wrote through xen-a is on the LUN as both dom0s read it.
        const want = disk.line.split(' ')[2];
        await b.destroyDomain(name);
        expect(await md5OfLun(status, 'xen-b', lun.byPath)).to.equal(want);
        expect(await md5OfLun(status, 'xen-a', lun.byPath)).to.equal(want);
        console.log(`      ${workload}: total ${r.totalTimeMs} ms, downtime ${r.downtimeMs} ms (heartbeat)`);
      } finally {
        tty.stop();
        await removeEverywhere([a, b], name);
      }
    });
  }
});
