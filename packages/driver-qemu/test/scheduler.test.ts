import { expect } from 'chai';
import { bandwidthOf, bandwidthParams, bandwidthToCap, capToBandwidth } from '../src/index.js';

describe('CPU cap ↔ vcpu_quota/vcpu_period', () => {
  it('spreads a whole-domain cap over the vCPUs: 50 % of one CPU on 2 vCPUs is 25 ms per 100 ms each', () => {
    expect(capToBandwidth(50, 2)).to.deep.equal({ periodUs: 100_000, quotaUs: 25_000 });
    expect(capToBandwidth(150, 1)).to.deep.equal({ periodUs: 100_000, quotaUs: 150_000 });
  });

  it('maps 0 % to no limit (quota -1)', () => {
    expect(capToBandwidth(0, 4).quotaUs).to.equal(-1);
  });

  it('moves to a 1 s period when the quota would fall under the kernel minimum of 1 ms', () => {
    expect(capToBandwidth(0.5, 1)).to.deep.equal({ periodUs: 1_000_000, quotaUs: 5_000 });
  });

  it('refuses caps too small for any period, and negative caps, with E_INVALID_ARGUMENT', () => {
    for (const [p, v] of [
      [0.01, 4],
      [-1, 1],
      [Number.NaN, 1],
    ] as const) {
      expect(() => capToBandwidth(p, v))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    }
  });

  it('reads back the cap it wrote', () => {
    for (const [p, v] of [
      [50, 1],
      [50, 2],
      [33, 3],
      [0.5, 1],
      [250, 4],
    ] as const) {
      expect(bandwidthToCap(capToBandwidth(p, v), v)).to.be.closeTo(p, 0.01);
    }
  });

  it('reads an unset or -1 quota as uncapped', () => {
    expect(bandwidthToCap(bandwidthOf({ vcpu_period: 0, vcpu_quota: 0 }), 1)).to.equal(0);
    expect(bandwidthToCap(bandwidthOf({ vcpu_period: 100000n, vcpu_quota: -1n }), 1)).to.equal(0);
    expect(bandwidthToCap(bandwidthOf({ vcpu_period: 100000n, vcpu_quota: 30000n }), 2)).to.equal(60);
  });

  it("writes vcpu_period as ullong and vcpu_quota as llong, as libvirt's QEMU driver requires", () => {
    expect(bandwidthParams({ periodUs: 100_000, quotaUs: -1 })).to.deep.equal([
      { name: 'vcpu_period', type: 'ullong', value: 100_000 },
      { name: 'vcpu_quota', type: 'llong', value: -1 },
    ]);
  });
});
