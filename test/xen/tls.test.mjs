// libvirtd on the dom0s listens with TLS and requires a client certificate signed by the
// lab's CA: the lab's pki path gets in, anything else is refused.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XenHypervisor } from '@virtmig/driver-xen';
import { expect } from 'chai';
import { ensureXenlab, hostOf } from '../../scripts/xenlab/harness.mjs';

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

  it('a client certificate from another CA is refused by the dom0', async () => {
    const other = join(dir, 'other');
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const run = promisify(execFile);
    await run('mkdir', ['-p', other]);
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=intruder',
      '-keyout',
      join(other, 'clientkey.pem'),
      '-out',
      join(other, 'clientcert.pem'),
      '-addext',
      'extendedKeyUsage=clientAuth',
    ]);
    // The client trusts the lab's CA (so it accepts the server) but presents a foreign certificate.
    await writeFile(join(other, 'cacert.pem'), await readFile(join(status.pkiPath, 'cacert.pem')));
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
  });
});
