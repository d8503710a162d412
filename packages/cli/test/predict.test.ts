import type { MigrationResult, TrialRecord } from '@virtmig/core';
import { expect } from 'chai';
import type { LabStatus } from '../src/commands/lab.js';
import { linkRate, predictGuest, predictionRows, tcRateBytesPerSecond } from '../src/commands/predict.js';

const MiB = 1024 * 1024;

function migrated(sourceUri: string, destinationUri: string, memoryBandwidthBps: number): TrialRecord {
  return {
    experimentId: 'x',
    workload: 'idle',
    ramMiB: 128,
    vcpus: 1,
    capPercent: 0,
    hostCores: 2,
    trial: 0,
    cpuSamples: [],
    workloadScore: 0,
    migration: { sourceUri, destinationUri, memoryBandwidthBps, totalTimeMs: 1 } as MigrationResult,
  };
}

const shaped = (rate: string): LabStatus =>
  ({ link: { subnet: '10.77.0.0/24', shape: { rate, delay: '0ms' } } }) as LabStatus;

describe('virtmig predict: link rate and output', () => {
  it('reads tc rates in bits and bytes per second and refuses units it does not know', () => {
    expect(tcRateBytesPerSecond('1gbit')).to.equal(125_000_000);
    expect(tcRateBytesPerSecond('100mbit')).to.equal(12_500_000);
    expect(tcRateBytesPerSecond('12500kbps')).to.equal(12_500_000);
    expect(tcRateBytesPerSecond('1gibit')).to.equal(undefined);
  });

  it('takes --bandwidth first, then the lab shaping, then the median throughput of the same host pair', () => {
    const records = [migrated('A', 'B', 10 * MiB), migrated('A', 'B', 30 * MiB), migrated('C', 'D', 90 * MiB)];
    expect(linkRate(50, shaped('1gbit'), records, 'A', 'B')).to.deep.equal({
      bytesPerSecond: 50 * MiB,
      source: 'flag',
    });
    expect(linkRate(undefined, shaped('1gbit'), records, 'A', 'B')).to.deep.equal({
      bytesPerSecond: 125_000_000,
      source: 'lab-shaping',
    });
    expect(linkRate(undefined, undefined, records, 'A', 'B')).to.deep.equal({
      bytesPerSecond: 30 * MiB,
      source: 'measured-trials',
    });
  });

  it('refuses to guess a link rate: E_INVALID_ARGUMENT naming --bandwidth', () => {
    expect(() => linkRate(undefined, undefined, [], 'A', 'B'))
      .to.throw()
      .with.property('field', '--bandwidth');
  });

  it('rejects bad flags before connecting anywhere', async () => {
    const bad = await predictGuest('g', { from: 'qemu:///system', to: 'qemu+tcp://h/system', bandwidth: '0' }).catch(
      (e: unknown) => e,
    );
    expect(bad).to.have.property('field', '--bandwidth');
    const host = await predictGuest('g', { from: 'ssh://x', to: 'b' }).catch((e: unknown) => e);
    expect(host).to.have.property('field', '--from');
  });

  it('prints the model, both values with their intervals, and every warning', () => {
    const rows = predictionRows({
      kind: 'converges',
      model: 'precopy-uncalibrated',
      totalTimeMs: 1234.4,
      downtimeMs: 56,
      totalTimeIntervalMs: { low: 1000, high: 1500 },
      downtimeIntervalMs: { low: 40, high: 70 },
      warnings: [{ code: 'outside-calibration', field: 'dirtyRateBps', message: 'above the fitted range' }],
    });
    expect(rows).to.deep.equal([
      ['model', 'precopy-uncalibrated'],
      ['predicted total time', '1234 ms (1000 ms-1500 ms)'],
      ['predicted downtime', '56 ms (40 ms-70 ms)'],
      ['warning', 'outside-calibration (dirtyRateBps): above the fitted range'],
    ]);
  });
});

describe('virtmig migrate --downtime-target input', () => {
  it('refuses the flags the target chooses itself, naming the one given, before anything runs', async () => {
    const { checkMigrateInput } = await import('../src/commands/migrate.js');
    expect(() => checkMigrateInput('g', { from: 'a', to: 'b', downtimeTarget: '100', autoConverge: true }))
      .to.throw(/drop --auto-converge/)
      .with.property('field', '--downtime-target');
    expect(() => checkMigrateInput('g', { from: 'a', to: 'b', downtimeTarget: 'soon' }))
      .to.throw()
      .with.property('field', '--downtime-target');
    expect(checkMigrateInput('g', { from: 'a', to: 'b', downtimeTarget: '100' })).to.deep.equal({});
  });
});
