import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { generateSecret, LabStorage, type LabStorageOptions, NetnsRunner } from '../src/index.js';
import { spyRunner } from './helpers.js';

describe('NetnsRunner', () => {
  it('runs the command through nsenter --net into the named namespace and passes options through', async () => {
    const spy = spyRunner();
    const r = new NetnsRunner('vmlab-a', spy.runner);
    await r.run('iscsi-ls', ['-i', 'iqn.2026-11.org.x:y'], { secretEnv: { LIBISCSI_CHAP_PASSWORD: 'secretsecret12' } });
    expect(spy.argvs()).to.deep.equal([
      ['nsenter', '--net=/run/netns/vmlab-a', '--', 'iscsi-ls', '-i', 'iqn.2026-11.org.x:y'],
    ]);
    expect(spy.run.firstCall.args[2]).to.deep.equal({ secretEnv: { LIBISCSI_CHAP_PASSWORD: 'secretsecret12' } });
    expect(r.description).to.equal('spy in netns vmlab-a');
  });

  it('refuses namespace names that are paths, options or carry metacharacters', () => {
    for (const bad of ['', '-x', '../etc', 'a/b', 'a b', 'a;b', 'x'.repeat(65)]) {
      expect(() => new NetnsRunner(bad, spyRunner().runner), bad)
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    }
  });
});

describe('LabStorage (unit)', () => {
  let dir: string;
  const base = (over: Partial<LabStorageOptions> = {}): LabStorageOptions => ({
    prefix: 'vmlab',
    stateDir: dir,
    netns: 'vmlab-a',
    address: '10.77.0.1',
    hosts: [
      { name: 'a', uri: 'qemu+unix:///system?socket=/run/a/libvirt-sock', netns: 'vmlab-a' },
      { name: 'b', uri: 'qemu+unix:///system?socket=/run/b/libvirt-sock', netns: 'vmlab-b' },
    ],
    ...over,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtmig-labstorage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the target, the initiators and the files after the lab prefix', () => {
    const s = new LabStorage(base());
    expect(s.iqn).to.equal('iqn.2026-11.org.virtmig:lab.vmlab.disk');
    expect(s.initiatorIqn('b')).to.equal('iqn.2026-11.org.virtmig:lab.vmlab.host-b');
    expect(s.backingFile).to.equal(join(dir, 'storage', 'lun1.img'));
    expect(s.secretUsage).to.equal('virtmig-lab-vmlab-disk');
  });

  it("forLab serves from host a's namespace and address, with every host as a client", () => {
    const s = LabStorage.forLab({
      prefix: 'vmlab',
      stateDir: dir,
      hosts: [
        { name: 'b', uri: 'qemu+unix:///system?socket=/b', netns: 'vmlab-b', address: '10.77.0.2' },
        { name: 'a', uri: 'qemu+unix:///system?socket=/a', netns: 'vmlab-a', address: '10.77.0.1' },
      ],
    });
    expect([s.netns, s.address, s.port]).to.deep.equal(['vmlab-a', '10.77.0.1', 3260]);
    expect(s.hosts.map((h) => h.name)).to.deep.equal(['b', 'a']);
    expect(() => LabStorage.forLab({ prefix: 'vmlab', stateDir: dir, hosts: [{ name: 'a' }] }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('refuses malformed options with E_INVALID_ARGUMENT before running anything', () => {
    const spy = spyRunner();
    const bad: Partial<LabStorageOptions>[] = [
      { prefix: 'VM;lab' },
      { prefix: '-x' },
      { stateDir: 'relative/dir' },
      { stateDir: '/run/../etc' },
      { netns: '-n' },
      { netns: 'a b' },
      { address: '10.77.0.1;reboot' },
      { address: '-h' },
      { port: 0 },
      { port: 70000 },
      { hosts: [] },
      { hosts: [{ name: 'a' }, { name: 'a' }] },
      { hosts: [{ name: 'A B' }] },
      { hosts: [{ name: 'a', uri: "qemu:///system' --x" }] },
      { hosts: [{ name: 'a', uri: 'qemu:///system\nx' }] },
      { hosts: [{ name: 'a', netns: '--net=/proc/1/ns/net' }] },
    ];
    for (const over of bad) {
      expect(() => new LabStorage({ ...base(over), runner: spy.runner }), JSON.stringify(over))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    }
    expect(spy.run.called).to.equal(false);
  });

  it('up refuses a size that is not a multiple of 512 or is too large, and CHAP without libvirt URIs, running nothing', async () => {
    const spy = spyRunner();
    const s = new LabStorage({ ...base(), runner: spy.runner });
    for (const sizeBytes of [1000, 100, -512, 1.5, 2 ** 40]) {
      const e = await s.up({ sizeBytes }).catch((x: unknown) => x);
      expect(e, String(sizeBytes)).to.have.property('code', 'E_INVALID_ARGUMENT');
    }
    const noUri = new LabStorage({ ...base({ hosts: [{ name: 'a' }] }), runner: spy.runner });
    expect(await noUri.up({ chap: true }).catch((x: unknown) => x)).to.have.property('code', 'E_INVALID_ARGUMENT');
    expect(spy.run.called).to.equal(false);
  });

  it('status is stopped and down removes nothing when no state exists, running no command', async () => {
    const spy = spyRunner();
    const s = new LabStorage({ ...base(), runner: spy.runner });
    expect(await s.status()).to.deep.equal({ state: 'stopped', prefix: 'vmlab' });
    expect(await s.down()).to.deep.equal({ removed: [] });
    expect(spy.run.called).to.equal(false);
  });

  it('disk() and chapCredentials() say the storage is not up (E_NOT_FOUND) when it is not', async () => {
    const s = new LabStorage({ ...base(), runner: spyRunner().runner });
    expect(await s.disk('a').catch((x: unknown) => x)).to.have.property('code', 'E_NOT_FOUND');
    expect(await s.chapCredentials().catch((x: unknown) => x)).to.have.property('code', 'E_NOT_FOUND');
  });

  it("initiator() runs in the host's namespace and presents the host's IQN", async () => {
    const spy = spyRunner([{ match: (a) => a.includes('iscsi-ls'), stdout: '' }]);
    const s = new LabStorage({ ...base(), runner: spy.runner });
    await s.initiator('b').discover({ host: '10.77.0.1', port: 3260 });
    expect(spy.argvs()[0]).to.deep.equal([
      'nsenter',
      '--net=/run/netns/vmlab-b',
      '--',
      'iscsi-ls',
      '-i',
      'iqn.2026-11.org.virtmig:lab.vmlab.host-b',
      'iscsi://10.77.0.1:3260',
    ]);
    expect(() => s.initiator('c'))
      .to.throw()
      .with.property('code', 'E_NOT_FOUND');
  });
});

describe('generateSecret', () => {
  it('gives secrets of the asked length from [A-Za-z0-9], different each time', () => {
    const a = generateSecret(32);
    expect(a).to.match(/^[A-Za-z0-9]{32}$/);
    expect(generateSecret(32)).to.not.equal(a);
    expect(generateSecret(200)).to.have.length(200);
  });
});
