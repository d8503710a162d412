import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { AbortedError, InvalidArgumentError, NotFoundError, TimeoutError } from '@virtmig/core';
import { expect } from 'chai';
import {
  buildWorkloads,
  CommandFailedError,
  createWorkload,
  EXIT_USAGE,
  EXIT_VERIFY_FAILED,
  runOnHost,
  runProcess,
  WORKLOAD_NAMES,
  WorkloadVerificationError,
} from '../src/index.js';

/** True when an x86-64 ELF file has no PT_INTERP program header, i.e. needs no dynamic loader. */
async function isStaticElf(path: string): Promise<boolean> {
  const buf = await readFile(path);
  expect(buf.subarray(0, 4).toString('latin1')).to.equal('\x7fELF');
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (buf.readUInt32LE(phoff + i * phentsize) === 3) return false;
  }
  return true;
}

describe('native workloads, built and run on this host', function () {
  this.timeout(120_000);
  let bins: Record<string, string>;

  before(async () => {
    bins = await buildWorkloads();
  });

  it('build static binaries that need no shared libraries', async () => {
    for (const name of WORKLOAD_NAMES) expect(await isStaticElf(bins[name] as string), name).to.equal(true);
    expect(await isStaticElf(process.execPath), 'node itself is dynamic').to.equal(false);
  });

  it('run Dhrystone and report a verified DMIPS figure consistent with its run count', async () => {
    const r = await runOnHost(createWorkload('dhrystone'), { seconds: 0.5 });
    expect(r.verified).to.equal(true);
    expect(r.unit).to.equal('DMIPS');
    // Any x86-64 made since 2005 manages thousands of DMIPS; a broken loop would not.
    expect(r.score).to.be.within(500, 200_000);
    const perSecond = r.raw.dhrystones_per_second as number;
    expect((r.raw.runs as number) / r.seconds).to.be.closeTo(perSecond, perSecond * 1e-6);
  });

  it('run Dhrystone for an exact number of iterations', async () => {
    const r = await runOnHost(createWorkload('dhrystone'), { iterations: 1_234_567 });
    expect(r.raw.runs).to.equal(1_234_567);
  });

  it('run Linpack and solve with a small normalised residual', async () => {
    const r = await runOnHost(createWorkload('linpack'), { iterations: 5 }, { extra: { n: 150 } });
    expect(r.raw.n).to.equal(150);
    expect(r.raw.repetitions).to.equal(5);
    expect(r.raw.normalised_residual as number).to.be.below(100);
    expect(r.raw.max_error as number).to.be.below(1e-9);
    expect(r.score).to.be.within(50, 100_000);
  });

  it('run all 24 Livermore kernels at three spans, each checked against the reference build', async () => {
    const r = await runOnHost(createWorkload('livermore'), { seconds: 1.5 });
    expect(r.raw.failed_kernels).to.deep.equal([]);
    const spans = r.raw.spans as Record<
      string,
      { mflops: number[]; hmean: number; gmean: number; amean: number; min: number; max: number }
    >;
    for (const set of ['short', 'medium', 'long']) {
      const s = spans[set];
      expect(s?.mflops, set).to.have.length(24);
      for (const m of s?.mflops ?? []) expect(m).to.be.within(1, 100_000);
      // Means of positive figures are ordered: harmonic <= geometric <= arithmetic.
      expect(s?.hmean).to.be.at.most((s?.gmean ?? 0) * 1.0001);
      expect(s?.gmean).to.be.at.most((s?.amean ?? 0) * 1.0001);
      expect(s?.min).to.be.at.most(s?.hmean ?? 0);
    }
  });

  it('run the dirtier at a set rate and achieve about that rate', async () => {
    const r = await runOnHost(createWorkload('dirtier'), { seconds: 1 }, { extra: { wssMb: 32, rateMbps: 64 } });
    expect(r.unit).to.equal('MiB/s');
    expect(r.score).to.be.within(56, 66);
    expect(r.raw.sweeps as number).to.be.within(1.7, 2.1);
  });

  it('run the dirtier unthrottled well above a throttled rate', async () => {
    const r = await runOnHost(createWorkload('dirtier'), { seconds: 0.3 }, { extra: { wssMb: 16, rateMbps: 0 } });
    expect(r.score).to.be.above(500);
  });

  it('confine a workload to the cores it is given', async () => {
    expect(cpus().length, 'this test needs CPU 1').to.be.at.least(2);
    const r = await runOnHost(createWorkload('dhrystone'), { seconds: 0.2 }, { cores: [1] });
    expect(r.raw.cpus).to.deep.equal([1]);
  });

  for (const name of WORKLOAD_NAMES) {
    it(`make ${name} fail verification and exit ${EXIT_VERIFY_FAILED} when its computation is corrupted`, async () => {
      const w = createWorkload(name);
      const argv = [...w.argv({ iterations: 2 }, name === 'dirtier' ? { wssMb: 4 } : {}), '--self-test-corrupt'];
      const out = await runProcess(argv);
      expect(out.exitCode).to.equal(EXIT_VERIFY_FAILED);
      expect(out.stderr).to.match(/verification failed/);
      expect(w.parse(out.stdout).verified).to.equal(false);
    });
  }

  it('turn a failed verification into a WorkloadVerificationError carrying the parsed result', async () => {
    const corrupt = createWorkload('linpack');
    const wrapped = {
      name: corrupt.name,
      parse: (l: string) => corrupt.parse(l),
      argv: (b: never) => [...corrupt.argv(b), '--self-test-corrupt'],
    };
    const err = await runOnHost(wrapped, { iterations: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(WorkloadVerificationError);
    expect((err as WorkloadVerificationError).code).to.equal('E_COMMAND_FAILED');
    expect((err as WorkloadVerificationError).exitCode).to.equal(EXIT_VERIFY_FAILED);
    expect(((err as WorkloadVerificationError).details.result as { verified: boolean }).verified).to.equal(false);
  });

  for (const name of WORKLOAD_NAMES) {
    it(`make ${name} exit ${EXIT_USAGE} with a message on a usage error`, async () => {
      const w = createWorkload(name);
      for (const bad of [
        ['--bogus', '1'],
        ['--seconds', 'x'],
        ['--seconds', '1', '--iterations', '1'],
        ['--seconds'],
      ]) {
        const out = await runProcess([w.binary, ...bad]);
        expect(out.exitCode, bad.join(' ')).to.equal(EXIT_USAGE);
        expect(out.stdout).to.equal('');
        expect(out.stderr).to.match(new RegExp(`^${name}: `));
      }
    });
  }

  it('turn a usage error into a CommandFailedError with the exit code', async () => {
    const w = createWorkload('linpack');
    const bad = { name: w.name, parse: (l: string) => w.parse(l), argv: () => [w.binary, '--n', '1'] };
    const err = await runOnHost(bad, { seconds: 1 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CommandFailedError).and.not.instanceOf(WorkloadVerificationError);
    expect((err as CommandFailedError).exitCode).to.equal(EXIT_USAGE);
    expect((err as CommandFailedError).message).to.match(/--n must be/);
  });

  it('print progress lines on stderr when asked', async () => {
    const lines: string[] = [];
    await runOnHost(
      createWorkload('dhrystone'),
      { seconds: 0.6 },
      { extra: { progressMs: 100 }, onStderrLine: (l) => lines.push(l) },
    );
    expect(lines.length).to.be.within(3, 8);
    for (const l of lines) expect(l).to.match(/^dhrystone: progress \d+\.\d% runs=\d+$/);
  });

  it('kill a run that exceeds its timeout and throw E_TIMEOUT', async () => {
    const err = await runOnHost(createWorkload('dhrystone'), { seconds: 30 }, { timeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(TimeoutError);
  });

  it('kill a run when its signal aborts and throw E_ABORTED', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const started = Date.now();
    const err = await runOnHost(createWorkload('dhrystone'), { seconds: 30 }, { signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AbortedError);
    expect(Date.now() - started).to.be.below(5000);
  });

  it('refuse bad cores before starting anything', async () => {
    const err = await runOnHost(createWorkload('dhrystone'), { seconds: 1 }, { cores: [-2] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidArgumentError);
  });

  it('report a missing binary as E_NOT_FOUND', async () => {
    const err = await runOnHost(createWorkload('dhrystone', '/nonexistent'), { seconds: 1 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NotFoundError);
  });

  it('report a failed build as a CommandFailedError', async () => {
    const err = await buildWorkloads({ makeArgs: ['no-such-target'] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CommandFailedError);
    expect((err as CommandFailedError).stderrTail).to.match(/no-such-target/);
  });
});
