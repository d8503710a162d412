import { InvalidArgumentError, StateError } from '@virtmig/core';
import { expect } from 'chai';
import { backstoreName, IscsiadmInitiator, LibiscsiInitiator, TargetcliTarget, TgtadmTarget } from '../src/index.js';
import { fixture, has, spyRunner } from './helpers.js';

const IQN = 'iqn.2026-11.org.example:lab';
const HOST1 = 'iqn.2026-11.org.example:host1';
const CHAP = { username: 'alice', password: 'secretsecret12' };
const MUTUAL = { username: 'tgtback', password: 'mutualsecret1' };
const PORTAL = { host: '127.0.0.1', port: 3260 };

/** Bad values for each kind of field; every one must be refused before any command runs. */
const BAD = {
  iqn: ['iqn.2026-11.org.example:x;reboot', '-iqn.2026-11.org.example', 'iqn.2026-11.org.example:a\nb', 'not-an-iqn'],
  lun: [-1, 1.5, 16384],
  path: ['relative.img', '/tmp/a b.img', '/tmp/$(id).img', '/tmp/a\nb', '/tmp/../etc/x'],
  chap: [
    { username: 'alice;id', password: 'secretsecret12' },
    { username: '-alice', password: 'secretsecret12' },
    { username: 'alice', password: 'short' },
    { username: 'alice', password: 'secret`id`secret' },
    { username: 'alice', password: 'secret\nsecret12' },
  ],
  portal: [
    { host: '127.0.0.1;id', port: 3260 },
    { host: '-oProxyCommand=x', port: 3260 },
    { host: '127.0.0.1', port: 0 },
  ],
};

async function refusedWithoutRunning(
  call: (r: ReturnType<typeof spyRunner>['runner']) => Promise<unknown>,
): Promise<void> {
  const spy = spyRunner();
  let err: unknown;
  try {
    await call(spy.runner);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected InvalidArgumentError').to.be.instanceOf(InvalidArgumentError);
  expect(spy.run.called, 'runner must not be called').to.equal(false);
}

describe('bad input is refused before any command runs', () => {
  const targets = [(r: never) => new TgtadmTarget({ runner: r }), (r: never) => new TargetcliTarget({ runner: r })];
  for (const make of targets) {
    const kind = make(spyRunner().runner as never).kind;
    it(`${kind}: every target operation refuses bad names, LUNs, paths and CHAP`, async () => {
      for (const bad of BAD.iqn) {
        await refusedWithoutRunning((r) => make(r as never).createTarget(bad));
        await refusedWithoutRunning((r) => make(r as never).deleteTarget(bad));
        await refusedWithoutRunning((r) => make(r as never).addLun(bad, 1, '/tmp/x.img', 1 << 20));
        await refusedWithoutRunning((r) => make(r as never).allowInitiator(IQN, bad));
        await refusedWithoutRunning((r) => make(r as never).removeLun(bad, 1));
      }
      for (const bad of BAD.lun)
        await refusedWithoutRunning((r) => make(r as never).addLun(IQN, bad, '/tmp/x.img', 1 << 20));
      for (const bad of BAD.path) await refusedWithoutRunning((r) => make(r as never).addLun(IQN, 1, bad, 1 << 20));
      await refusedWithoutRunning((r) => make(r as never).addLun(IQN, 1, '/tmp/x.img', 100));
      for (const bad of BAD.chap) {
        await refusedWithoutRunning((r) => make(r as never).setChap(IQN, bad));
        await refusedWithoutRunning((r) => make(r as never).setMutualChap(IQN, bad));
      }
    });
  }

  it('tgtadm: LUN 0 (the controller) and bad ACL addresses and portals are refused', async () => {
    await refusedWithoutRunning((r) => new TgtadmTarget({ runner: r }).addLun(IQN, 0, '/tmp/x.img', 1 << 20));
    await refusedWithoutRunning((r) => new TgtadmTarget({ runner: r }).allowAddress(IQN, '10.0.0.1;id'));
    for (const p of BAD.portal) await refusedWithoutRunning((r) => new TgtadmTarget({ runner: r }).addPortal(p));
  });

  it('libiscsi and iscsiadm initiators refuse bad portals, names, LUNs and CHAP', async () => {
    const lib = (r: never) => new LibiscsiInitiator({ runner: r, initiatorIqn: HOST1 });
    const adm = (r: never) => new IscsiadmInitiator({ runner: r, initiatorIqn: HOST1 });
    expect(() => new LibiscsiInitiator({ runner: spyRunner().runner, initiatorIqn: 'bad name' })).to.throw(
      InvalidArgumentError,
    );
    for (const p of BAD.portal) {
      await refusedWithoutRunning((r) => lib(r as never).discover(p));
      await refusedWithoutRunning((r) => adm(r as never).discover(p));
      await refusedWithoutRunning((r) => adm(r as never).login(p, IQN));
    }
    for (const bad of BAD.iqn) {
      await refusedWithoutRunning((r) => lib(r as never).capacity(PORTAL, bad, 1));
      await refusedWithoutRunning((r) => adm(r as never).login(PORTAL, bad));
      await refusedWithoutRunning((r) => adm(r as never).logout(PORTAL, bad));
    }
    for (const bad of BAD.lun)
      await refusedWithoutRunning((r) => lib(r as never).read({ portal: PORTAL, iqn: IQN, lun: bad }, 0, 512));
    for (const bad of BAD.chap) {
      await refusedWithoutRunning((r) => lib(r as never).capacity(PORTAL, IQN, 1, bad));
      await refusedWithoutRunning((r) =>
        lib(r as never).write({ portal: PORTAL, iqn: IQN, lun: 1 }, 0, Buffer.alloc(512), bad),
      );
      await refusedWithoutRunning((r) => adm(r as never).login(PORTAL, IQN, bad));
    }
    await refusedWithoutRunning((r) => lib(r as never).read({ portal: PORTAL, iqn: IQN, lun: 1 }, -1, 512));
    await refusedWithoutRunning((r) =>
      lib(r as never).capacityOf({ portal: PORTAL, iqn: IQN, lun: 1 }, { mutual: MUTUAL }),
    );
  });
});

describe('TgtadmTarget commands (spy runner)', () => {
  const show = {
    match: (a: readonly string[]) => has(a, '--mode', 'target', '--op', 'show'),
    stdout: fixture('tgtadm-target-show.txt'),
  };

  it('creates a target with the next free tid on the chosen control port', async () => {
    const spy = spyRunner([show]);
    await new TgtadmTarget({ runner: spy.runner, controlPort: 4711 }).createTarget('iqn.2026-11.org.example:new');
    expect(spy.argvs()[1]).to.deep.equal([
      'tgtadm',
      '-C',
      '4711',
      '--lld',
      'iscsi',
      '--mode',
      'target',
      '--op',
      'new',
      '--tid',
      '6',
      '--targetname',
      'iqn.2026-11.org.example:new',
    ]);
  });

  it('refuses to create a target that exists', async () => {
    const spy = spyRunner([show]);
    try {
      await new TgtadmTarget({ runner: spy.runner }).createTarget(IQN);
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(StateError);
    }
    expect(spy.run.callCount).to.equal(1);
  });

  it('sets CHAP with the password only where tgtadm requires it, declared as a secret', async () => {
    const spy = spyRunner([show]);
    await new TgtadmTarget({ runner: spy.runner }).setMutualChap(IQN, MUTUAL);
    const argvs = spy.argvs();
    expect(argvs.slice(-2)).to.deep.equal([
      [
        'tgtadm',
        '--lld',
        'iscsi',
        '--mode',
        'account',
        '--op',
        'new',
        '--user',
        'tgtback',
        '--password',
        'mutualsecret1',
      ],
      [
        'tgtadm',
        '--lld',
        'iscsi',
        '--mode',
        'account',
        '--op',
        'bind',
        '--tid',
        '1',
        '--user',
        'tgtback',
        '--outgoing',
      ],
    ]);
    const withSecret = spy.run.getCalls().filter((c) => c.args[1].includes('mutualsecret1'));
    expect(withSecret).to.have.length(1);
    expect(withSecret[0]?.args[2]?.secrets).to.deep.equal(['mutualsecret1']);
  });
});

describe('TargetcliTarget commands (spy runner)', () => {
  const lsIscsi = {
    match: (a: readonly string[]) => has(a, 'ls', '/iscsi'),
    stdout: fixture('targetcli-ls-iscsi.txt'),
  };
  const lsFileio = {
    match: (a: readonly string[]) => has(a, 'ls', '/backstores/fileio'),
    stdout: fixture('targetcli-ls-fileio.txt'),
  };
  const getAuth = { match: (a: readonly string[]) => has(a, 'get', 'auth'), stdout: fixture('targetcli-get-auth.txt') };

  it('creates a target, a fileio LUN on an existing file, an ACL and a portal with exact targetcli argv', async () => {
    const spy = spyRunner();
    const t = new TargetcliTarget({ runner: spy.runner });
    await t.createTarget(IQN);
    // The spy's stat succeeds, so the backing file counts as existing and is not created.
    await t.addLun(IQN, 0, '/var/lib/virtmig/lab.img', 64 << 20);
    await t.allowInitiator(IQN, HOST1);
    await t.addPortal(IQN, { host: '::1', port: 3261 });
    const so = backstoreName(IQN, 0);
    expect(spy.argvs()).to.deep.equal([
      ['targetcli', '/iscsi', 'create', IQN],
      ['stat', '-c', '%s', '--', '/var/lib/virtmig/lab.img'],
      ['targetcli', '/backstores/fileio', 'create', `name=${so}`, 'file_or_dev=/var/lib/virtmig/lab.img'],
      ['targetcli', `/iscsi/${IQN}/tpg1/luns`, 'create', `/backstores/fileio/${so}`, 'lun=0'],
      ['targetcli', `/iscsi/${IQN}/tpg1/acls`, 'create', HOST1],
      ['targetcli', `/iscsi/${IQN}/tpg1/portals`, 'create', '::1', '3261'],
    ]);
  });

  it('applies target CHAP to every existing ACL and to ACLs added later, passwords declared secret', async () => {
    const spy = spyRunner([lsIscsi]);
    const t = new TargetcliTarget({ runner: spy.runner });
    await t.setChap(IQN, CHAP);
    await t.setMutualChap(IQN, MUTUAL);
    await t.allowInitiator(IQN, 'iqn.2026-11.org.example:host3');
    const acl = (wwn: string) => `/iscsi/${IQN}/tpg1/acls/${wwn}`;
    const sets = spy.argvs().filter((a) => a.includes('set'));
    expect(sets).to.deep.equal([
      ['targetcli', `/iscsi/${IQN}/tpg1`, 'set', 'attribute', 'authentication=1'],
      ['targetcli', acl(HOST1), 'set', 'auth', 'userid=alice', 'password=secretsecret12'],
      ['targetcli', acl('iqn.2026-11.org.example:host2'), 'set', 'auth', 'userid=alice', 'password=secretsecret12'],
      ['targetcli', `/iscsi/${IQN}/tpg1`, 'set', 'attribute', 'authentication=1'],
      ['targetcli', acl(HOST1), 'set', 'auth', 'mutual_userid=tgtback', 'mutual_password=mutualsecret1'],
      [
        'targetcli',
        acl('iqn.2026-11.org.example:host2'),
        'set',
        'auth',
        'mutual_userid=tgtback',
        'mutual_password=mutualsecret1',
      ],
      ['targetcli', acl('iqn.2026-11.org.example:host3'), 'set', 'auth', 'userid=alice', 'password=secretsecret12'],
      [
        'targetcli',
        acl('iqn.2026-11.org.example:host3'),
        'set',
        'auth',
        'mutual_userid=tgtback',
        'mutual_password=mutualsecret1',
      ],
    ]);
    for (const c of spy.run.getCalls()) {
      const secret = [CHAP.password, MUTUAL.password].find((s) => c.args[1].some((a: string) => a.includes(s)));
      if (secret) expect(c.args[2]?.secrets).to.deep.equal([secret]);
    }
  });

  it('lists targets with sizes from the backstores and CHAP users from the ACLs', async () => {
    const spy = spyRunner([lsIscsi, lsFileio, getAuth]);
    const list = await new TargetcliTarget({ runner: spy.runner }).listTargets();
    expect(list[1]).to.deep.equal({
      iqn: IQN,
      luns: [
        { lun: 0, backingStore: '/var/lib/virtmig/lab-lun0.img', sizeBytes: 64 << 20 },
        { lun: 1, backingStore: '/var/lib/virtmig/lab-lun1.img', sizeBytes: 1.5 * 2 ** 30 },
      ],
      allowedInitiators: [HOST1, 'iqn.2026-11.org.example:host2'],
      allowedAddresses: [],
      chapUsers: ['alice'],
      mutualChapUser: 'tgtback',
    });
    expect(
      spy
        .argvs()
        .filter((a) => a.includes('get'))
        .every((a) => !a.some((w) => w.includes('password'))),
    ).to.equal(true);
  });

  it('teardown deletes only what it created', async () => {
    const spy = spyRunner();
    const t = new TargetcliTarget({ runner: spy.runner });
    await t.createTarget(IQN);
    spy.run.resetHistory();
    await t.teardown();
    expect(spy.argvs()).to.deep.equal([['targetcli', '/iscsi', 'delete', IQN]]);
  });
});

describe('IscsiadmInitiator commands (spy runner)', () => {
  it('discovers through its own iface carrying the initiator name', async () => {
    const spy = spyRunner([{ match: (a) => has(a, '-m', 'discovery'), stdout: fixture('iscsiadm-discovery.txt') }]);
    const i = new IscsiadmInitiator({ runner: spy.runner, initiatorIqn: HOST1 });
    const found = await i.discover(PORTAL);
    expect(found[0]).to.deep.equal({ iqn: IQN, portal: PORTAL });
    expect(spy.argvs()).to.deep.equal([
      ['iscsiadm', '-m', 'iface', '-I', 'virtmig', '-o', 'new'],
      ['iscsiadm', '-m', 'iface', '-I', 'virtmig', '-o', 'update', '-n', 'iface.initiatorname', '-v', HOST1],
      ['iscsiadm', '-m', 'discovery', '-t', 'sendtargets', '-p', '127.0.0.1:3260', '-I', 'virtmig'],
    ]);
  });

  it('logs in with mutual CHAP, the secrets declared for redaction', async () => {
    const spy = spyRunner([{ match: (a) => a.includes('--login'), stdout: fixture('iscsiadm-login.txt') }]);
    const i = new IscsiadmInitiator({ runner: spy.runner, initiatorIqn: HOST1 });
    await i.loginWith(PORTAL, IQN, { chap: CHAP, mutual: MUTUAL });
    const node = ['iscsiadm', '-m', 'node', '-T', IQN, '-p', '127.0.0.1:3260', '-I', 'virtmig'];
    expect(spy.argvs().slice(2)).to.deep.equal([
      [...node, '-o', 'new'],
      [...node, '-o', 'update', '-n', 'node.session.auth.authmethod', '-v', 'CHAP'],
      [...node, '-o', 'update', '-n', 'node.session.auth.username', '-v', 'alice'],
      [...node, '-o', 'update', '-n', 'node.session.auth.password', '-v', 'secretsecret12'],
      [...node, '-o', 'update', '-n', 'node.session.auth.username_in', '-v', 'tgtback'],
      [...node, '-o', 'update', '-n', 'node.session.auth.password_in', '-v', 'mutualsecret1'],
      [...node, '--login'],
    ]);
    expect(spy.run.getCall(5).args[2]?.secrets).to.deep.equal(['secretsecret12']);
    expect(spy.run.getCall(7).args[2]?.secrets).to.deep.equal(['mutualsecret1']);
  });

  it('treats a login without a success line as a failure', async () => {
    const spy = spyRunner();
    try {
      await new IscsiadmInitiator({ runner: spy.runner, initiatorIqn: HOST1 }).login(PORTAL, IQN);
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(StateError);
    }
  });

  it('finds the block device of a logged-in LUN and measures it', async () => {
    const spy = spyRunner([
      { match: (a) => has(a, '-m', 'session', '-P', '3'), stdout: fixture('iscsiadm-session-P3.txt') },
      { match: (a) => a[0] === 'blockdev', stdout: '67108864\n' },
    ]);
    const i = new IscsiadmInitiator({ runner: spy.runner, initiatorIqn: HOST1 });
    expect(await i.capacity(PORTAL, IQN, 1)).to.equal(67108864);
    expect(spy.argvs()[1]).to.deep.equal(['blockdev', '--getsize64', '/dev/sdb']);
  });

  it('logs out with the node record and iface it used', async () => {
    const spy = spyRunner();
    await new IscsiadmInitiator({ runner: spy.runner, initiatorIqn: HOST1, iface: 'lab0' }).logout(
      { host: 'fd00::2', port: 3260 },
      IQN,
    );
    expect(spy.argvs()).to.deep.equal([
      ['iscsiadm', '-m', 'node', '-T', IQN, '-p', '[fd00::2]:3260', '-I', 'lab0', '--logout'],
    ]);
  });
});
