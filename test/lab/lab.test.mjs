// Integration test of the local two-host lab on real libvirt and QEMU.
// It runs its own lab (prefix vmlabtest) so a lab someone else has up stays
// untouched, and always takes it down again.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { buildGuest, domainXml, HeartbeatWatcher, lab, labJson, migrate, virsh } from '../../scripts/lab/harness.mjs';
import { labProcesses } from '../processes.mjs';

const run = promisify(execFile);
const prefix = 'vmlabtest';
const g = ['--prefix', prefix];

async function ip(args) {
  return (await run('ip', args)).stdout;
}

async function labCgroups() {
  const { stdout } = await run('find', ['/sys/fs/cgroup', '-type', 'd', '-name', `virtmig-${prefix}-*`]);
  return stdout.split('\n').filter(Boolean);
}

describe('local two-host lab', function () {
  this.timeout(180_000);
  let status;
  let image;
  let dir;

  before(async () => {
    image = await buildGuest();
    dir = await mkdtemp(join(tmpdir(), 'virtmig-labtest-'));
    await lab([...g, 'down']);
  });

  after(async () => {
    await lab([...g, 'down']);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('up starts two libvirt hosts with distinct host UUIDs, each answering on its unix socket', async () => {
    status = await labJson([...g, 'up']);
    expect(status.state).to.equal('running');
    expect(status.hosts.map((h) => h.name)).to.deep.equal(['a', 'b']);
    const uuids = [];
    for (const h of status.hosts) {
      expect(h.running).to.equal(true);
      const caps = await virsh(h.uri, ['capabilities']);
      uuids.push(/<uuid>([^<]+)<\/uuid>/.exec(caps)[1]);
    }
    expect(uuids).to.deep.equal(status.hosts.map((h) => h.hostUuid));
    expect(uuids[0]).to.not.equal(uuids[1]);
    expect(status.accel).to.be.oneOf(['kvm', 'tcg']);
  });

  it('a second up reports the same URIs and leaves the running daemons alone', async () => {
    const again = await labJson([...g, 'up']);
    expect(again.hosts.map((h) => h.uri)).to.deep.equal(status.hosts.map((h) => h.uri));
    expect(again.hosts.map((h) => h.pid)).to.deep.equal(status.hosts.map((h) => h.pid));
    for (const h of again.hosts) await virsh(h.uri, ['version']);
  });

  it('puts each host in its own network namespace, joined only by the veth pair', async () => {
    for (const h of status.hosts) {
      const out = await ip(['-n', h.netns, '-o', '-4', 'addr', 'show', 'dev', h.veth]);
      expect(out).to.include(`${h.address}/24`);
    }
    expect(await ip(['-o', '-4', 'addr', 'show'])).to.not.include('10.77.0.');
    const listen = (await run('ip', ['netns', 'exec', status.hosts[1].netns, 'ss', '-ltn'])).stdout;
    expect(listen).to.include(`${status.hosts[1].address}:16509`);
  });

  it('live-migrates a running guest from A to B over the veth without restarting it', async () => {
    const [a, b] = status.hosts;
    const name = 'labtest-hb';
    const serialLog = join(dir, 'serial.log');
    await writeFile(serialLog, '');
    const xmlPath = join(dir, 'domain.xml');
    await writeFile(
      xmlPath,
      domainXml({
        name,
        memoryMiB: 128,
        kernel: image.kernel,
        initrd: image.initrd,
        serialLog,
        type: status.domainType,
      }),
    );
    const watcher = new HeartbeatWatcher(serialLog);
    await watcher.start();
    try {
      await virsh(a.uri, ['define', xmlPath]);
      await virsh(a.uri, ['start', name]);
      await watcher.waitFor((w) => w.beats.length >= 10, 60_000);

      const statsBefore = await ip(['-n', a.netns, '-s', '-j', 'link', 'show', a.veth]);
      const m = await migrate(a.uri, b.uri, name, `tcp://${b.address}:${b.migrationPortMin}`);
      const statsAfter = await ip(['-n', a.netns, '-s', '-j', 'link', 'show', a.veth]);
      const sent = JSON.parse(statsAfter)[0].stats64.tx.bytes - JSON.parse(statsBefore)[0].stats64.tx.bytes;

      const seqAtEnd = watcher.lastSeq;
      await watcher.waitFor((w) => w.lastSeq >= seqAtEnd + 10, 30_000);
      await watcher.stop();

      expect((await virsh(b.uri, ['domstate', name])).trim()).to.equal('running');
      expect((await virsh(a.uri, ['list', '--name'])).trim()).to.equal('');
      // One boot only, and heartbeat numbers run on without a reset or a hole.
      expect(watcher.lines.filter((l) => l.startsWith('VIRTMIG BOOT'))).to.have.length(1);
      expect(watcher.beats.map((beat) => beat.seq)).to.deep.equal(watcher.beats.map((_, i) => i));
      // The guest's RAM went through the veth: an idle 128 MiB guest sends
      // some 90 MiB (zero pages are not sent in full).
      expect(sent).to.be.greaterThan(32 << 20);
      expect(m.job.downtimeMs).to.be.a('number').and.greaterThan(0);
      const gap = watcher.gaps(m.t0, m.t1 + 2000);
      console.log(
        `      migration: virsh ${Math.round(m.wallMs)} ms, libvirt total ${m.job.elapsedMs} ms, ` +
          `downtime ${m.job.downtimeMs} ms, ${Math.round(sent / (1 << 20))} MiB on the veth, ` +
          `heartbeat gap host ${Math.round(gap.hostMs)} ms / guest ${gap.guestMs} ms`,
      );
      expect(gap.hostMs).to.be.greaterThan(m.job.downtimeMs);
    } finally {
      await watcher.stop().catch(() => {});
    }
  });

  it('status reports both hosts running and the migrated domain on B', async () => {
    const s = await labJson([...g, 'status']);
    expect(s.state).to.equal('running');
    expect(s.hosts[0].domains).to.deep.equal([]);
    expect(s.hosts[1].domains).to.deep.equal(['labtest-hb']);
  });

  it('shape puts a token bucket on both veth ends and --clear removes it', async () => {
    await lab([...g, 'shape', '--rate', '1gbit', '--delay', '0ms']);
    for (const h of status.hosts) {
      expect(await run('tc', ['-n', h.netns, 'qdisc', 'show', 'dev', h.veth]).then((r) => r.stdout)).to.match(
        /tbf .*rate 1Gbit/,
      );
    }
    expect((await labJson([...g, 'status'])).link.shape).to.deep.equal({ rate: '1gbit', delay: '0ms' });
    await lab([...g, 'shape', '--clear']);
    for (const h of status.hosts) {
      expect(await run('tc', ['-n', h.netns, 'qdisc', 'show', 'dev', h.veth]).then((r) => r.stdout)).to.not.include(
        'tbf',
      );
    }
  });

  it('shape rejects a malformed rate and changes nothing', async () => {
    const err = await lab([...g, 'shape', '--rate', 'fast']).then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.an('error');
    expect(err.stderr).to.include('bad rate');
    expect((await labJson([...g, 'status'])).link.shape).to.equal(null);
  });

  it('down leaves no process, mount, cgroup, namespace, veth or socket behind', async () => {
    const stateDir = status.stateDir;
    await lab([...g, 'down']);
    expect(await labProcesses(prefix, stateDir)).to.deep.equal([]);
    expect(await labCgroups()).to.deep.equal([]);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mounts).to.not.include(stateDir);
    expect(mounts).to.not.include(`/run/netns/${prefix}-`);
    expect(await ip(['netns', 'list'])).to.not.include(`${prefix}-`);
    expect(await ip(['link', 'show'])).to.not.include(`${prefix}-`);
    expect(existsSync(stateDir)).to.equal(false);
    const s = await labJson([...g, 'status']);
    expect(s.state).to.equal('stopped');
    expect(s.hosts.every((h) => !h.running)).to.equal(true);
  });

  it('down on a stopped lab succeeds and changes nothing', async () => {
    await lab([...g, 'down']);
    expect((await labJson([...g, 'status'])).state).to.equal('stopped');
  });
});
