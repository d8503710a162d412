import { expect } from 'chai';
import { expandMatrix } from '../src/index.js';
import { fakeSpec } from './helpers.js';

describe('matrix expansion', () => {
  it('orders trials by workload, RAM, vCPUs, cap, host cores, then trial index, with stable ids', () => {
    const plans = expandMatrix(fakeSpec());
    expect(plans).to.have.length(2 * 2 * 2 * 2);
    expect(plans.slice(0, 5).map((p) => p.id)).to.deep.equal([
      'dhrystone/ram128/vcpu1/cap50/cores2/t0',
      'dhrystone/ram128/vcpu1/cap50/cores2/t1',
      'dhrystone/ram128/vcpu1/cap100/cores2/t0',
      'dhrystone/ram128/vcpu1/cap100/cores2/t1',
      'dhrystone/ram256/vcpu1/cap50/cores2/t0',
    ]);
    expect(plans.map((p) => p.seq)).to.deep.equal(plans.map((_, i) => i));
    expect(new Set(plans.map((p) => p.id)).size).to.equal(plans.length);
    expect(expandMatrix(fakeSpec())).to.deep.equal(plans);
  });

  it('deals trials to host pairs round-robin', () => {
    const spec = fakeSpec({
      hosts: [
        { source: 'fake:///a', destination: 'fake:///b' },
        { source: 'fake:///c', destination: 'fake:///d' },
      ],
    });
    expect(expandMatrix(spec).map((p) => p.pair)).to.deep.equal(Array.from({ length: 16 }, (_, i) => i % 2));
  });

  it('migrates only in the cells the migration filter lists', () => {
    const plans = expandMatrix(fakeSpec({ migration: { enabled: true, cells: { ramMiB: [256], capPercent: [100] } } }));
    expect(plans.filter((p) => p.migrate).map((p) => p.id)).to.deep.equal([
      'dhrystone/ram256/vcpu1/cap100/cores2/t0',
      'dhrystone/ram256/vcpu1/cap100/cores2/t1',
      'linpack/ram256/vcpu1/cap100/cores2/t0',
      'linpack/ram256/vcpu1/cap100/cores2/t1',
    ]);
    expect(expandMatrix(fakeSpec({ migration: { enabled: false } })).some((p) => p.migrate)).to.equal(false);
  });
});
