// The live-migration handle on the lab (QEMU under TCG): job statistics from the iterator, a
// bandwidth change that takes effect, max downtime, abort (the guest keeps running on the source
// with its heartbeat), a manual switch to post-copy, and the per-round dirty rate derived from the
// job statistics checked against the dirtier workload's set rate.

import { open, readFile } from 'node:fs/promises';
import { HeartbeatWatcher, serialLogOf } from '@virtmig/driver-qemu';
import { expect } from 'chai';
import { labPair, rejectsWith, startGuest, stopGuest } from './helpers.mjs';

const MIB = 1024 * 1024;

/** Collects samples from the job's iterator until `stop(samples)` is true or the job ends. */
async function collect(job, stop, options) {
  const samples = [];
  for await (const s of job.stats(options)) {
    samples.push(s);
    if (stop(samples)) break;
  }
  return samples;
}

/** Milliseconds between the first and last sample. */
const spanOf = (samples) => (samples.length < 2 ? 0 : samples[samples.length - 1].elapsedMs - samples[0].elapsedMs);

/** Bytes per second between the first and last sample. */
function rateOf(samples) {
  const a = samples[0];
  const b = samples[samples.length - 1];
  return ((b.dataProcessedBytes - a.dataProcessedBytes) * 1000) / (b.elapsedMs - a.elapsedMs);
}

/** The dirtier's own figure: the last `rate=` (MiB/s written since it started) in the guest's serial log. */
async function dirtierRate(log) {
  const rates = [...(await readFile(log, 'utf8')).matchAll(/dirtier: progress .* rate=([\d.]+)/g)];
  return rates.length ? Number(rates[rates.length - 1][1]) : undefined;
}

/**
 * Follows the dirtier's progress lines (`mib=<written since it started>`) in the guest's serial
 * log and stamps each with the host clock as it appears, so the memory the guest actually wrote in
 * a time window can be read back: under TCG on a busy host the guest falls behind its set rate
 * for a while and then catches up, which moves writes from one round to the next.
 */
async function followDirtier(log) {
  const fh = await open(log, 'r');
  let offset = (await fh.stat()).size;
  let partial = '';
  let busy = false;
  const points = [];
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const buf = Buffer.alloc(65536);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        const lines = (partial + buf.toString('utf8', 0, bytesRead)).split('\n');
        partial = lines.pop() ?? '';
        const at = Date.now();
        for (const line of lines) {
          const m = /dirtier: progress .*mib=([\d.]+)/.exec(line);
          if (m) points.push({ at, mib: Number(m[1]) });
        }
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(poll, 20);
  return {
    /** MiB written between two host times, interpolated between progress lines. */
    writtenMiB(from, to) {
      const at = (t) => {
        const i = points.findIndex((p) => p.at >= t);
        if (i <= 0) return i === 0 ? points[0].mib : points[points.length - 1]?.mib;
        const a = points[i - 1];
        const b = points[i];
        return a.mib + ((b.mib - a.mib) * (t - a.at)) / Math.max(1, b.at - a.at);
      };
      return at(to) - at(from);
    },
    async stop() {
      clearInterval(timer);
      await poll();
      await fh.close();
    },
  };
}

describe('QEMU driver: the migration job handle in the lab', function () {
  this.timeout(300_000);
  const lab = labPair('job');
  const dirtierGuests = [];
  after(async () => {
    for (const g of dirtierGuests) await stopGuest(g);
  });

  it('stats iterate while the job runs; setBandwidth raises the transfer rate; setMaxDowntime is accepted; abort gives E_ABORTED and the guest keeps running on the source with its heartbeat', async () => {
    const { a, b, status } = lab;
    const name = await lab.guest('a', '--workload', 'dirtier', '--args', '--wss-mb 32 --rate-mbps 4 --seconds 100000');
    const before = await a.lookupDomain(name);
    const job = await a.startMigration(name, b, {
      bandwidthMiBps: 2,
      migrateUri: `tcp://${status.hosts[1].address}`,
    });
    expect(job.finished).to.equal(false);
    // Past setup, 1.5 s at 2 MiB/s.
    const moving = (s) => s.filter((x) => x.dataProcessedBytes > 0);
    const slow = await collect(job, (s) => spanOf(moving(s)) > 1500);
    const slowSamples = moving(slow);
    const intervals = slow.slice(1).map((s, i) => s.elapsedMs - slow[i].elapsedMs);
    await job.setBandwidth(32);
    await job.setMaxDowntime(500);
    // The first sample after the change still counts bytes sent at the old limit.
    const fastSamples = (await collect(job, (s) => spanOf(s.slice(1)) > 1000)).slice(1);
    const slowBps = rateOf(slowSamples);
    const fastBps = rateOf(fastSamples);
    const watcher = new HeartbeatWatcher(serialLogOf(await a.domainXml(name)));
    await watcher.start(true);
    try {
      await job.abort();
      await rejectsWith(() => job.result, 'E_ABORTED');
      expect(job.finished).to.equal(true);
      await rejectsWith(() => job.setBandwidth(8), 'E_STATE');
      await rejectsWith(() => job.abort(), 'E_STATE');
      const after = await a.lookupDomain(name);
      expect(after.state).to.equal('running');
      expect(after.id).to.equal(before.id);
      await rejectsWith(() => b.lookupDomain(name), 'E_NOT_FOUND');
      const seen = watcher.beats.length;
      await watcher.waitFor((w) => w.beats.length >= seen + 3, 20_000);
    } finally {
      await watcher.stop();
    }
    const sorted = [...intervals].sort((x, y) => x - y);
    console.log(
      `      stats interval median ${sorted[Math.floor(sorted.length / 2)]} ms; transfer ${(slowBps / MIB).toFixed(1)} MiB/s at 2, ${(fastBps / MIB).toFixed(1)} MiB/s after setBandwidth(32)`,
    );
    expect(slowBps / MIB).to.be.within(2 * 0.8, 2 * 1.2);
    expect(fastBps / MIB).to.be.within(32 * 0.8, 32 * 1.2);
  });

  it('a migration started with postCopy "manual" switches on startPostCopy and completes on the destination', async () => {
    const { a, b, status } = lab;
    const name = await lab.guest('a', '--workload', 'dirtier', '--args', '--wss-mb 32 --rate-mbps 4 --seconds 100000');
    const job = await a.startMigration(name, b, {
      postCopy: 'manual',
      bandwidthMiBps: 8,
      migrateUri: `tcp://${status.hosts[1].address}`,
    });
    await collect(job, (s) => s[s.length - 1].dataProcessedBytes > 4 * MIB);
    await job.startPostCopy();
    const r = await job.result;
    expect(r.postCopy).to.equal(true);
    expect((await b.lookupDomain(name)).state).to.equal('running');
    await rejectsWith(() => job.startPostCopy(), 'E_STATE');
  });

  for (const rate of [8, 32]) {
    it(`the per-round dirty rate from job statistics, dirtier set to ${rate} MiB/s over 64 MiB: median within ±20 % of the set rate, each round within ±20 % of what the guest wrote in it`, async () => {
      const { a, b, status } = lab;
      // 256 MiB: in 128 MiB the guest's OOM killer ends a 64 MiB dirtier, which then re-faults its working set at full speed.
      const name = `jobdr${rate}-${process.pid % 10000}`;
      dirtierGuests.push(name);
      await startGuest(
        name,
        'a',
        '--memory',
        '256',
        '--workload',
        'dirtier',
        '--args',
        `--wss-mb 64 --rate-mbps ${rate} --seconds 100000 --progress-ms 100`,
      );
      const log = serialLogOf(await a.domainXml(name));
      // lambda = rate / bandwidth = 0.5 for 8 MiB/s and 0.8 for 32: several rounds, each shorter than a sweep of the working set.
      const bandwidth = rate === 8 ? 16 : 40;
      const guest = await followDirtier(log);
      let r;
      try {
        r = await a.migrate(name, b, {
          bandwidthMiBps: bandwidth,
          migrateUri: `tcp://${status.hosts[1].address}`,
          timeoutMs: 120_000,
        });
      } finally {
        await guest.stop();
      }
      const t0 = Date.parse(r.startedAt);
      // What the guest wrote during a round, as distinct memory: a sweep rewrites the same 64 MiB.
      const wroteBps = (x) =>
        (Math.min(64, guest.writtenMiB(t0 + x.startMs, t0 + x.endMs)) * MIB * 1000) / (x.endMs - x.startMs);
      const achieved = await dirtierRate(log);
      const rounds = r.rounds ?? [];
      const measured = rounds.filter((x) => x.dirtyRateBps !== undefined);
      console.log(
        `      set ${rate} MiB/s (dirtier reports ${achieved} MiB/s), bandwidth ${bandwidth} MiB/s, ${rounds.length} rounds, libvirt memory_dirty_rate ${r.dirtyRateBps ?? 'n/a'} B/s`,
      );
      for (const x of rounds)
        console.log(
          `        round ${x.iteration}: ${x.startMs.toFixed(0)}-${x.endMs.toFixed(0)} ms, sent ${(x.transferredBytes / MIB).toFixed(1)} MiB, dirtied ${x.dirtiedBytes === undefined ? '-' : (x.dirtiedBytes / MIB).toFixed(1)} MiB, rate ${x.dirtyRateBps === undefined ? '-' : (x.dirtyRateBps / MIB).toFixed(2)} MiB/s, the guest wrote ${(wroteBps(x) / MIB).toFixed(2)} MiB/s`,
        );
      // Rounds under 0.5 s are a few 50 ms samples long: their boundaries, not the guest, dominate.
      const long = measured.filter((x) => x.endMs - x.startMs >= 500);
      expect(long.length, 'rounds of at least 0.5 s with a dirty rate').to.be.at.least(2);
      // The dirtier sweeps its working set in order, so a round longer than one sweep (64 MiB / rate)
      // can re-dirty at most the whole working set: the distinct memory a round dirties is min(rate x T, 64 MiB).
      const expectedOf = (x) => Math.min(rate, 64 / ((x.endMs - x.startMs) / 1000));
      const ratios = long.map((x) => x.dirtyRateBps / MIB / expectedOf(x)).sort((p, q) => p - q);
      const median = ratios[Math.floor(ratios.length / 2)];
      console.log(`      measured / set rate over rounds >= 0.5 s: ${ratios.map((q) => q.toFixed(2)).join(' ')}`);
      expect(median, 'median of measured / set rate').to.be.within(0.8, 1.2);
      // Round by round against what the guest actually wrote then (its rate control catches up after a stall).
      for (const x of long) {
        const wrote = wroteBps(x);
        expect(
          x.dirtyRateBps / wrote,
          `round ${x.iteration}: ${(x.dirtyRateBps / MIB).toFixed(2)} MiB/s measured, ${(wrote / MIB).toFixed(2)} written`,
        ).to.be.within(0.8, 1.2);
      }
    });
  }
});
