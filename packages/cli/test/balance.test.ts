import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ResultsDb } from '@virtmig/bench';
import { DriverRegistry } from '@virtmig/core';
import { connectFake, FakeNetwork, migratedTrial, registerFakeDriver } from '@virtmig/testing';
import { expect } from 'chai';
import sinon from 'sinon';
import { balanceCommand, balanceSettings, balanceTargets } from '../src/commands/balance.js';

const run = promisify(execFile);
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');

async function virtmig(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('virtmig balance', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-balance-'));
  });
  afterEach(async () => {
    sinon.restore();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 with one line and creates no database for an unknown policy, a threshold outside (0, 100] or fewer than two hosts', async () => {
    const db = join(dir, 'd.db');
    const cases = [
      ['--hosts', 'test:///default,test:///default2', '--policy', 'greedy'],
      ['--hosts', 'test:///default,test:///default2', '--threshold', '0'],
      ['--hosts', 'test:///default,test:///default2', '--threshold', '101'],
      ['--hosts', 'test:///default'],
      ['--hosts', 'test:///default,test:///default'],
      ['--hosts', 'test:///default,qemu+ssh://h/system?command=/bin/sh'],
      ['--hosts', 'test:///default,test:///default2', '--samples', '0'],
    ];
    for (const args of cases) {
      const r = await virtmig('balance', ...args, '--db', db, '--duration', '1');
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(r.stdout).to.equal('');
    }
    expect(existsSync(db)).to.equal(false);
  });

  it('exits 1 with one line when a host cannot be reached, closing the ones it reached', async () => {
    const db = join(dir, 'd.db');
    const r = await virtmig(
      'balance',
      '--hosts',
      `test:///default,qemu+unix:///system?socket=${join(dir, 'no-such-sock')}`,
      '--db',
      db,
      '--duration',
      '1',
    );
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(existsSync(db)).to.equal(false);
  });

  it('checks the options before reading any host', async () => {
    expect(() => balanceSettings({ hosts: 'lab', interval: '0' }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(balanceSettings({ hosts: 'lab' })).to.deep.include({
      policy: 'study',
      thresholdPercent: 65,
      samples: 3,
      intervalMs: 5000,
      hostCooldownMs: 60_000,
      vmCooldownMs: 300_000,
    });
    expect(await balanceTargets('fake:///a, fake:///b')).to.deep.equal([
      { name: 'fake:///a', uri: 'fake:///a', options: {} },
      { name: 'fake:///b', uri: 'fake:///b', options: {} },
    ]);
  });

  it('moves the VM the measured trials price cheapest off the overloaded host, prints one line per decision and records it with its outcome', async () => {
    const network = new FakeNetwork();
    network.addHost('a', { cpus: 2 });
    network.addHost('b', { cpus: 2 });
    const registry = new DriverRegistry();
    registerFakeDriver(registry, { network });
    const a = await connectFake('fake:///a', { network });
    for (const [name, workload] of [
      ['vm-lin', 'linpack'],
      ['vm-dhry', 'dhrystone'],
    ] as const) {
      await a.defineDomain({ name, memoryMiB: 64, vcpus: 1, kernel: '/k', cmdline: `virtmig.workload=${workload}` });
      await a.startDomain(name);
      a.setLoad(name, 0.8);
    }
    const path = join(dir, 'balance.db');
    // The database's measured trials price the moves: linpack is cheaper, though second by name.
    const stdout: string[] = [];
    const stderr: string[] = [];
    const records = sinon
      .stub(ResultsDb.prototype, 'records')
      .returns([migratedTrial('linpack', 2500, 200), migratedTrial('dhrystone', 4000, 300)]);
    const summary = await balanceCommand(
      registry,
      {
        hosts: 'fake:///a,fake:///b',
        interval: '0.05',
        samples: '2',
        duration: '1.5',
        hostCooldown: '10',
        db: path,
        json: true,
      },
      { json: true, stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) },
      new AbortController().signal,
    );
    expect(records.called).to.equal(true);
    expect(summary).to.deep.include({ decisions: 1, migrations: 1, stoppedBy: 'duration' });
    expect(stdout).to.have.length(1);
    const line = JSON.parse(stdout[0] as string);
    expect(line).to.deep.include({ kind: 'migrate', vm: 'vm-lin', source: 'fake:///a', destination: 'fake:///b' });
    expect(line.outcome.ok).to.equal(true);
    expect(stderr.some((l) => l.startsWith('balance: migrating vm-lin'))).to.equal(true);
    const db = ResultsDb.open(path, { readonly: true });
    const [d] = db.decisions(summary.balanceRunId);
    db.close();
    expect(d).to.deep.include({ seq: 1, policy: 'study', vm: 'vm-lin', outcome: 'migrated', thresholdPercent: 65 });
    expect(d?.totalTimeMs).to.be.above(0);
    expect(((d?.candidates ?? []) as { vm: string }[]).map((c) => c.vm).sort()).to.deep.equal(['vm-dhry', 'vm-lin']);
    expect((await a.listDomains()).filter((x) => x.state === 'running').map((x) => x.name)).to.deep.equal(['vm-dhry']);
    await a.close();

    const replay = await virtmig('replay', path, '--json');
    expect(replay.code, replay.stderr).to.equal(0);
    const [row] = JSON.parse(replay.stdout);
    expect(row.taken).to.deep.equal({ policy: 'study', kind: 'migrate', vm: 'vm-lin', destination: 'fake:///b' });
    expect(row.policies.map((p: { policy: string }) => p.policy)).to.deep.equal([
      'study',
      'mmt',
      'mc',
      'random',
      'balance',
    ]);
    expect(row.policies[0].recommendation).to.deep.include({ kind: 'migrate', vm: 'vm-lin' });
    expect((await virtmig('replay', join(dir, 'none.db'))).code).to.equal(3);

    const html = join(dir, 'report.html');
    const rep = await virtmig('report', path, '--out', html);
    expect(rep.code, rep.stderr).to.equal(0);
    const page = await readFile(html, 'utf8');
    expect(page).to.contain('<h2 id="balance">Balancing runs</h2>');
    expect(page).to.contain('vm-lin fake:///a → fake:///b');
    expect(page).to.match(/<figure role="img" aria-label="Host CPU of balancing run[^"]*"><svg/);
  });

  it('--dry-run records the decision and migrates nothing', async () => {
    const network = new FakeNetwork();
    network.addHost('a', { cpus: 2 });
    network.addHost('b', { cpus: 2 });
    const registry = new DriverRegistry();
    registerFakeDriver(registry, { network });
    const a = await connectFake('fake:///a', { network });
    for (const name of ['vm1', 'vm2']) {
      await a.defineDomain({ name, memoryMiB: 64, vcpus: 1, kernel: '/k' });
      await a.startDomain(name);
      a.setLoad(name, 0.8);
    }
    const path = join(dir, 'dry.db');
    const stdout: string[] = [];
    const summary = await balanceCommand(
      registry,
      { hosts: 'fake:///a,fake:///b', interval: '0.05', samples: '2', duration: '1', dryRun: true, db: path },
      { json: false, stdout: (l) => stdout.push(l), stderr: () => undefined },
      new AbortController().signal,
    );
    expect(summary.migrations).to.equal(0);
    expect(stdout, stdout.join('\n')).to.have.length(1);
    expect(stdout[0]).to.match(/^#1 study: migrate vm\d fake:\/\/\/a -> fake:\/\/\/b \(dry run\): /);
    const db = ResultsDb.open(path, { readonly: true });
    expect(db.decisions()[0]).to.deep.include({ dryRun: true, kind: 'migrate' });
    expect(db.decisions()[0]).to.not.have.property('outcome');
    db.close();
    expect((await a.listDomains()).filter((x) => x.state === 'running').map((x) => x.name)).to.deep.equal([
      'vm1',
      'vm2',
    ]);
    await a.close();
  });
});
