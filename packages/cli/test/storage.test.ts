import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parseSize } from '../src/commands/storage.js';
import { EXIT } from '../src/index.js';

const run = promisify(execFile);
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');
const PREFIX = 'vmstcli';

async function virtmig(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Live (not zombie) tgtd processes started with management port `port`. */
function tgtdWithPort(port: number): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0] === 'tgtd' && argv.includes(String(port))) found.push(pid);
    } catch {
      // Exited while being read.
    }
  }
  return found;
}

describe('parseSize', () => {
  it('reads plain bytes and binary K/M/G suffixes, with or without iB', () => {
    expect(parseSize('268435456')).to.equal(268435456);
    expect(parseSize('256M')).to.equal(256 << 20);
    expect(parseSize('256MiB')).to.equal(256 << 20);
    expect(parseSize('1g')).to.equal(1 << 30);
    expect(parseSize('64k')).to.equal(64 << 10);
  });

  it('refuses empty, negative, fractional, unknown-unit and option-looking sizes', () => {
    for (const bad of ['', '-1', '1.5G', '10T', '--chap', '0', '12 parsecs']) {
      expect(() => parseSize(bad), bad)
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    }
  });
});

describe('virtmig storage (real lab, real tgtd in the lab namespace)', function () {
  this.timeout(180_000);
  let stateDir: string;
  let controlPort: number;

  before(async () => {
    await virtmig('lab', 'down', '--prefix', PREFIX);
    const r = await virtmig('lab', 'up', '--prefix', PREFIX, '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    stateDir = JSON.parse(r.stdout).stateDir;
  });

  after(async () => {
    await virtmig('storage', 'down', '--prefix', PREFIX);
    await virtmig('lab', 'down', '--prefix', PREFIX);
  });

  it('status reports stopped before anything is served', async () => {
    const r = await virtmig('storage', 'status', '--prefix', PREFIX, '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    expect(JSON.parse(r.stdout)).to.deep.equal({ state: 'stopped', prefix: PREFIX });
  });

  it('up refuses a malformed size with exit 2 and starts nothing', async () => {
    const r = await virtmig('storage', 'up', '--prefix', PREFIX, '--size', '12 parsecs');
    expect(r.code).to.equal(EXIT.USAGE);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^virtmig: .*--size/);
    expect(existsSync(join(stateDir, 'storage'))).to.equal(false);
  });

  it("up --chap serves a sparse LUN on host a's veth address with both hosts in the ACL and the secret in libvirt", async () => {
    const r = await virtmig('storage', 'up', '--prefix', PREFIX, '--size', '64M', '--chap', '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    const s = JSON.parse(r.stdout);
    expect(s).to.include({
      state: 'running',
      prefix: PREFIX,
      portal: '10.77.0.1:3260',
      netns: `${PREFIX}-a`,
      lun: 1,
      sizeBytes: 64 << 20,
    });
    expect(s.iqn).to.equal(`iqn.2026-11.org.virtmig:lab.${PREFIX}.disk`);
    expect(s.acl).to.have.members([
      `iqn.2026-11.org.virtmig:lab.${PREFIX}.host-a`,
      `iqn.2026-11.org.virtmig:lab.${PREFIX}.host-b`,
    ]);
    expect(s.tgtd.running).to.equal(true);
    controlPort = s.tgtd.controlPort;
    expect(tgtdWithPort(controlPort)).to.have.length.greaterThan(0);
    const lun = statSync(s.backingFile);
    expect(lun.size).to.equal(64 << 20);
    expect(lun.blocks * 512).to.be.lessThan(1 << 20);
    const secretFile = join(stateDir, 'storage', 'chap.secret');
    expect(statSync(secretFile).mode & 0o777).to.equal(0o600);
    const secret = readFileSync(secretFile, 'utf8');
    expect(secret).to.match(/^[A-Za-z0-9]{32}$/);
    expect(r.stdout + r.stderr).to.not.include(secret);
    for (const h of ['a', 'b']) {
      const uri = `qemu+unix:///system?socket=${stateDir}/${h}/sock/libvirt-sock`;
      const { stdout } = await run('virsh', ['-q', '-c', uri, 'secret-list']);
      expect(stdout).to.include(s.chap.secretUuid);
      expect(stdout).to.include(`iscsi virtmig-lab-${PREFIX}-disk`);
    }
  });

  it("the LUN answers from host b's namespace over the veth for host b's IQN with the CHAP secret, and refuses an unlisted IQN", async () => {
    const secret = readFileSync(join(stateDir, 'storage', 'chap.secret'), 'utf8');
    const url = `iscsi://10.77.0.1:3260/iqn.2026-11.org.virtmig:lab.${PREFIX}.disk/1`;
    const env = { ...process.env, LIBISCSI_CHAP_USERNAME: `virtmig-${PREFIX}`, LIBISCSI_CHAP_PASSWORD: secret };
    const ns = ['nsenter', `--net=/run/netns/${PREFIX}-b`, '--', 'iscsi-readcapacity16'];
    const ok = await run(ns[0] as string, [...ns.slice(1), '-i', `iqn.2026-11.org.virtmig:lab.${PREFIX}.host-b`, url], {
      env,
    });
    expect(ok.stdout).to.match(/Total size:\s*67108864/);
    const refused = await run(ns[0] as string, [...ns.slice(1), '-i', 'iqn.2026-11.org.virtmig:stranger', url], {
      env,
    }).then(
      () => 'logged in',
      () => 'refused',
    );
    expect(refused).to.equal('refused');
  });

  it('a second up changes nothing and reports the same daemon', async () => {
    const r = await virtmig('storage', 'up', '--prefix', PREFIX, '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    const s = JSON.parse(r.stdout);
    expect(s.tgtd.controlPort).to.equal(controlPort);
    expect(s.sizeBytes).to.equal(64 << 20);
    expect(s.chap).to.not.equal(null);
  });

  it('status prints a readable summary', async () => {
    const r = await virtmig('storage', 'status', '--prefix', PREFIX);
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    expect(r.stdout).to.match(new RegExp(`^storage of lab ${PREFIX}: running$`, 'm'));
    expect(r.stdout).to.match(/LUN 1 on 10\.77\.0\.1:3260/);
    expect(r.stdout).to.match(/CHAP user virtmig-vmstcli, libvirt secret [0-9a-f-]{36}/);
  });

  it('status reports partial when tgtd was killed behind its back, and up repairs it', async () => {
    for (const pid of tgtdWithPort(controlPort)) process.kill(Number(pid), 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (tgtdWithPort(controlPort).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const partial = JSON.parse((await virtmig('storage', 'status', '--prefix', PREFIX, '--json')).stdout);
    expect(partial.state).to.equal('partial');
    expect(partial.problems).to.include('tgtd is not running');
    const r = await virtmig('storage', 'up', '--prefix', PREFIX, '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    const s = JSON.parse(r.stdout);
    expect(s.state).to.equal('running');
    expect(s.chap).to.equal(null);
    expect(existsSync(`/run/tgtd/socket.${controlPort}`)).to.equal(false);
    controlPort = s.tgtd.controlPort;
  });

  it('down stops tgtd and removes the LUN file, its sockets and the state', async () => {
    const r = await virtmig('storage', 'down', '--prefix', PREFIX, '--json');
    expect(r.code, r.stderr).to.equal(EXIT.OK);
    expect(JSON.parse(r.stdout).removed).to.include(join(stateDir, 'storage', 'lun1.img'));
    expect(tgtdWithPort(controlPort)).to.deep.equal([]);
    expect(existsSync(`/run/tgtd/socket.${controlPort}`)).to.equal(false);
    expect(existsSync(`/run/tgtd/socket.${controlPort}.lock`)).to.equal(false);
    expect(existsSync(join(stateDir, 'storage'))).to.equal(false);
    const again = await virtmig('storage', 'down', '--prefix', PREFIX, '--json');
    expect(JSON.parse(again.stdout)).to.deep.equal({ removed: [] });
  });

  it('up on a stopped lab fails with a one-line reason and leaves nothing', async () => {
    await virtmig('lab', 'down', '--prefix', PREFIX);
    const r = await virtmig('storage', 'up', '--prefix', PREFIX);
    expect(r.code).to.equal(EXIT.FAILED);
    expect(r.stderr.trim()).to.match(/^virtmig: lab vmstcli is not running; run `virtmig lab up` first$/);
    expect(existsSync(stateDir)).to.equal(false);
  });
});
