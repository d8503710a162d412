// TLS migration (MigrationOptions.tls → VIR_MIGRATE_TLS) between the two lab hosts: each host's
// QEMU has a key and certificate from the lab's CA (scripts/lab/lab make_pki, qemu.conf
// migrate_tls_x509_cert_dir with migrate_tls_x509_verify = 1). A guest moves over TLS with its
// heartbeat intact; a source whose certificates come from another CA fails the handshake, and
// the guest keeps running where it was.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { labPair, rejectsWith } from './helpers.mjs';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA of its own and a host certificate for `address` signed by it, as QEMU's cert dir wants them. */
async function foreignCertDir(dir, address) {
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-days',
    '1',
    '-subj',
    '/CN=not the lab CA',
    '-keyout',
    join(dir, 'ca-key.pem'),
    '-out',
    join(dir, 'ca-cert.pem'),
  ]);
  await run('openssl', [
    'req',
    '-new',
    ...EC,
    '-subj',
    `/CN=${address}`,
    '-keyout',
    join(dir, 'client-key.pem'),
    '-out',
    join(dir, 'host.csr'),
  ]);
  await writeFile(join(dir, 'host.ext'), `subjectAltName=IP:${address}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'host.csr'),
    '-CA',
    join(dir, 'ca-cert.pem'),
    '-CAkey',
    join(dir, 'ca-key.pem'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    join(dir, 'host.ext'),
    '-out',
    join(dir, 'client-cert.pem'),
  ]);
  await copyFile(join(dir, 'client-cert.pem'), join(dir, 'server-cert.pem'));
  await copyFile(join(dir, 'client-key.pem'), join(dir, 'server-key.pem'));
}

describe('QEMU driver: TLS migration in the lab', function () {
  this.timeout(240_000);
  const lab = labPair('tls');
  let status;
  let a;
  let b;
  before(() => {
    ({ status, a, b } = lab);
  });
  const guest = lab.guest;

  it('tls: true moves a running guest A→B over the lab certificates; the heartbeat continues on B', async () => {
    const name = await guest('a');
    const before = await a.lookupDomain(name);
    const r = await a.migrate(name, b, { tls: true, heartbeat: true, migrateUri: `tcp://${status.hosts[1].address}` });
    expect(r.heartbeat.continuous, 'no restart: sequence numbers continue').to.equal(true);
    expect(r.dataTransferredBytes).to.be.greaterThan(16 << 20);
    const onB = await b.lookupDomain(name);
    expect(onB.state).to.equal('running');
    expect(onB.uuid).to.equal(before.uuid);
    console.log(`      tls: total ${r.totalTimeMs} ms, downtime ${r.downtimeMs} ms`);
  });

  it('a source whose QEMU holds certificates from another CA fails the TLS handshake: E_MIGRATION_FAILED, guest still running on the source, nothing on the destination', async () => {
    const name = await guest('b');
    const before = await b.lookupDomain(name);
    const tlsDir = status.hosts[1].tlsDir;
    const saved = await mkdtemp(join(tmpdir(), 'virtmig-tls-saved-'));
    const foreign = await mkdtemp(join(tmpdir(), 'virtmig-tls-foreign-'));
    const files = await readdir(tlsDir);
    try {
      await foreignCertDir(foreign, status.hosts[1].address);
      for (const f of files) {
        await copyFile(join(tlsDir, f), join(saved, f));
        await copyFile(join(foreign, f), join(tlsDir, f));
      }
      const err = await rejectsWith(
        () => b.migrate(name, a, { tls: true, migrateUri: `tcp://${status.hosts[0].address}`, timeoutMs: 60_000 }),
        'E_MIGRATION_FAILED',
      );
      expect(err.message).to.match(/certificate|issuer|TLS|handshake/i);
    } finally {
      for (const f of files) await copyFile(join(saved, f), join(tlsDir, f));
      await rm(saved, { recursive: true, force: true });
      await rm(foreign, { recursive: true, force: true });
    }
    const after = await b.lookupDomain(name);
    expect(after.state).to.equal('running');
    expect(after.id).to.equal(before.id);
    await rejectsWith(() => a.lookupDomain(name), 'E_NOT_FOUND');
  });
});
