import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import Mocha from 'mocha';

interface Outcome {
  readonly passed: string[];
  readonly failed: string[];
  readonly pending: string[];
  readonly errors: { title: string; message: string }[];
}

/** Runs a mocha file in this process with a silent reporter and collects full test titles. */
async function runMochaFile(file: string): Promise<Outcome> {
  const mocha = new Mocha({ reporter: class Silent extends Mocha.reporters.Base {}, timeout: 10_000 });
  mocha.addFile(file);
  await mocha.loadFilesAsync();
  const outcome: Outcome = { passed: [], failed: [], pending: [], errors: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (test) => outcome.passed.push(test.fullTitle()));
    runner.on('fail', (test, err: Error) => {
      outcome.failed.push(test.fullTitle());
      outcome.errors.push({ title: test.fullTitle(), message: err.message });
    });
    runner.on('pending', (test) => outcome.pending.push(test.fullTitle()));
  });
  mocha.dispose();
  return outcome;
}

describe('runConformance against deliberately broken drivers', function () {
  this.timeout(60_000);
  let outcome: Outcome;

  before(async () => {
    outcome = await runMochaFile(fileURLToPath(new URL('./fixtures/broken-drivers.suite.js', import.meta.url)));
  });

  /** The ids of the checks that failed in `suite` (a test is titled `ID: what it proves`). */
  function failedIds(suite: string, titles: readonly string[] = outcome.failed): string[] {
    const prefix = `Hypervisor contract: ${suite} `;
    return titles
      .filter((t) => t.startsWith(prefix))
      .map((t) => t.slice(prefix.length).split(' ')[1]?.replace(/:$/, '') ?? t);
  }

  it('the nested run executed the suite: most checks pass for the mostly-correct drivers', () => {
    expect(outcome.passed.length).to.be.greaterThan(300);
    expect(outcome.failed.length).to.be.greaterThan(0);
  });

  const expectations: Record<string, string[]> = {
    'broken: suspend ignored': [
      'lifecycle/suspend',
      'lifecycle/resume',
      'lifecycle/full-cycle',
      // resumeDomain of the still-running domain is refused, so the monotonicity walk fails too.
      'statistics/cpu-time-monotonic',
      // The failed-migration check suspends and resumes the guest it left on the source.
      'migration/failure-keeps-guest',
    ],
    'broken: 0 vCPUs accepted': ['invalid-input/define-zero-vcpus'],
    'broken: CPU cap silently accepted': ['invalid-input/set-cpu-cap-negative', 'resources/cpu-cap'],
    'broken: dirty rate of anything': ['dirty-rate/not-running-refused', 'dirty-rate/bad-period-refused'],
    'broken: hostInfo after close': ['closed-connection/host-info'],
    'broken: failed migration kills the guest': [
      'migration/failure-keeps-guest',
      // A preflight refusal is a failed migration to this driver too.
      'migration/preflight-refusal',
      'migration/aborted-signal',
      'migration/unoffered-option-refused',
      'migration/unknown-option-refused',
    ],
    'broken: unoffered migration options dropped': [
      'migration/unoffered-option-refused',
      'migration/unknown-option-refused',
    ],
    'broken: failure details drift': ['migration/failure-details'],
    'broken: unknown migration option ignored': ['migration/unknown-option-refused'],
    'broken: a declared capability skipped': ['kit/skips-allowed'],
    'allowed: an undeclared capability skipped': [],
    'broken: an extra case fails': ['extra/declares-cpu-caps'],
    'broken: secret value quoted in an error': ['secrets/value-not-in-errors'],
    'broken: a taken secret usage shared': ['secrets/usage-taken'],
    'broken: secrets kept without capabilities.secrets': ['secrets/round-trip'],
  };

  it('a skip of a declared capability fails naming the check id, and skips are listed as pending with their reason', () => {
    const failure = outcome.errors.find((e) =>
      e.title.startsWith('Hypervisor contract: broken: a declared capability skipped kit'),
    );
    expect(failure?.message).to.include('resources/cpu-cap (capabilities.cpuCap)');
    expect(failure?.message).not.to.include('lifecycle/shutdown');
    expect(outcome.pending).to.include.members([
      'Hypervisor contract: broken: a declared capability skipped resources resources/cpu-cap skipped: caps are flaky here',
      'Hypervisor contract: broken: a declared capability skipped lifecycle lifecycle/shutdown skipped: no guest agent',
      'Hypervisor contract: allowed: an undeclared capability skipped resources resources/cpu-cap skipped: this host has no CPU caps',
    ]);
  });

  it('extra cases run under their own ids beside the built-in checks, and only runs the selected ones', () => {
    const prefix = 'Hypervisor contract: broken: an extra case fails ';
    expect(failedIds('broken: an extra case fails', outcome.passed)).to.deep.equal(['extra/hostname-is-a-string']);
    expect(outcome.pending.filter((t) => t.startsWith(prefix))).to.include(
      `${prefix}lifecycle lifecycle/define-start not run: only the extra cases matter here`,
    );
  });

  for (const [suite, expected] of Object.entries(expectations)) {
    it(`the suite fails "${suite}" exactly on the checks of the rule it breaks`, () => {
      expect(failedIds(suite)).to.have.members(expected);
    });
  }
});
