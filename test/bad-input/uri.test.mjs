// Bad hypervisor and migration URIs, through the public API and the CLI: each is refused with a
// typed error (exit 2, one line on stderr) before anything runs or connects. The canary is named
// where libvirt would run a program: `command=` on an ssh URI runs it on this machine at once
// (no sshd needed), `netcat=` on the remote side once ssh is in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriverRegistry, isVirtmigError } from '@virtmig/core';
import { registerQemuDriver } from '@virtmig/driver-qemu';
import { registerTestDriver } from '@virtmig/driver-test';
import { expect } from 'chai';
import { makeCanary, runCli, snapshotTree } from './harness.mjs';

// Ports nothing listens on: a URI that got past the checks fails fast with exit 1, not 2.
const NOWHERE_A = 'qemu+tcp://127.0.0.1:1/system';
const NOWHERE_B = 'qemu+tcp://127.0.0.1:2/system';

/** Bad libvirt URIs, given the canary program's path. */
const badUris = (p) => [
  `qemu+ssh://127.0.0.1/system?command=${p}`,
  `qemu+ssh://127.0.0.1/system?COMMAND=${p}`,
  `qemu+ssh://127.0.0.1/system?%63ommand=${p}`,
  `qemu+ssh://127.0.0.1/system?no_tty=1&command=${p}&command=${p}`,
  `qemu+ssh://127.0.0.1/system?socket=/x;command=${p}`,
  `QEMU+SSH://127.0.0.1/system?command=${p}`,
  `qemu+ssh://127.0.0.1/system?netcat=${p}`,
  `qemu+libssh2://127.0.0.1/system?netcat=${p}`,
  `qemu+ext:///system?command=${p}`,
  `qemu+ssh://127.0.0.1/system?keyfile=${p}`,
  `qemu+tcp://127.0.0.1/system?name=test:///etc/shadow`,
  'qemu+tls://127.0.0.1/system?no_verify=1',
  'test:///etc/passwd',
  'test:///x/../default',
];

describe('bad-input corpus: hypervisor and migration URIs', function () {
  this.timeout(120_000);
  let canary;
  let cwd;
  beforeEach(() => {
    canary = makeCanary();
    cwd = mkdtempSync(join(tmpdir(), 'virtmig-uri-cwd-'));
  });
  afterEach(() => {
    canary.dispose();
    rmSync(cwd, { recursive: true, force: true });
  });

  /** Runs the CLI in the empty temp cwd and asserts a refusal that ran and created nothing. */
  async function expectRefused(args) {
    const r = await runCli(args, { cwd });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(2);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.lengthOf(1);
    expect(r.stderr).to.match(/^virtmig: /);
    expect(canary.ran(), 'the canary ran').to.equal(false);
    expect(snapshotTree(cwd)).to.deep.equal([]);
    return r;
  }

  it('registry.connect refuses each with a typed error and runs nothing', async () => {
    const registry = new DriverRegistry();
    registerTestDriver(registry);
    registerQemuDriver(registry);
    for (const uri of badUris(canary.program)) {
      const err = await registry.connect(uri).then(
        () => new Error(`${uri} connected`),
        (e) => e,
      );
      expect(isVirtmigError(err), `${uri}: ${err}`).to.equal(true);
      expect(['E_INVALID_ARGUMENT', 'E_INVALID_URI'], uri).to.include(err.code);
      expect(canary.ran(), uri).to.equal(false);
    }
  });

  it('virtmig inventory and domains --uri refuse each with exit 2', async () => {
    for (const uri of badUris(canary.program)) {
      await expectRefused(['inventory', uri]);
      await expectRefused(['domains', '--uri', uri]);
    }
  });

  it('virtmig inventory checks every URI before connecting to the first', async () => {
    const r = await expectRefused(['inventory', NOWHERE_A, `qemu+ssh://127.0.0.1/system?command=${canary.program}`]);
    expect(r.stderr).to.contain('uris[1]');
  });

  it('virtmig migrate refuses bad --from, --to, --peer-uri and --migrate-uri with exit 2', async () => {
    const p = canary.program;
    for (const uri of badUris(p)) {
      await expectRefused(['migrate', 'g1', '--from', uri, '--to', NOWHERE_B]);
      await expectRefused(['migrate', 'g1', '--from', NOWHERE_A, '--to', uri]);
    }
    for (const peer of [`qemu+ssh://127.0.0.1/system?command=${p}`, `qemu+ssh://127.0.0.1/system?netcat=${p}`]) {
      await expectRefused(['migrate', 'g1', '--from', NOWHERE_A, '--to', NOWHERE_B, '--peer-uri', peer]);
      await expectRefused(['migrate', 'g1', '--from', NOWHERE_A, '--to', NOWHERE_B, '--tunnelled', '--peer-uri', peer]);
    }
    for (const m of ['tcp://h;rm -rf /', 'tcp://h:1?x=y', `exec:${p}`, 'tcp://u@h', 'http://h', 'unix:///../x']) {
      await expectRefused(['migrate', 'g1', '--from', NOWHERE_A, '--to', NOWHERE_B, '--migrate-uri', m]);
    }
  });

  it('virtmig migrate checks every option value before connecting to either host', async () => {
    for (const extra of [
      ['--compression', 'bogus'],
      ['--compression', 'xbzrle,xbzrle'],
      ['--parallel', '999'],
      ['--parallel', '0'],
      ['--max-downtime', '0'],
      ['--bandwidth', 'fast'],
      ['--tunnelled'],
      ['--tunnelled', '--peer-uri', 'qemu+tcp://10.0.0.2/system', '--parallel', '4'],
      ['--post-copy', '--tunnelled', '--peer-uri', 'qemu+tcp://10.0.0.2/system'],
    ]) {
      await expectRefused(['migrate', 'g1', '--from', NOWHERE_A, '--to', NOWHERE_B, ...extra]);
    }
    await expectRefused(['migrate', 'bad name;x', '--from', NOWHERE_A, '--to', NOWHERE_B]);
  });

  it('virtmig run refuses a spec whose host URI names a program, before creating its database', async () => {
    const spec = join(cwd, 'spec.yaml');
    writeFileSync(
      spec,
      [
        'name: shared',
        'driver: qemu',
        'hosts:',
        `  - source: "qemu+ssh://127.0.0.1/system?command=${canary.program}"`,
        `    destination: "${NOWHERE_B}"`,
        'guest: { image: none }',
        'workloads: [linpack]',
        'matrix: { ramMiB: [128], vcpus: [1], capPercent: [100], hostCores: [1], trials: 1 }',
        '',
      ].join('\n'),
    );
    const before = snapshotTree(cwd);
    const r = await runCli(['run', spec, '--db', join(cwd, 'out', 'x.db')], { cwd });
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr.trimEnd().split('\n')).to.have.lengthOf(1);
    expect(r.stderr).to.contain('hosts[0].source');
    expect(canary.ran()).to.equal(false);
    expect(snapshotTree(cwd)).to.deep.equal(before);
  });
});
