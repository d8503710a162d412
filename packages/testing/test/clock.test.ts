import { expect } from 'chai';
import { ManualClock, systemClock } from '../src/index.js';
import { rejectsWith } from './helpers.js';

describe('clocks', () => {
  it('ManualClock wakes sleepers in due order as time advances, and not before', async () => {
    const clock = new ManualClock(1000);
    const woke: string[] = [];
    void clock.sleep(30).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(10).then(() => woke.push(`a@${clock.now()}`));
    await clock.advance(9);
    expect(woke).to.deep.equal([]);
    await clock.advance(100);
    expect(woke).to.deep.equal(['a@1010', 'b@1030']);
    expect(clock.now()).to.equal(1109);
  });

  it('ManualClock.runAll follows a chain of sleeps to its end and reports the time advanced', async () => {
    const clock = new ManualClock();
    const chain = (async () => {
      for (let i = 0; i < 5; i++) await clock.sleep(100);
      return clock.now();
    })();
    expect(await clock.runAll()).to.equal(500);
    expect(await chain).to.equal(500);
    expect(clock.pending).to.equal(0);
  });

  it('an AbortSignal rejects a pending sleep with E_ABORTED and removes it', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const p = clock.sleep(100, controller.signal);
    controller.abort();
    await rejectsWith(p, 'E_ABORTED');
    expect(clock.pending).to.equal(0);
    await rejectsWith(systemClock.sleep(10_000, AbortSignal.abort()), 'E_ABORTED');
  });

  it('ManualClock refuses to sleep NaN milliseconds instead of never waking', async () => {
    const clock = new ManualClock();
    let error: unknown;
    await clock.sleep(Number.NaN).catch((e: unknown) => {
      error = e;
    });
    expect(error).to.be.instanceOf(RangeError);
    expect(clock.pending).to.equal(0);
  });

  it('systemClock sleeps in real time', async () => {
    const start = Date.now();
    await systemClock.sleep(20);
    expect(Date.now() - start).to.be.at.least(19);
  });
});
