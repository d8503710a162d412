import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import {
  CommandFailedError,
  LibiscsiInitiator,
  LocalRunner,
  TGTD_SOCKET_DIR,
  type TgtadmTarget,
  TgtDaemon,
} from '../src/index.js';

/**
 * Real tgt + libiscsi + QEMU on this machine: a private tgtd per suite, LUNs on sparse files
 * in a temporary directory, initiators presenting different names.
 */
describe('tgt target with libiscsi/QEMU initiators (real tools)', function () {
  this.timeout(60_000);

  const IQN = 'iqn.2026-11.org.virtmig.test:lab';
  const ALLOWED = 'iqn.2026-11.org.virtmig.test:host1';
  const STRANGER = 'iqn.2026-11.org.virtmig.test:stranger';
  const CHAP = { username: 'alice', password: 'secretsecret12' };
  const MUTUAL = { username: 'tgtback', password: 'mutualsecret1' };
  const SIZE = 64 << 20;

  let daemon: TgtDaemon;
  let target: TgtadmTarget;
  let dir: string;
  let lunFile: string;
  const runner = new LocalRunner({ timeoutMs: 20_000 });
  const initiator = () => new LibiscsiInitiator({ runner, initiatorIqn: ALLOWED });
  const lun = () => ({ portal: daemon.portal, iqn: IQN, lun: 1 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'virtmig-iscsi-'));
    lunFile = join(dir, 'lun1.img');
    daemon = await TgtDaemon.start();
    target = daemon.target();
  });

  after(async () => {
    await target?.teardown().catch(() => undefined);
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a target with a LUN on a new sparse file, and lists it', async () => {
    await target.createTarget(IQN);
    await target.addLun(IQN, 1, lunFile, SIZE);
    const st = statSync(lunFile);
    expect(st.size).to.equal(SIZE);
    expect(st.blocks * 512).to.be.lessThan(SIZE / 16);
    await target.allowInitiator(IQN, ALLOWED);
    const info = (await target.listTargets()).find((t) => t.iqn === IQN);
    expect(info?.luns).to.have.length(1);
    expect(info?.luns[0]?.lun).to.equal(1);
    expect(info?.luns[0]?.backingStore).to.equal(lunFile);
    expect(Math.abs((info?.luns[0]?.sizeBytes ?? 0) - SIZE)).to.be.at.most(500_000);
    expect(info?.allowedInitiators).to.deep.equal([ALLOWED]);
    expect(info?.allowedAddresses).to.deep.equal([]);
    expect(info?.chapUsers).to.deep.equal([]);
  });

  it('discovery and capacity work for the listed initiator name', async () => {
    expect(await initiator().discover(daemon.portal)).to.deep.equal([{ iqn: IQN, portal: daemon.portal }]);
    expect(await initiator().capacity(daemon.portal, IQN, 1)).to.equal(SIZE);
  });

  it('refuses an initiator name that is not in the ACL', async () => {
    const stranger = new LibiscsiInitiator({ runner, initiatorIqn: STRANGER });
    expect(await stranger.discover(daemon.portal)).to.deep.equal([]);
    let err: unknown;
    try {
      await stranger.capacity(daemon.portal, IQN, 1);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CommandFailedError);
  });

  it("writes data through QEMU's iSCSI initiator and reads the same bytes back", async () => {
    const data = randomBytes(65536);
    const offset = 1 << 20;
    await initiator().write(lun(), offset, data);
    const back = await initiator().read(lun(), offset, data.length);
    expect(back.equals(data)).to.equal(true);
    // The bytes really are in the backing file, where the target put them.
    expect(
      readFileSync(lunFile)
        .subarray(offset, offset + data.length)
        .equals(data),
    ).to.equal(true);
  });

  it('with one-way CHAP: the right secret works, a wrong or missing one is refused, and no error shows a secret', async () => {
    await target.setChap(IQN, CHAP);
    expect(await initiator().capacity(daemon.portal, IQN, 1, CHAP)).to.equal(SIZE);
    const wrong = { username: 'alice', password: 'wrongsecret99' };
    for (const creds of [wrong, undefined]) {
      let err: unknown;
      try {
        await initiator().capacity(daemon.portal, IQN, 1, creds);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(CommandFailedError);
      const text = `${(err as Error).message} ${JSON.stringify(err)} ${(err as CommandFailedError).stderr}`;
      expect(text).not.to.include(wrong.password);
      expect(text).not.to.include(CHAP.password);
    }
    const data = randomBytes(4096);
    await initiator().write(lun(), 8192, data, CHAP);
    expect((await initiator().read(lun(), 8192, 4096, CHAP)).equals(data)).to.equal(true);
    let qemuErr: unknown;
    try {
      await initiator().read(lun(), 8192, 4096, wrong);
    } catch (e) {
      qemuErr = e;
    }
    expect(qemuErr).to.be.instanceOf(CommandFailedError);
    expect(JSON.stringify(qemuErr)).not.to.include(wrong.password);
    const info = (await target.listTargets()).find((t) => t.iqn === IQN);
    expect(info?.chapUsers).to.deep.equal(['alice']);
  });

  it('with mutual CHAP: the target must prove the right secret back', async () => {
    await target.setMutualChap(IQN, MUTUAL);
    const i = initiator();
    expect(await i.capacityOf(lun(), { chap: CHAP, mutual: MUTUAL })).to.equal(SIZE);
    let err: unknown;
    try {
      await i.capacityOf(lun(), { chap: CHAP, mutual: { username: 'tgtback', password: 'notthetarget1' } });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CommandFailedError);
    expect((await target.listTargets()).find((t) => t.iqn === IQN)?.mutualChapUser).to.equal('tgtback');
  });

  it('teardown removes the target, accounts and backing file; stop leaves no tgtd or socket', async () => {
    await target.teardown();
    expect((await target.listTargets()).map((t) => t.iqn)).not.to.include(IQN);
    const accounts = await runner.run('tgtadm', [
      '-C',
      String(daemon.controlPort),
      '--lld',
      'iscsi',
      '--mode',
      'account',
      '--op',
      'show',
    ]);
    expect(accounts.stdout).not.to.include('alice');
    expect(existsSync(lunFile)).to.equal(false);
    const pid = daemon.pid;
    await daemon.stop();
    expect(daemon.isRunning).to.equal(false);
    expect(() => process.kill(pid, 0)).to.throw();
    expect(existsSync(`${TGTD_SOCKET_DIR}/socket.${daemon.controlPort}`)).to.equal(false);
    expect(existsSync(`${TGTD_SOCKET_DIR}/socket.${daemon.controlPort}.lock`)).to.equal(false);
  });
});

describe('TgtDaemon', function () {
  this.timeout(60_000);

  it('runs two daemons side by side on distinct control ports and portals, each stopping cleanly', async () => {
    const started = await Promise.allSettled([TgtDaemon.start(), TgtDaemon.start()]);
    const daemons = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      expect(daemons).to.have.length(2);
      const [a, b] = daemons as [TgtDaemon, TgtDaemon];
      expect(a.controlPort).not.to.equal(b.controlPort);
      expect(a.portal.port).not.to.equal(b.portal.port);
      await a.target().createTarget('iqn.2026-11.org.virtmig.test:only-on-a');
      expect((await b.target().listTargets()).length).to.equal(0);
      expect((await a.target().listTargets()).length).to.equal(1);
    } finally {
      for (const d of daemons) await d.stop();
    }
    for (const d of daemons) {
      expect(d.isRunning).to.equal(false);
      expect(existsSync(`${TGTD_SOCKET_DIR}/socket.${d.controlPort}`)).to.equal(false);
    }
  });

  it('refuses control ports tgtd cannot take', async () => {
    let err: unknown;
    try {
      await TgtDaemon.start({ controlPort: 32768 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(InvalidArgumentError);
  });
});
