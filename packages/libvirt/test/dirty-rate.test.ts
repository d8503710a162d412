import { expect } from 'chai';
import { parseDirtyRateStats } from '../src/index.js';

describe('parseDirtyRateStats', () => {
  it("turns QEMU's whole MiB per second into bytes per second and keeps status, start, period and mode", () => {
    const s = parseDirtyRateStats({
      'dirtyrate.calc_status': 2,
      'dirtyrate.calc_start_time': 11839n,
      'dirtyrate.calc_period': 2,
      'dirtyrate.calc_mode': 'page-sampling',
      'dirtyrate.megabytes_per_second': 31n,
    });
    expect(s).to.deep.equal({
      status: 2,
      startTime: 11839,
      periodSeconds: 2,
      mode: 'page-sampling',
      bytesPerSecond: 31 * 1024 * 1024,
    });
  });

  it('gives per-vCPU rates by vCPU number when the dirty-ring mode reports them', () => {
    const s = parseDirtyRateStats({
      'dirtyrate.calc_status': 2,
      'dirtyrate.megabytes_per_second': 3,
      'dirtyrate.vcpu.1.megabytes_per_second': 2,
      'dirtyrate.vcpu.0.megabytes_per_second': 1,
    });
    expect(s.perVcpuBytesPerSecond).to.deep.equal([1048576, 2097152]);
  });

  it('reports nothing for a domain that never measured, and E_PARSE for a rate that is not a number', () => {
    expect(parseDirtyRateStats({ 'state.state': 1 })).to.deep.equal({});
    expect(() => parseDirtyRateStats({ 'dirtyrate.megabytes_per_second': 'fast' }))
      .to.throw()
      .with.property('code', 'E_PARSE');
  });
});
