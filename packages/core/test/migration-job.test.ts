import { expect } from 'chai';
import {
  assertJobControl,
  controlsOfferedWith,
  type MigrationProgress,
  type PrecopySample,
  ProgressFeed,
  precopyRounds,
  VirtmigError,
} from '../src/index.js';

const MIB = 1024 * 1024;

/**
 * Samples every 50 ms of a simulated pre-copy: the link sends `bwMiBps`, the guest dirties
 * `dirtyMiBps` of distinct pages, and at each sync what was dirtied since the previous sync joins
 * what is left to send, as QEMU's dirty bitmap does.
 */
function simulate(memoryMiB: number, bwMiBps: number, dirtyMiBps: number, rounds: number): PrecopySample[] {
  const samples: PrecopySample[] = [];
  let remaining = memoryMiB * MIB;
  let sent = 0;
  let dirtied = 0;
  let iteration = 1;
  for (let t = 0; iteration <= rounds; t += 50) {
    samples.push({ elapsedMs: t, iteration, remainingBytes: remaining, sentBytes: sent, transferredBytes: sent });
    const step = Math.min(remaining, bwMiBps * MIB * 0.05);
    remaining -= step;
    sent += step;
    dirtied += dirtyMiBps * MIB * 0.05;
    if (remaining === 0) {
      remaining = dirtied;
      dirtied = 0;
      iteration++;
    }
  }
  return samples;
}

describe('precopyRounds', () => {
  it('derives each closed round’s dirty rate from remaining and sent bytes, within the sampling granularity', () => {
    const rounds = precopyRounds(simulate(128, 32, 8, 4));
    expect(rounds.map((r) => r.iteration)).to.deep.equal([1, 2, 3, 4]);
    for (const r of rounds.slice(0, 3)) {
      expect(r.dirtyRateBps, `round ${r.iteration}`).to.be.a('number');
      expect((r.dirtyRateBps as number) / MIB).to.be.within(8 * 0.9, 8 * 1.1);
      expect(r.endMs).to.be.greaterThan(r.startMs);
    }
    // The last round's closing sync was never sampled: no rate rather than a wrong one.
    expect(rounds[3]?.dirtyRateBps).to.equal(undefined);
    expect(rounds[0]?.transferredBytes).to.be.closeTo(128 * MIB, 2 * MIB);
  });

  it('ignores the hypervisor’s dirty-rate field and works from bytes alone (QEMU under TCG reports 0 there)', () => {
    const rounds = precopyRounds(simulate(64, 64, 16, 3));
    expect((rounds[0]?.dirtyRateBps as number) / MIB).to.be.within(16 * 0.9, 16 * 1.1);
  });

  it('takes round boundaries from migration-iteration event times when given', () => {
    const samples = simulate(64, 32, 8, 3);
    const firstOf2 = samples.find((s) => s.iteration === 2) as PrecopySample;
    const rounds = precopyRounds(samples, new Map([[2, firstOf2.elapsedMs - 10]]));
    expect(rounds[0]?.endMs).to.equal(firstOf2.elapsedMs - 10);
    expect(rounds[1]?.startMs).to.equal(firstOf2.elapsedMs - 10);
  });

  it('gives no rate for a round whose closing sync fell between samples with another sync (two steps at once)', () => {
    const samples: PrecopySample[] = [
      { elapsedMs: 0, iteration: 1, remainingBytes: 10 * MIB, sentBytes: 0, transferredBytes: 0 },
      { elapsedMs: 100, iteration: 3, remainingBytes: 2 * MIB, sentBytes: 12 * MIB, transferredBytes: 12 * MIB },
      { elapsedMs: 200, iteration: 4, remainingBytes: 1 * MIB, sentBytes: 14 * MIB, transferredBytes: 14 * MIB },
    ];
    const rounds = precopyRounds(samples);
    expect(rounds[0]?.iteration).to.equal(1);
    expect(rounds[0]?.dirtyRateBps).to.equal(undefined);
    expect(rounds[1]?.iteration).to.equal(3);
    expect(rounds[1]?.dirtiedBytes).to.equal(1 * MIB);
  });

  it('returns no rounds for setup-only samples (iteration 0)', () => {
    expect(
      precopyRounds([{ elapsedMs: 0, iteration: 0, remainingBytes: 0, sentBytes: 0, transferredBytes: 0 }]),
    ).to.deep.equal([]);
  });
});

const sample = (elapsedMs: number): MigrationProgress => ({
  elapsedMs,
  dataTotalBytes: 100,
  dataProcessedBytes: elapsedMs,
  dataRemainingBytes: 100 - elapsedMs,
  phase: 'precopy',
});

describe('ProgressFeed', () => {
  it('yields the newest sample to each iterator, thins to the interval, and ends every iterator on end()', async () => {
    const feed = new ProgressFeed();
    const all = feed.iterate();
    const thin = feed.iterate({ intervalMs: 100 });
    const seenAll: number[] = [];
    const seenThin: number[] = [];
    const readAll = (async () => {
      for await (const s of all) seenAll.push(s.elapsedMs);
    })();
    const readThin = (async () => {
      for await (const s of thin) seenThin.push(s.elapsedMs);
    })();
    for (const t of [0, 50, 100, 150, 200]) {
      feed.push(sample(t));
      await new Promise((r) => setImmediate(r));
    }
    feed.end();
    await Promise.all([readAll, readThin]);
    expect(seenAll).to.deep.equal([0, 50, 100, 150, 200]);
    expect(seenThin).to.deep.equal([0, 100, 200]);
    expect((await feed.iterate().next()).done).to.equal(true);
  });

  it('refuses a negative interval with E_INVALID_ARGUMENT', () => {
    expect(() => new ProgressFeed().iterate({ intervalMs: -1 }))
      .to.throw(VirtmigError)
      .with.property('code', 'E_INVALID_ARGUMENT');
  });
});

describe('job controls', () => {
  it('follow the start options: each control comes with its option', () => {
    expect([...controlsOfferedWith(new Set(['maxDowntimeMs', 'signal']))]).to.deep.equal(['setMaxDowntime', 'abort']);
    expect(controlsOfferedWith(new Set()).size).to.equal(0);
  });

  it('refuse an unoffered control with E_UNSUPPORTED, then a bad argument, then an ended job with E_STATE', () => {
    const code = (fn: () => void): string | undefined => {
      try {
        fn();
      } catch (e) {
        return (e as VirtmigError).code;
      }
      return undefined;
    };
    const ended = { domain: 'vm', finished: true };
    const bad = (): void => {
      throw new VirtmigError('E_INVALID_ARGUMENT', 'bad');
    };
    expect(code(() => assertJobControl('abort', new Set(), 'd', ended))).to.equal('E_UNSUPPORTED');
    expect(code(() => assertJobControl('abort', new Set(['abort']), 'd', ended, bad))).to.equal('E_INVALID_ARGUMENT');
    expect(code(() => assertJobControl('abort', new Set(['abort']), 'd', ended))).to.equal('E_STATE');
    expect(code(() => assertJobControl('abort', new Set(['abort']), 'd', { domain: 'vm', finished: false }))).to.equal(
      undefined,
    );
  });
});
