import { spawn } from 'node:child_process';
import { InvalidArgumentError, ParseError } from '@virtmig/core';
import { expect } from 'chai';
import {
  buildWorkloads,
  busyPercent,
  type CpuTicks,
  createWorkload,
  type HostCpuSample,
  HostCpuSampler,
  hostUsageBetween,
  type ProcStat,
  parseProcStat,
} from '../src/index.js';

const STAT_A = `cpu  100 0 50 800 50 0 0 0 0 0
cpu0 60 0 30 400 10 0 0 0 0 0
cpu1 40 0 20 400 40 0 0 0 0 0
intr 12345 0 0
ctxt 999
btime 1700000000
`;
// 100 ticks later on each CPU: cpu0 was busy 75 of them, cpu1 10 (and 20 in iowait, which counts as idle).
const STAT_B = `cpu  170 5 55 895 70 2 3 0 0 0
cpu0 120 5 35 425 10 2 3 0 0 0
cpu1 50 0 20 470 60 0 0 0 0 0
`;

describe('HostCpuSampler', function () {
  this.timeout(60_000);

  it('parse the aggregate and per-CPU lines of /proc/stat', () => {
    const s = parseProcStat(STAT_A);
    expect(s.total).to.deep.equal({
      user: 100,
      nice: 0,
      system: 50,
      idle: 800,
      iowait: 50,
      irq: 0,
      softirq: 0,
      steal: 0,
    });
    expect([...s.cores.keys()]).to.deep.equal([0, 1]);
    expect(s.cores.get(1)?.iowait).to.equal(40);
  });

  it('reject /proc/stat text without an aggregate line or with malformed numbers', () => {
    expect(() => parseProcStat('intr 1 2 3\n')).to.throw(ParseError);
    expect(() => parseProcStat('cpu  1 2 x 4 5 6 7 8\n')).to.throw(ParseError);
    expect(() => parseProcStat('cpu  1 2 3\n')).to.throw(ParseError);
  });

  it('compute busy percent as non-idle, non-iowait ticks over all ticks', () => {
    const a = parseProcStat(STAT_A);
    const b = parseProcStat(STAT_B);
    const core = (s: ProcStat, cpu: number): CpuTicks => s.cores.get(cpu) ?? expect.fail(`no cpu${cpu}`);
    expect(busyPercent(core(a, 0), core(b, 0))).to.be.closeTo(75, 1e-9);
    expect(busyPercent(core(a, 1), core(b, 1))).to.be.closeTo(10, 1e-9);
    expect(busyPercent(a.total, b.total)).to.be.closeTo(42.5, 1e-9);
    expect(busyPercent(a.total, a.total)).to.equal(0);
  });

  it('report each CPU present in both reads, in CPU order', () => {
    const s = hostUsageBetween(parseProcStat(STAT_A), parseProcStat(STAT_B), 1000, 42);
    expect(s.perCore.map((c) => c.cpu)).to.deep.equal([0, 1]);
    expect(s.at).to.equal(42);
    expect(s.totalPercent).to.be.closeTo(42.5, 1e-9);
  });

  it('refuse an interval shorter than a /proc/stat tick', () => {
    expect(() => new HostCpuSampler({ intervalMs: 5 })).to.throw(InvalidArgumentError);
  });

  it('see one core go busy while a workload runs pinned to it, and stop on abort', async () => {
    await buildWorkloads();
    const ac = new AbortController();
    const samples: HostCpuSample[] = [];
    const sampler = new HostCpuSampler({ intervalMs: 250, signal: ac.signal });
    // An idle baseline first, then the same sampler watches a busy loop pinned to CPU 1.
    let childExit: Promise<unknown> | undefined;
    const run = (async () => {
      for await (const s of sampler) {
        samples.push(s);
        if (samples.length === 2) {
          const child = spawn('taskset', ['-c', '1', ...createWorkload('dhrystone').argv({ seconds: 1.5 })], {
            stdio: 'ignore',
          });
          childExit = new Promise((resolve) => child.once('exit', resolve));
        }
        if (samples.length === 8) ac.abort();
      }
    })();
    await run;
    await childExit;
    expect(samples).to.have.length(8);
    const during = samples.slice(3, 7);
    for (const s of during) {
      const cpu1 = s.perCore.find((c) => c.cpu === 1)?.percent ?? 0;
      expect(cpu1, JSON.stringify(s)).to.be.above(85);
      expect(s.totalPercent).to.be.above(40);
      expect(s.intervalMs).to.be.within(200, 600);
    }
  });

  it('end the iteration at once when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const seen: HostCpuSample[] = [];
    for await (const s of new HostCpuSampler({ intervalMs: 1000, signal: ac.signal })) seen.push(s);
    expect(seen).to.deep.equal([]);
  });

  it('cost well under a millisecond of CPU per sample once warm (measured and printed)', async () => {
    const ac = new AbortController();
    const warmup = 20;
    const n = 100;
    let count = 0;
    let before = process.cpuUsage();
    for await (const _ of new HostCpuSampler({ intervalMs: 10, signal: ac.signal })) {
      if (++count === warmup) before = process.cpuUsage();
      if (count === warmup + n) ac.abort();
    }
    const used = process.cpuUsage(before);
    const perSampleUs = (used.user + used.system) / n;
    console.log(`      HostCpuSampler: ${perSampleUs.toFixed(0)} us CPU per sample (${n} samples, 10 ms interval)`);
    expect(perSampleUs).to.be.below(1000);
  });
});
