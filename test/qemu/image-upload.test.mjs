// The guest image sent to a host through libvirt alone (a directory pool, virStorageVolUpload on
// a virStream), as on hosts that share no filesystem with virtmig: named by content hash, sent
// once, never left truncated, removed only on request; and a guest booted from the uploaded
// volumes whose console is read over a stream.

import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuestImage } from '@virtmig/bench';
import { parseHeartbeatLine } from '@virtmig/core';
import {
  Connection,
  consoleLines,
  ensureImageVolume,
  openConsole,
  removeImageVolumes,
  StoragePool,
} from '@virtmig/libvirt';
import { expect } from 'chai';
import { virsh } from '../../scripts/lab/harness.mjs';
import { labPair, stopGuest } from './helpers.mjs';

const volumeNames = async (uri, pool) =>
  (await virsh(uri, ['vol-list', '--pool', pool]))
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean)
    .sort();

describe('guest image uploaded through libvirt storage (real lab, QEMU)', function () {
  this.timeout(300_000);
  const lab = labPair('img');
  const poolName = `virtmig-test-${process.pid}`;
  const guest = `imgguest-${process.pid % 10000}`;
  let image;
  let conn;
  let pool;
  let uriB;
  let scratch;

  before(async () => {
    image = await buildGuestImage();
    uriB = lab.status.hosts[1].uri;
    conn = await Connection.open(uriB);
    pool = await StoragePool.ensureDirectory(conn, poolName, `/var/tmp/${poolName}`);
    scratch = await mkdtemp(join(tmpdir(), 'virtmig-upload-'));
  });
  after(async () => {
    // labPair's own after hook has closed lab.a and lab.b by now.
    await stopGuest(guest);
    if (pool) await removeImageVolumes(pool).catch(() => {});
    pool?.free();
    await virsh(uriB, ['pool-destroy', poolName]).catch(() => {});
    await virsh(uriB, ['pool-delete', poolName]).catch(() => {});
    await virsh(uriB, ['pool-undefine', poolName]).catch(() => {});
    await conn?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('sends the kernel and initrd once (named by content hash) and boots a guest from them on B', async () => {
    const kernel = await ensureImageVolume(pool, image.kernel);
    const initrd = await ensureImageVolume(pool, image.initrd);
    expect(kernel.uploaded).to.equal(true);
    expect(kernel.name).to.match(new RegExp(`^virtmig-${kernel.sha256.slice(0, 16)}-`));
    const again = await ensureImageVolume(pool, image.kernel);
    expect(again).to.deep.equal({ ...kernel, uploaded: false });
    expect(await volumeNames(uriB, poolName)).to.deep.equal(
      [kernel.name, `${kernel.name}.complete`, initrd.name, `${initrd.name}.complete`].sort(),
    );

    await lab.b.defineDomain({
      name: guest,
      memoryMiB: 96,
      vcpus: 1,
      kernel: kernel.path,
      initrd: initrd.path,
      cmdline: 'console=ttyS0 quiet',
    });
    await lab.b.startDomain(guest);
    const dom = await conn.lookupDomain(guest);
    const stream = await openConsole(conn, dom);
    try {
      const beats = [];
      for await (const line of consoleLines(stream)) {
        const beat = parseHeartbeatLine(line.text);
        if (beat) beats.push(beat.seq);
        if (beats.length >= 3) break;
      }
      expect(beats).to.have.length(3);
    } finally {
      await stream.abort();
      dom.free();
    }
  });

  it('an aborted upload leaves neither the volume nor its marker', async () => {
    const big = join(scratch, 'big.img');
    await writeFile(big, '');
    await truncate(big, 256 << 20);
    const ac = new AbortController();
    const upload = ensureImageVolume(pool, big, ac.signal);
    setTimeout(() => ac.abort(), 300);
    const e = await upload.then(
      () => undefined,
      (err) => err,
    );
    expect(e?.code, 'the 256 MiB upload was still running at 300 ms').to.equal('E_ABORTED');
    expect(
      (await volumeNames(uriB, poolName)).filter((n) => n.endsWith('-big.img') || n.endsWith('-big.img.complete')),
    ).to.deep.equal([]);
  });

  it('replaces a volume an earlier run left without its marker (an interrupted upload) instead of using it', async () => {
    const file = join(scratch, 'small.img');
    await writeFile(file, Buffer.alloc(1 << 20, 7));
    const first = await ensureImageVolume(pool, file);
    // What a crash mid-upload leaves: the volume, no marker.
    await virsh(uriB, ['vol-delete', '--pool', poolName, `${first.name}.complete`]);
    const second = await ensureImageVolume(pool, file);
    expect(second.uploaded).to.equal(true);
    expect(await volumeNames(uriB, poolName)).to.include(`${first.name}.complete`);
  });

  it('removeImageVolumes deletes the uploaded images and markers, and nothing else', async () => {
    const other = `keep-${process.pid}.img`;
    await virsh(uriB, ['vol-create-as', poolName, other, '1M']);
    const removed = await removeImageVolumes(pool);
    expect(removed.length).to.be.greaterThan(0);
    expect(removed.every((n) => n.startsWith('virtmig-'))).to.equal(true);
    expect(await volumeNames(uriB, poolName)).to.deep.equal([other]);
    await virsh(uriB, ['vol-delete', '--pool', poolName, other]);
  });

  it('refuses a relative path, a directory, and a bad pool name before touching the host', async () => {
    for (const [fn, code] of [
      [() => ensureImageVolume(pool, 'relative.img'), 'E_INVALID_ARGUMENT'],
      [() => ensureImageVolume(pool, scratch), 'E_INVALID_ARGUMENT'],
      [() => StoragePool.ensureDirectory(conn, '../x', '/var/tmp/x'), 'E_INVALID_ARGUMENT'],
      [() => StoragePool.ensureDirectory(conn, 'ok-name', 'relative'), 'E_INVALID_ARGUMENT'],
    ]) {
      const e = await fn().then(
        () => undefined,
        (err) => err,
      );
      expect(e?.code).to.equal(code);
    }
    expect((await virsh(uriB, ['pool-list', '--all', '--name'])).split('\n').map((l) => l.trim())).to.not.include(
      'ok-name',
    );
  });
});
