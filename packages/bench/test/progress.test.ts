import { expect } from 'chai';
import { estimateRemainingMs, ProgressBar } from '../src/index.js';

function sink() {
  const chunks: string[] = [];
  return { chunks, stream: { columns: 100, write: (s: string) => chunks.push(s) } };
}

describe('progress bar', () => {
  it('writes nothing when disabled (stderr not a TTY, or --json)', () => {
    const s = sink();
    const bar = new ProgressBar(s.stream, false);
    bar.update({ kind: 'start', runId: 'r', total: 4, alreadyDone: 0, resumed: false });
    bar.update({ kind: 'trial-end', trialId: 't', ok: true, ms: 1000 });
    bar.update({ kind: 'end', done: 1, failed: 0, interrupted: false });
    expect(s.chunks).to.deep.equal([]);
  });

  it('redraws one line with counts, failures and an ETA from the trials finished so far', () => {
    const s = sink();
    const bar = new ProgressBar(s.stream, true);
    bar.update({ kind: 'start', runId: 'r', total: 10, alreadyDone: 2, resumed: true });
    expect(bar.line()).to.contain('2/10 20% ETA ?');
    bar.update({ kind: 'trial-start', trialId: 'linpack/ram128/vcpu1/cap50/cores2/t0', pair: 0 });
    bar.update({ kind: 'trial-end', trialId: 'linpack/ram128/vcpu1/cap50/cores2/t0', ok: true, ms: 10_000 });
    bar.update({ kind: 'trial-end', trialId: 'x', ok: false, ms: 20_000, error: 'boom' });
    expect(bar.line()).to.equal(
      '[########------------] 4/10 40% 1 failed ETA 1m30s linpack/ram128/vcpu1/cap50/cores2/t0',
    );
    expect(s.chunks.every((c) => c.startsWith('\r\x1b[K'))).to.equal(true);
  });

  it('divides the remaining time among parallel host pairs', () => {
    expect(estimateRemainingMs([], 5, 1)).to.equal(undefined);
    expect(estimateRemainingMs([10, 30], 6, 2)).to.equal(60);
  });
});
