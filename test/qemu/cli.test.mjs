// `virtmig lab`, `virtmig guest` and `virtmig migrate` against the real lab, through the built binary.
import { expect } from 'chai';
import { ensureLab, prefix, stopGuest, virtmig, virtmigOk } from './helpers.mjs';

describe('virtmig lab / guest / migrate (real lab)', function () {
  this.timeout(240_000);
  const name = `cli-${process.pid % 10000}`;
  let status;

  before(async () => {
    status = await ensureLab();
  });
  after(async () => {
    await stopGuest(name);
  });

  it('lab up is idempotent and lab status --json reports two running hosts with distinct URIs', async () => {
    const again = await virtmigOk('lab', 'up', '--prefix', prefix, '--json');
    expect(again.hosts.map((h) => h.pid)).to.deep.equal(status.hosts.map((h) => h.pid));
    const s = await virtmigOk('lab', 'status', '--prefix', prefix, '--json');
    expect(s.state).to.equal('running');
    expect(s.hosts.map((h) => [h.name, h.running])).to.deep.equal([
      ['a', true],
      ['b', true],
    ]);
    expect(s.hosts[0].uri).to.not.equal(s.hosts[1].uri);
    const text = await virtmigOk('lab', 'status', '--prefix', prefix);
    expect(text.startsWith(`lab ${prefix}: running`)).to.equal(true, text);
  });

  it('guest start defines and starts a guest on a lab host and waits for its first heartbeat', async () => {
    const g = await virtmigOk('guest', 'start', name, '--on', 'a', '--memory', '128', '--prefix', prefix, '--json');
    expect(g).to.include({ name, host: 'a' });
    expect(g.firstHeartbeatMs).to.be.a('number').greaterThan(0);
    const doms = await virtmigOk('domains', '-c', status.hosts[0].uri, '--json');
    expect(doms.find((d) => d.name === name)?.state).to.equal('running');
  });

  it("migrate --from a --to b --json prints the MigrationResult with libvirt's downtime and the heartbeat gap", async () => {
    const r = await virtmigOk(
      'migrate',
      name,
      '--from',
      'a',
      '--to',
      'b',
      '--max-downtime',
      '300',
      '--prefix',
      prefix,
      '--json',
    );
    expect(r).to.include({
      domain: name,
      sourceUri: status.hosts[0].uri,
      destinationUri: status.hosts[1].uri,
      postCopy: false,
    });
    expect(r.totalTimeMs).to.be.greaterThan(0);
    expect(r.downtimeMs).to.be.a('number');
    expect(r.heartbeat.continuous).to.equal(true);
    expect(r.stages.precopyRounds.length).to.be.greaterThan(0);
  });

  it('migrate --from b --to a prints a readable table (no progress bar when stderr is not a terminal)', async () => {
    const r = await virtmig('migrate', name, '--from', 'b', '--to', 'a', '--bandwidth', '200', '--prefix', prefix);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^domain\s+cli-/m);
    expect(r.stdout).to.match(/^downtime \(hypervisor\)\s+\d+ ms/m);
    expect(r.stdout).to.match(/^downtime \(heartbeat gap\)\s+\d+ ms .*no restart/m);
    expect(r.stderr).to.not.include('[#');
  });

  it('migrate with bad input exits 2 with a one-line reason and leaves the guest running where it was', async () => {
    for (const args of [
      ['--bandwidth', 'fast'],
      ['--compression', 'lz4'],
      ['--parallel', '0'],
      ['--migrate-uri', 'http://x'],
      ['--tunnelled', '--migrate-uri', 'tcp://10.77.0.2'],
      ['--tunnelled', '--post-copy'],
      ['--peer-uri', 'b'],
    ]) {
      const r = await virtmig('migrate', name, '--from', 'a', '--to', 'b', '--prefix', prefix, ...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
    }
    const doms = await virtmigOk('domains', '-c', status.hosts[0].uri, '--json');
    expect(doms.find((d) => d.name === name)?.state).to.equal('running');
  });

  it("migrate --tunnelled moves the guest peer-to-peer through the lab hosts' own qemu+tcp URIs, there and back", async () => {
    for (const [from, to] of [
      ['a', 'b'],
      ['b', 'a'],
    ]) {
      const r = await virtmigOk(
        'migrate',
        name,
        '--from',
        from,
        '--to',
        to,
        '--tunnelled',
        '--prefix',
        prefix,
        '--json',
      );
      expect(r.destinationUri).to.equal(status.hosts[to === 'a' ? 0 : 1].uri);
      expect(r.heartbeat.continuous, `${from}→${to} heartbeat`).to.equal(true);
    }
    const doms = await virtmigOk('domains', '-c', status.hosts[0].uri, '--json');
    expect(doms.find((d) => d.name === name)?.state).to.equal('running');
  });

  it('migrate of a missing guest exits 3, and a host that is neither a lab host nor a URI exits 2 as bad input', async () => {
    expect((await virtmig('migrate', 'no-such-guest', '--from', 'a', '--to', 'b', '--prefix', prefix)).code).to.equal(
      3,
    );
    const r = await virtmig('migrate', name, '--from', 'a', '--to', 'c', '--prefix', prefix);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--to: must be a lab host \(a, b\) or a qemu URI/);
  });

  it('guest stop removes the guest from the lab', async () => {
    const r = await virtmigOk('guest', 'stop', name, '--prefix', prefix, '--json');
    expect(r.removedFrom).to.deep.equal(['a']);
    const doms = await virtmigOk('domains', '-c', status.hosts[0].uri, '--json');
    expect(doms.map((d) => d.name)).to.not.include(name);
  });
});
