import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EXIT } from '../src/index.js';

const run = promisify(execFile);
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');

/** Runs the real `virtmig` binary; resolves with its exit code and streams. */
async function virtmig(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('virtmig CLI', () => {
  it('inventory lists the test host, its domains and their stats as JSON', async () => {
    const r = await virtmig('inventory', 'test:///default', '--json');
    expect(r.code).to.equal(EXIT.OK);
    const inv = JSON.parse(r.stdout);
    expect(inv).to.have.length(1);
    expect(inv[0].host.hypervisorType).to.equal('TEST');
    expect(inv[0].domains.map((d: { name: string }) => d.name)).to.include('test');
    expect(inv[0].stats[0].fields).to.have.property('state.state', 1);
  });

  it('inventory prints a readable table by default', async () => {
    const r = await virtmig('inventory');
    expect(r.code).to.equal(EXIT.OK);
    expect(r.stdout).to.match(/DOMAIN\s+STATE\s+VCPUS/);
    expect(r.stdout).to.match(/^test\s+running\s+2/m);
  });

  it('domains --json lists the domains of one host', async () => {
    const r = await virtmig('domains', '--uri', 'test:///default', '--json');
    expect(JSON.parse(r.stdout)[0]).to.include({ name: 'test', state: 'running', vcpus: 2 });
  });

  it('exits 2 with a one-line reason for an unknown URI scheme', async () => {
    const r = await virtmig('inventory', 'vbox:///session');
    expect(r.code).to.equal(EXIT.USAGE);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^virtmig: no driver registered for URI scheme "vbox"/);
    expect(r.stdout).to.equal('');
  });

  it('lab commands refuse an unknown --kind and a --prefix with --kind xen (exit 2), touching no lab', async () => {
    for (const args of [
      ['lab', 'up', '--kind', 'kvm'],
      ['lab', 'status', '--kind', 'vmware', '--json'],
      ['lab', 'down', '--kind', 'xen', '--prefix', 'vmlab'],
      ['lab', 'up', '--kind', 'xen', '--prefix', 'x'],
    ]) {
      const r = await virtmig(...args);
      expect(r.code, args.join(' ')).to.equal(EXIT.USAGE);
      expect(r.stderr, args.join(' ')).to.match(/^virtmig: --(kind|prefix): /);
      expect(r.stdout).to.equal('');
    }
  });

  it('exits 2 for a malformed URI', async () => {
    const r = await virtmig('domains', '--uri', 'not a uri');
    expect(r.code).to.equal(EXIT.USAGE);
    expect(r.stderr).to.match(/invalid hypervisor URI/);
  });

  it('exits 2 for an unknown command and shows help on stderr', async () => {
    const r = await virtmig('frobnicate');
    expect(r.code).to.equal(EXIT.USAGE);
    expect(r.stderr).to.match(/unknown command/);
  });

  it('doctor reports each component with ok/warn/FAIL and JSON', async () => {
    const r = await virtmig('doctor', '--json');
    const checks = JSON.parse(r.stdout) as { name: string; ok: boolean; required: boolean }[];
    expect(checks.map((c) => c.name)).to.include.members(['libvirt library', 'libvirt shim', 'QEMU', 'KVM', 'cgroups']);
    const requiredOk = checks.filter((c) => c.required).every((c) => c.ok);
    expect(r.code).to.equal(requiredOk ? EXIT.OK : EXIT.UNAVAILABLE);
  });

  it('--help on every command documents it', async () => {
    for (const cmd of ['inventory', 'domains', 'doctor']) {
      const r = await virtmig(cmd, '--help');
      expect(r.code).to.equal(EXIT.OK);
      expect(r.stdout).to.match(new RegExp(`Usage: virtmig ${cmd}`));
    }
  });
});
