// A guest's console read through libvirt alone (virDomainOpenConsole on a virStream over the
// host's libvirt connection), as it must work on hosts that share no filesystem with virtmig:
// heartbeats as they arrive, the stream's end when the guest leaves by migration, the same
// guest's console reopened on the destination, abort, and backpressure without loss.

import { buildGuestImage } from '@virtmig/bench';
import { parseHeartbeatLine } from '@virtmig/core';
import { Connection, consoleLines, openConsole } from '@virtmig/libvirt';
import { expect } from 'chai';
import { labPair, stopGuest } from './helpers.mjs';

/** Reads heartbeats from a console stream until `count` arrived; resolves to them. */
async function heartbeats(stream, count) {
  const beats = [];
  for await (const line of consoleLines(stream)) {
    const beat = parseHeartbeatLine(line.text);
    if (beat) beats.push({ ...beat, atMs: line.atMs });
    if (beats.length >= count) break;
  }
  return beats;
}

describe('guest console over a libvirt stream (real lab, QEMU)', function () {
  this.timeout(240_000);
  const lab = labPair('con');
  const names = [];
  let image;
  let connA;
  let connB;

  before(async () => {
    image = await buildGuestImage();
    connA = await Connection.open(lab.status.hosts[0].uri);
    connB = await Connection.open(lab.status.hosts[1].uri);
  });
  after(async () => {
    // labPair's own after hook has closed lab.a and lab.b by now.
    for (const n of names) await stopGuest(n);
    await connA?.close();
    await connB?.close();
  });

  // A guest with no serial log file: its console is a pty that only libvirt can read.
  async function ptyGuest() {
    const name = `constream${names.length}-${process.pid % 10000}`;
    names.push(name);
    await lab.a.defineDomain({
      name,
      memoryMiB: 96,
      vcpus: 1,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline: 'console=ttyS0 quiet',
    });
    await lab.a.startDomain(name);
    return name;
  }

  it('reads the heartbeats of a running guest, in order, as they arrive', async () => {
    const name = await ptyGuest();
    const dom = await connA.lookupDomain(name);
    const stream = await openConsole(connA, dom);
    try {
      const beats = await heartbeats(stream, 5);
      for (let i = 1; i < beats.length; i++) expect(beats[i].seq).to.equal(beats[i - 1].seq + 1);
      // One about every 100 ms, stamped on arrival: the stamps must spread, not come in one burst.
      expect(beats.at(-1).atMs - beats[0].atMs).to.be.at.least(200);
    } finally {
      await stream.abort();
      dom.free();
    }
  });

  it('ends the source console when the guest migrates away, and the destination console continues the sequence', async () => {
    const name = await ptyGuest();
    const domA = await connA.lookupDomain(name);
    const onA = await openConsole(connA, domA);
    const seen = [];
    const reading = (async () => {
      for await (const line of consoleLines(onA)) {
        const beat = parseHeartbeatLine(line.text);
        if (beat) seen.push(beat.seq);
      }
    })();
    while (seen.length < 3) await new Promise((r) => setTimeout(r, 50));
    await lab.a.migrate(name, lab.b, { migrateUri: `tcp://${lab.status.hosts[1].address}` });
    // The source QEMU is gone: its console ends (cleanly or with libvirt's error), never hangs.
    const ended = await Promise.race([
      reading.then(
        () => 'end',
        (e) => e.code,
      ),
      new Promise((r) => setTimeout(() => r('still open'), 30_000)),
    ]);
    expect(ended).to.not.equal('still open');
    domA.free();
    const domB = await connB.lookupDomain(name);
    const onB = await openConsole(connB, domB);
    try {
      const after = await heartbeats(onB, 3);
      expect(after[0].seq, 'the same guest, not a reboot').to.be.greaterThan(seen.at(-1));
    } finally {
      await onB.abort();
      domB.free();
    }
  });

  it('abort() ends a waiting reader with E_ABORTED and lets go of the console', async () => {
    const name = await ptyGuest();
    const dom = await connA.lookupDomain(name);
    const stream = await openConsole(connA, dom);
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    const waiting = it.next().then(
      () => it.next(),
      (e) => e,
    );
    await stream.abort();
    const r = await Promise.race([waiting, new Promise((r) => setTimeout(() => r('hung'), 5000))]);
    expect(r === 'hung' ? r : (r.code ?? 'resolved')).to.be.oneOf(['E_ABORTED', 'resolved']);
    // The console is free again: a second client opens it without force.
    const again = await openConsole(connA, dom);
    await heartbeats(again, 1);
    await again.abort();
    dom.free();
  });

  it('holds back a slow reader (backpressure) without losing or reordering a heartbeat', async () => {
    const name = await ptyGuest();
    const dom = await connA.lookupDomain(name);
    const stream = await openConsole(connA, dom, { highWaterChunks: 2 });
    try {
      const seqs = [];
      for await (const line of consoleLines(stream)) {
        const beat = parseHeartbeatLine(line.text);
        if (!beat) continue;
        seqs.push(beat.seq);
        // A reader ten times slower than the guest writes: the binding must pause reading.
        await new Promise((r) => setTimeout(r, 150));
        if (seqs.length >= 12) break;
      }
      for (let i = 1; i < seqs.length; i++) expect(seqs[i], `after ${seqs[i - 1]}`).to.equal(seqs[i - 1] + 1);
    } finally {
      await stream.abort();
      dom.free();
    }
  });

  it('refuses a device name that is not an alias before libvirt is called', async () => {
    const name = await ptyGuest();
    const dom = await connA.lookupDomain(name);
    try {
      await openConsole(connA, dom, { device: '../../etc' }).then(
        () => expect.fail('opened'),
        (e) => expect(e.code).to.equal('E_INVALID_ARGUMENT'),
      );
    } finally {
      dom.free();
    }
  });
});
