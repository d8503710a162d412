import { expect } from 'chai';
import { planPrecopy } from '../src/index.js';
import { rejectsWith } from './helpers.js';

const base = { memoryBytes: 1e9, bandwidthBps: 1e8, maxDowntimeMs: 300, maxIterations: 30, setupMs: 0, resumeMs: 0 };

describe('planPrecopy', () => {
  it('equals the closed form total = M(1 - λ^(n+1)) / (R(1 - λ)), downtime = Mλ^n / R for λ < 1', () => {
    for (const dirty of [1e7, 3e7, 5e7, 8e7]) {
      const plan = planPrecopy({ ...base, dirtyRateBps: dirty });
      const lambda = dirty / base.bandwidthBps;
      const n = plan.rounds.length;
      expect(plan.lambda).to.equal(lambda);
      expect(plan.totalMs).to.be.closeTo(
        ((base.memoryBytes * (1 - lambda ** (n + 1))) / (base.bandwidthBps * (1 - lambda))) * 1000,
        1e-6,
      );
      expect(plan.downtimeMs).to.be.closeTo(((base.memoryBytes * lambda ** n) / base.bandwidthBps) * 1000, 1e-6);
      expect(plan.converged).to.equal(true);
      expect(plan.downtimeMs).to.be.at.most(300);
    }
  });

  it('stops at the first round whose remainder fits the downtime budget', () => {
    // λ = 0.5, M/R = 10 s: remainders 5 s, 2.5 s, ... 0.3125 s, 0.156 s → 6 rounds.
    const plan = planPrecopy({ ...base, dirtyRateBps: 5e7 });
    expect(plan.rounds.map((r) => r.durationMs)).to.deep.equal([10000, 5000, 2500, 1250, 625, 312.5]);
    expect(plan.stopAndCopyMs).to.equal(156.25);
  });

  it('an idle guest needs one round and no stop-and-copy data; setup and resume add to total and downtime', () => {
    const plan = planPrecopy({ ...base, dirtyRateBps: 0, setupMs: 20, resumeMs: 12 });
    expect(plan.rounds).to.have.length(1);
    expect(plan.stopAndCopyBytes).to.equal(0);
    expect(plan.totalMs).to.equal(20 + 10000 + 12);
    expect(plan.downtimeMs).to.equal(12);
  });

  it('a guest dirtying faster than the link never converges: maxIterations rounds of M, then all of M paused', () => {
    const plan = planPrecopy({ ...base, dirtyRateBps: 2e8, maxIterations: 30 });
    expect(plan.converged).to.equal(false);
    expect(plan.rounds).to.have.length(30);
    expect(plan.rounds.every((r) => r.bytes === base.memoryBytes)).to.equal(true);
    expect(plan.stopAndCopyBytes).to.equal(base.memoryBytes);
    expect(plan.transferredBytes).to.equal(31 * base.memoryBytes);
  });

  it('auto-converge throttles the dirty rate from round 3 (20 %, then +10 % a round) until it converges', () => {
    const plan = planPrecopy({ ...base, dirtyRateBps: 2e8, autoConverge: true });
    expect(plan.converged).to.equal(true);
    expect(plan.rounds.slice(0, 5).map((r) => Math.round(r.dirtyRateBps))).to.deep.equal([
      2e8, 2e8, 1.6e8, 1.4e8, 1.2e8,
    ]);
  });

  it('rejects impossible inputs with E_INVALID_ARGUMENT', async () => {
    for (const bad of [{ bandwidthBps: 0 }, { memoryBytes: -1 }, { maxIterations: 0 }, { dirtyRateBps: Number.NaN }]) {
      const e = await rejectsWith(
        Promise.resolve().then(() => planPrecopy({ ...base, dirtyRateBps: 0, ...bad })),
        'E_INVALID_ARGUMENT',
      );
      expect(e.details.field).to.equal(Object.keys(bad)[0]);
    }
  });
});
