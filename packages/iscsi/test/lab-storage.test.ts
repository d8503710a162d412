import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DriverRegistry,
  type Hypervisor,
  NotFoundError,
  type SecretConfig,
  type SecretInfo,
  type SecretUsageType,
  type SecretValue,
} from '@virtmig/core';
import { expect } from 'chai';
import {
  CommandFailedError,
  type CommandRunner,
  generateSecret,
  LabStorage,
  type LabStorageOptions,
  NetnsRunner,
  type RunResult,
  type SecretHost,
  secretHostsVia,
} from '../src/index.js';
import { spyRunner } from './helpers.js';

/** One host's secret store, recording every call (values as their text) and each close. */
class RecordingSecrets {
  readonly secrets = new Map<string, SecretInfo & { value?: string }>();
  readonly calls: string[] = [];
  opened = 0;
  closed = 0;

  connect(): SecretHost {
    this.opened += 1;
    const find = (uuid: string) => {
      const s = this.secrets.get(uuid);
      if (!s) throw new NotFoundError('secret', uuid);
      return s;
    };
    const info = ({ uuid, usageType, usageId }: SecretInfo): SecretInfo => ({ uuid, usageType, usageId });
    return {
      defineSecret: async (c: SecretConfig) => {
        this.calls.push(`define ${c.usageType} ${c.usageId} ${c.uuid} private=${c.private}`);
        const s = { uuid: c.uuid ?? randomUUID(), usageType: c.usageType, usageId: c.usageId };
        this.secrets.set(s.uuid, s);
        return s;
      },
      setSecretValue: async (uuid: string, value: SecretValue) => {
        this.calls.push(`set ${uuid}`);
        find(uuid).value = String(value);
      },
      lookupSecretByUsage: async (type: SecretUsageType, id: string) => {
        this.calls.push(`lookup ${type} ${id}`);
        const s = [...this.secrets.values()].find((x) => x.usageType === type && x.usageId === id);
        if (!s) throw new NotFoundError('secret', `${type} ${id}`);
        return info(s);
      },
      lookupSecret: async (uuid: string) => info(find(uuid)),
      listSecrets: async () => [...this.secrets.values()].map(info),
      undefineSecret: async (uuid: string) => {
        this.calls.push(`undefine ${uuid}`);
        find(uuid);
        this.secrets.delete(uuid);
      },
      close: async () => {
        this.closed += 1;
      },
    };
  }
}

/** A runner that plays a private tgtd: it starts, listens, serves one target and stops when deleted. */
function tgtdRunner(stateDir: string) {
  const argvs: string[][] = [];
  let started = false;
  let stopped = false;
  let target = '';
  const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', stdoutBytes: Buffer.from(stdout) });
  const runner: CommandRunner = {
    description: 'fake tgtd',
    run: async (command, args) => {
      const argv = [command, ...args];
      argvs.push(argv);
      const line = argv.join(' ');
      if (line.includes(' tgtd ')) {
        writeFileSync(join(stateDir, 'storage', 'tgtd.pid'), '4242\n');
        started = true;
      } else if (line.includes(' ss -Hltn')) return ok(started && !stopped ? 'LISTEN 0 128 10.77.0.1:3260\n' : '');
      else if (command === 'ps') return ok(started && !stopped ? 'S\n' : '');
      else if (command === 'stat') throw new CommandFailedError(['stat', ...args], 1, null, 'No such file');
      else if (line.includes('--mode target --op new')) target = args[args.indexOf('--targetname') + 1] as string;
      else if (line.includes('--mode target --op show'))
        return ok(
          target ? `Target 1: ${target}\n    System information:\n        Driver: iscsi\n        State: ready\n` : '',
        );
      else if (line.includes('--mode system --op delete')) stopped = true;
      else if (line.includes('--mode system --op show') && (!started || stopped))
        throw new CommandFailedError(['tgtadm', ...args], 107, null, 'not running');
      return ok();
    },
  };
  return { runner, argvs };
}

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

  it('refuses a secrets option that is not a function, and CHAP without one, before running anything', async () => {
    const spy = spyRunner();
    expect(() => new LabStorage({ ...base(), secrets: 'virsh' as unknown as LabStorageOptions['secrets'] }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    const s = new LabStorage({ ...base(), runner: spy.runner });
    const e = await s.up({ chap: true }).catch((x: unknown) => x);
    expect(e).to.have.property('code', 'E_INVALID_ARGUMENT');
    expect(e).to.have.property('field', 'secrets');
    expect(spy.run.called).to.equal(false);
  });

  it('up with CHAP defines a private iscsi secret with one UUID on every host through SecretCapable, the value only in setSecretValue, never in argv', async () => {
    const hosts = { a: new RecordingSecrets(), b: new RecordingSecrets() };
    const stale = randomUUID();
    hosts.a.secrets.set(stale, { uuid: stale, usageType: 'iscsi', usageId: 'virtmig-lab-vmlab-disk' });
    const fake = tgtdRunner(dir);
    const connected: string[] = [];
    const s = new LabStorage({
      ...base(),
      runner: fake.runner,
      readyTimeoutMs: 2000,
      secrets: async (uri) => {
        connected.push(uri);
        return (uri.includes('/run/a/') ? hosts.a : hosts.b).connect();
      },
    });
    const status = await s.up({ chap: true, sizeBytes: 1 << 20 });
    const uuid = status.chap?.secretUuid as string;
    const password = readFileSync(join(dir, 'storage', 'chap.secret'), 'utf8');
    expect(password).to.match(/^[A-Za-z0-9]{32}$/);
    expect(connected).to.deep.equal(base().hosts.map((h) => h.uri));
    expect(hosts.a.calls).to.deep.equal([
      'lookup iscsi virtmig-lab-vmlab-disk',
      `undefine ${stale}`,
      `define iscsi virtmig-lab-vmlab-disk ${uuid} private=true`,
      `set ${uuid}`,
    ]);
    expect(hosts.b.calls).to.deep.equal([
      'lookup iscsi virtmig-lab-vmlab-disk',
      `define iscsi virtmig-lab-vmlab-disk ${uuid} private=true`,
      `set ${uuid}`,
    ]);
    for (const h of Object.values(hosts)) {
      expect(h.secrets.get(uuid)?.value).to.equal(password);
      expect([h.opened, h.closed]).to.deep.equal([1, 1]);
    }
    const commands = fake.argvs.map((a) => a.join(' '));
    expect(commands.some((c) => c.includes('virsh'))).to.equal(false);
    // tgtadm is the one tool that takes the target's CHAP password in argv (documented in the README).
    expect(commands.filter((c) => c.includes(password)).every((c) => c.startsWith('tgtadm '))).to.equal(true);
    expect(JSON.stringify(status)).not.to.contain(password);

    const { removed } = await s.down();
    expect(removed).to.include.members([`secret ${uuid} on a`, `secret ${uuid} on b`]);
    for (const h of Object.values(hosts)) {
      expect(h.secrets.size).to.equal(0);
      expect(h.calls.at(-1)).to.equal(`undefine ${uuid}`);
      expect([h.opened, h.closed]).to.deep.equal([2, 2]);
    }
  });

  it('down skips a host whose daemon is gone and a secret already removed, and refuses to run without a connector', async () => {
    const fake = tgtdRunner(dir);
    const hosts = { a: new RecordingSecrets(), b: new RecordingSecrets() };
    const connect = async (uri: string) => (uri.includes('/run/a/') ? hosts.a : hosts.b).connect();
    const s = new LabStorage({ ...base(), runner: fake.runner, readyTimeoutMs: 2000, secrets: connect });
    const uuid = (await s.up({ chap: true, sizeBytes: 1 << 20 })).chap?.secretUuid as string;
    const without = new LabStorage({ ...base(), runner: fake.runner });
    expect(await without.down().catch((x: unknown) => x)).to.have.property('field', 'secrets');
    hosts.b.secrets.delete(uuid);
    const gone = new LabStorage({
      ...base(),
      runner: fake.runner,
      secrets: async (uri) => {
        if (uri.includes('/run/a/')) throw new CommandFailedError(['connect', uri], null, null, 'no daemon');
        return connect(uri);
      },
    });
    const { removed } = await gone.down();
    expect(removed.filter((r) => r.startsWith('secret'))).to.deep.equal([]);
    expect(hosts.b.calls.at(-1)).to.equal(`undefine ${uuid}`);
    expect(hosts.b.closed).to.equal(hosts.b.opened);
  });

  it('secretHostsVia connects through the registry and refuses a host that keeps no secrets, closing it', async () => {
    const closed: string[] = [];
    const noSecrets = {
      driver: 'plain',
      capabilities: { secrets: false },
      close: async () => {
        closed.push('plain');
      },
    } as unknown as Hypervisor;
    const registry = new DriverRegistry();
    registry.register('plain', async () => noSecrets);
    const e = await secretHostsVia(registry)('plain:///x').catch((x: unknown) => x);
    expect(e).to.have.property('code', 'E_UNSUPPORTED');
    expect(closed).to.deep.equal(['plain']);
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
