import { join } from 'node:path';
import { InvalidArgumentError, type WorkloadName } from '@virtmig/core';
import { expect } from 'chai';
import { createWorkload, DEFAULT_BIN_DIR, tasksetPrefix, WORKLOAD_NAMES } from '../src/index.js';

describe('workload argv builders', () => {
  it('start with the binary and carry the time budget', () => {
    expect(createWorkload('dhrystone').argv({ seconds: 2.5 })).to.deep.equal([
      join(DEFAULT_BIN_DIR, 'dhrystone'),
      '--seconds',
      '2.5',
    ]);
  });

  it('carry an iteration budget and workload options as flags', () => {
    expect(createWorkload('linpack', '/b').argv({ iterations: 10 }, { n: 300, progressMs: 500 })).to.deep.equal([
      '/b/linpack',
      '--iterations',
      '10',
      '--n',
      '300',
      '--progress-ms',
      '500',
    ]);
    expect(createWorkload('dirtier', '/b').argv({ seconds: 1 }, { wssMb: 256, rateMbps: 12.5 })).to.deep.equal([
      '/b/dirtier',
      '--seconds',
      '1',
      '--wss-mb',
      '256',
      '--rate-mbps',
      '12.5',
    ]);
  });

  const badBudgets: [string, unknown][] = [
    ['zero seconds', { seconds: 0 }],
    ['negative seconds', { seconds: -1 }],
    ['infinite seconds', { seconds: Number.POSITIVE_INFINITY }],
    ['fractional iterations', { iterations: 1.5 }],
    ['both seconds and iterations', { seconds: 1, iterations: 1 }],
    ['neither', {}],
    ['null', null],
  ];
  for (const [what, budget] of badBudgets) {
    it(`refuse a budget of ${what}`, () => {
      expect(() => createWorkload('dhrystone').argv(budget as never)).to.throw(InvalidArgumentError);
    });
  }

  it('refuse options a workload does not take', () => {
    expect(() => createWorkload('dhrystone').argv({ seconds: 1 }, { n: 100 })).to.throw(
      InvalidArgumentError,
      /extra\.n/,
    );
  });

  it('refuse option values out of range or not whole where they must be', () => {
    expect(() => createWorkload('linpack').argv({ seconds: 1 }, { n: 5 })).to.throw(InvalidArgumentError);
    expect(() => createWorkload('linpack').argv({ seconds: 1 }, { n: 100.5 })).to.throw(InvalidArgumentError);
    expect(() => createWorkload('dirtier').argv({ seconds: 1 }, { rateMbps: -1 })).to.throw(InvalidArgumentError);
  });

  it('refuse an unknown workload name', () => {
    expect(() => createWorkload('whetstone' as WorkloadName)).to.throw(InvalidArgumentError);
  });

  it('name every workload in WORKLOAD_NAMES', () => {
    expect(WORKLOAD_NAMES.map((n) => createWorkload(n).name)).to.deep.equal([...WORKLOAD_NAMES]);
  });

  it('build a sorted, de-duplicated taskset core list and refuse bad cores', () => {
    expect(tasksetPrefix([1, 0, 1])).to.deep.equal(['taskset', '-c', '0,1']);
    expect(() => tasksetPrefix([])).to.throw(InvalidArgumentError);
    expect(() => tasksetPrefix([-1])).to.throw(InvalidArgumentError);
    expect(() => tasksetPrefix([0.5])).to.throw(InvalidArgumentError);
  });
});
