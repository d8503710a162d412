// libvirtd on the dom0s listens with TLS and requires a client certificate signed by the
// lab's CA: the lab's pki path gets in, anything else is refused. Migrations tunnelled through
// the dom0s' own TLS connection put nothing of the guest on the wire in clear; a dom0 whose
// client certificate is not the lab's cannot migrate.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { XenHypervisor } from '@virtmig/driver-xen';
import { expect } from 'chai';
import { captureLink, MIGRATION_NETDEV, tcpPayloads } from '../../scripts/xenlab/capture.mjs';
import {
  ConsoleFollower,
  ensureXenlab,
  hostOf,
  openBoth,
  pvDomain,
  removeEverywhere,
  runnerOf,
  waitBooted,
} from '../../scripts/xenlab/harness.mjs';

const run = promisify(execFile);
const LIBVIRT_TLS_PORT = 16514;
const MiB = 1024 * 1024;
/** Small, so the tunnelled migration (TLS on emulated CPUs on both ends) stays short. */
const GUEST_MIB = 96;

/**
 * A client certificate from another CA, made properly (CA:FALSE, clientAuth), in `dir`, with a
 * cacert.pem trusting both the lab's CA and the intruder's. The client's own checks of its
 * certificate pass and it accepts the lab's server, so only the server can refuse it.
 */
async function intruderPki(dir, labCaFile) {
  await mkdir(dir, { recursive: true });
  const ssl = (...args) => run('openssl', args, { cwd: dir });
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=intruder CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  await ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/O=intruder/CN=intruder',
    '-keyout',
    'clientkey.pem',
    '-out',
    'client.csr',
  );
  await writeFile(
    join(dir, 'client.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  await ssl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'client.ext',
    '-out',
    'clientcert.pem',
  );
  const cacert = `${await readFile(labCaFile, 'utf8')}${await readFile(join(dir, 'ca.pem'), 'utf8')}`;
  await writeFile(join(dir, 'cacert.pem'), cacert);
  return dir;
}

describe('xenlab: libvirt over TLS', function () {
  this.timeout(900_000);
  let status;
  let dir;
  before(async () => {
    status = await ensureXenlab();
    dir = await mkdtemp(join(tmpdir(), 'xenlab-tls-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a client with the lab certificate connects and reaches each dom0 by name and sees a Xen (PV guest) host', async () => {
    for (const n of ['xen-a', 'xen-b']) {
      const h = await XenHypervisor.open(hostOf(status, n).uri);
      try {
        const info = await h.hostInfo();
        expect(info.hostname).to.equal(n);
        expect(info.hypervisorType.toLowerCase()).to.contain('xen');
        expect(await h.capabilitiesXml()).to.contain('<os_type>xen</os_type>');
      } finally {
        await h.close();
      }
    }
  });

  it('a client holding only the CA (no client certificate) is refused', async () => {
    const port = hostOf(status, 'xen-a').tlsPort;
    await writeFile(join(dir, 'cacert.pem'), await readFile(join(status.pkiPath, 'cacert.pem')));
    let err;
    try {
      const h = await XenHypervisor.open(`xen+tls://127.0.0.1:${port}/system?pkipath=${dir}`);
      await h.close();
    } catch (e) {
      err = e;
    }
    expect(err, 'connection without a client certificate succeeded').to.be.instanceOf(Error);
  });

  it('a client certificate from another CA is refused by the dom0 (the client itself trusts it)', async () => {
    const other = await intruderPki(join(dir, 'other'), join(status.pkiPath, 'cacert.pem'));
    let err;
    try {
      const h = await XenHypervisor.open(
        `xen+tls://127.0.0.1:${hostOf(status, 'xen-a').tlsPort}/system?pkipath=${other}`,
      );
      await h.listDomains();
      await h.close();
    } catch (e) {
      err = e;
    }
    expect(err, 'a foreign client certificate was accepted').to.be.instanceOf(Error);
    // libvirt's wording when the handshake passed and the server then closed on the certificate check.
    expect(err.message).to.contain('TLS confirmation');
    console.log(`      refused: ${err.message}`);
  });

  describe("migration tunnelled through the dom0s' TLS connection", () => {
    let a;
    let b;
    let tty;
    const name = `xl-tls-${process.pid}`;
    // A string only this guest's memory holds: on its kernel command line, which the guest keeps.
    const marker = `virtmig-${randomBytes(12).toString('hex')}`;

    before(async () => {
      [a, b] = await openBoth(status);
      tty = new ConsoleFollower(status, name);
      const config = pvDomain(name, { memoryMiB: GUEST_MIB });
      await a.defineDomain({ ...config, cmdline: `${config.cmdline} virtmig.marker=${marker}` });
      await a.startDomain(name);
      await waitBooted(status, 'xen-a', name);
    });
    after(async () => {
      tty?.stop();
      if (a && b) await removeEverywhere([a, b], name);
      await a?.close();
      await b?.close();
    });

    /** Migrates `name` from `from` to `to` while the migration link is captured; resolves to the result and the TCP flows. */
    async function capturedMigration(from, to, options) {
      const pcap = join(dir, `${from === a ? 'ab' : 'ba'}.pcap`);
      const stop = await captureLink(status, 'xen-a', MIGRATION_NETDEV, pcap);
      let r;
      try {
        r = await from.migrate(name, to, { ...options, heartbeatLog: async () => tty.heartbeatLog() });
      } finally {
        await stop();
      }
      const flows = await tcpPayloads(pcap);
      await rm(pcap, { force: true });
      return { r, flows };
    }

    const carries = (flows, text) => flows.some((f) => f.payload.includes(text));
    const bytesOn = (flows, port) =>
      flows.filter((f) => f.sport === port || f.dport === port).reduce((n, f) => n + f.bytes, 0);

    it('a plain libxl migration carries the guest in clear on the migration link (the capture sees it)', async () => {
      const { r, flows } = await capturedMigration(a, b, {
        migrateUri: `tcp://${hostOf(status, 'xen-b').migrationAddress}`,
      });
      expect((await b.lookupDomain(name)).state).to.equal('running');
      const total = flows.reduce((n, f) => n + f.bytes, 0);
      expect(total, 'bytes on the migration link').to.be.greaterThan((GUEST_MIB / 2) * MiB);
      expect(carries(flows, marker), 'the guest marker in clear').to.equal(true);
      console.log(
        `      plain: ${(total / MiB).toFixed(0)} MiB on the link, marker in clear; total ${r.totalTimeMs} ms`,
      );
    });

    it('peerUri xen+tls:// with tunnelled migrates back with the guest memory only inside TLS on 16514, heartbeat continuous', async () => {
      const seqsBefore = tty.heartbeatSeqs().length;
      const { r, flows } = await capturedMigration(b, a, { peerUri: hostOf(status, 'xen-a').peerUri, tunnelled: true });
      expect((await a.lookupDomain(name)).state).to.equal('running');
      expect((await b.listDomains()).filter((d) => d.name === name && d.state !== 'shutoff')).to.deep.equal([]);
      const total = flows.reduce((n, f) => n + f.bytes, 0);
      const tls = bytesOn(flows, LIBVIRT_TLS_PORT);
      expect(tls, 'bytes through libvirtd TLS').to.be.greaterThan((GUEST_MIB / 2) * MiB);
      expect(tls / total, 'share of the link on the TLS port').to.be.greaterThan(0.99);
      expect(carries(flows, marker), 'the guest marker in clear').to.equal(false);
      expect(r.downtimeSource).to.equal('heartbeat');
      // Still the same boot: new heartbeats on xen-a continue the sequence without holes.
      const last = Math.max(...tty.heartbeatSeqs());
      await tty.waitFor(new RegExp(`^HB ${last + 3} `), 120_000, 'xen-a');
      const seqs = [...new Set(tty.heartbeatSeqs())].sort((x, y) => x - y);
      expect(seqsBefore).to.be.greaterThan(0);
      expect(seqs.at(-1)).to.equal(seqs.length - 1, 'heartbeat sequence has holes');
      expect(seqs[0]).to.equal(0);
      console.log(
        `      tunnelled: ${(tls / MiB).toFixed(0)} MiB through TLS, no marker in clear; total ${r.totalTimeMs} ms, downtime ${r.downtimeMs} ms`,
      );
    });

    it('a dom0 presenting a client certificate from another CA cannot migrate: the peer refuses it, guest still running on the source', async () => {
      const ssh = runnerOf(status, 'xen-a');
      const other = await intruderPki(join(dir, 'dom0-intruder'), join(status.pkiPath, 'cacert.pem'));
      const before = await a.lookupDomain(name);
      // xen-a trusts the intruder CA too, so only xen-b's check of the client certificate can stop it.
      const files = [
        ['cacert.pem', '/etc/pki/CA/cacert.pem'],
        ['clientcert.pem', '/etc/pki/libvirt/clientcert.pem'],
        ['clientkey.pem', '/etc/pki/libvirt/private/clientkey.pem'],
      ];
      for (const [, path] of files) await ssh.run('cp', ['-p', path, `${path}.lab`]);
      let err;
      try {
        for (const [f, path] of files) await ssh.run('tee', [path], { input: await readFile(join(other, f), 'utf8') });
        await a.migrate(name, b, { peerUri: hostOf(status, 'xen-b').peerUri, tunnelled: true }).catch((e) => {
          err = e;
        });
      } finally {
        for (const [, path] of files) await ssh.run('mv', [`${path}.lab`, path]);
      }
      expect(err, 'the migration succeeded with a foreign certificate').to.be.instanceOf(Error);
      expect(err.code).to.equal('E_MIGRATION_FAILED');
      expect(err.message).to.contain('TLS confirmation');
      expect(err.details.sourceState).to.equal('running');
      const after = await a.lookupDomain(name);
      expect(after.state).to.equal('running');
      expect(after.id).to.equal(before.id);
      let onB;
      try {
        onB = await b.lookupDomain(name);
      } catch (e) {
        onB = e.code;
      }
      expect(onB).to.equal('E_NOT_FOUND');
      console.log(`      refused: ${err.message}`);
    });
  });
});
