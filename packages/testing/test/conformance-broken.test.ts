import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import Mocha from 'mocha';

interface Outcome {
  readonly passed: string[];
  readonly failed: string[];
}

/** Runs a mocha file in this process with a silent reporter and collects full test titles. */
async function runMochaFile(file: string): Promise<Outcome> {
  const mocha = new Mocha({ reporter: class Silent extends Mocha.reporters.Base {}, timeout: 10_000 });
  mocha.addFile(file);
  await mocha.loadFilesAsync();
  const outcome: Outcome = { passed: [], failed: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (test) => outcome.passed.push(test.fullTitle()));
    runner.on('fail', (test) => outcome.failed.push(test.fullTitle()));
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

  function failuresOf(suite: string): string[] {
    return outcome.failed.filter((t) => t.startsWith(`Hypervisor contract: ${suite} `));
  }

  it('the nested run executed the suite: most checks pass for the mostly-correct drivers', () => {
    expect(outcome.passed.length).to.be.greaterThan(300);
    expect(outcome.failed.length).to.be.greaterThan(0);
  });

  const expectations: Record<string, string[]> = {
    'broken: suspend ignored': [
      'domain lifecycle suspendDomain makes a running domain paused',
      'domain lifecycle resumeDomain makes a paused domain running again',
      'domain lifecycle define → start → suspend → resume → destroy → undefine passes through shutoff, running, paused, running, shutoff, gone',
      // resumeDomain of the still-running domain is refused, so the monotonicity walk fails too.
      'statistics cpuTimeNs from lookupDomain never decreases while a domain runs, pauses and resumes',
      // The failed-migration check suspends and resumes the guest it left on the source.
      'migration a failed migration (the name is taken on the destination) throws E_MIGRATION_FAILED and leaves the guest running and manageable on the source',
    ],
    'broken: 0 vCPUs accepted': [
      'invalid input defineDomain with 0 vCPUs fails with E_INVALID_ARGUMENT and defines nothing',
    ],
    'broken: CPU cap silently accepted': [
      'invalid input setCpuCap to a negative percentage fails with E_INVALID_ARGUMENT (or E_UNSUPPORTED without capabilities.cpuCap) and changes nothing',
      'resources setCpuCap follows capabilities.cpuCap (getCpuCap returns 50 then 0, or setCpuCap fails with E_UNSUPPORTED)',
    ],
    'broken: hostInfo after close': ['closed connection hostInfo on a closed connection fails with E_CLOSED'],
    'broken: failed migration kills the guest': [
      'migration a failed migration (the name is taken on the destination) throws E_MIGRATION_FAILED and leaves the guest running and manageable on the source',
      'migration migrate with an aborted signal fails with E_ABORTED (or E_UNSUPPORTED without the signal option) and leaves the guest running on the source',
      'migration migrate refuses every option missing from capabilities.migrationOptions with E_UNSUPPORTED before anything runs',
    ],
    'broken: unoffered migration options dropped': [
      'migration migrate refuses every option missing from capabilities.migrationOptions with E_UNSUPPORTED before anything runs',
    ],
  };

  for (const [suite, expected] of Object.entries(expectations)) {
    it(`the suite fails "${suite}" exactly on the checks of the rule it breaks`, () => {
      const failed = failuresOf(suite).map((t) => t.slice(`Hypervisor contract: ${suite} `.length));
      expect(failed).to.have.members(expected);
    });
  }
});
