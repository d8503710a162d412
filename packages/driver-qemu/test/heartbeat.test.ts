import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { HeartbeatWatcher } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('HeartbeatWatcher', () => {
  let dir: string;
  let log: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hb-'));
    log = join(dir, 'serial.log');
    await writeFile(log, 'HB 0 100\nHB 1 200\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ignores what was in the log before start and stamps new heartbeats with the host clock', async () => {
    const w = new HeartbeatWatcher(log, 2);
    await w.start();
    await appendFile(log, 'HB 2 300\r\nWL {"x":1}\nHB 3 4');
    await w.waitFor((x) => x.beats.length === 1, 2000);
    await appendFile(log, '00\n');
    await w.waitFor((x) => x.beats.length === 2, 2000);
    await w.stop();
    expect(w.beats.map((b) => [b.seq, b.guestMs])).to.deep.equal([
      [2, 300],
      [3, 400],
    ]);
    expect(w.lastSeq).to.equal(3);
  });

  it('reports the host-side gap, which includes time the guest clock did not see, and continuity', async () => {
    const w = new HeartbeatWatcher(log, 2);
    await w.start();
    await appendFile(log, 'HB 2 300\n');
    await w.waitFor((x) => x.beats.length === 1, 2000);
    await sleep(150);
    await appendFile(log, 'HB 3 410\n');
    await w.waitFor((x) => x.beats.length === 2, 2000);
    await w.stop();
    const r = w.report();
    expect(r.hostGapMs).to.be.at.least(140);
    expect(r.guestGapMs).to.equal(110);
    expect(r).to.include({ seqBefore: 2, seqAfter: 3, continuous: true, beats: 2 });
  });

  it('flags a restarted guest (sequence back to 0) as not continuous', async () => {
    const w = new HeartbeatWatcher(log, 2);
    await w.start();
    await appendFile(log, 'HB 2 300\nVIRTMIG BOOT 2500\nHB 0 2600\n');
    await w.waitFor((x) => x.beats.length === 2, 2000);
    await w.stop();
    expect(w.report().continuous).to.equal(false);
  });

  it('waitFor rejects when no heartbeat comes in time', async () => {
    const w = new HeartbeatWatcher(log, 2);
    await w.start();
    let err: unknown;
    await w
      .waitFor((x) => x.beats.length > 0, 30)
      .catch((e) => {
        err = e;
      });
    await w.stop();
    expect(err).to.be.instanceOf(Error);
  });
});
