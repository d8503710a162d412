import type { TrialRecord } from '@virtmig/analysis';
import type { MigrationResult } from '@virtmig/core';
import { expect } from 'chai';
import { clusterFromRecords } from '../src/index.js';

function trial(workload: string, capPercent: number, cpu: readonly number[], totalTimeMs: number): TrialRecord {
  return {
    experimentId: 'x',
    workload,
    ramMiB: 256,
    vcpus: 1,
    capPercent,
    hostCores: 4,
    trial: 0,
    cpuSamples: cpu.map((c, i) => ({
      tMs: i * 1000,
      domainPercentOfHost: c / 4,
      domainPercentOfCpu: c,
      hostPercent: c / 4,
    })),
    workloadScore: 1,
    migration: { totalTimeMs, downtimeMs: 100 } as MigrationResult,
  };
}

describe('clusterFromRecords', () => {
  it('puts one VM per workload, measured at its highest cap, on one host beside an idle one of the same size', () => {
    const cluster = clusterFromRecords([
      trial('linpack', 50, [50, 50], 3000),
      trial('linpack', 100, [90, 100, 110], 5000),
      trial('dhrystone', 100, [80, 80], 4000),
    ]);
    const [a, b] = cluster.hosts;
    expect(a?.cores).to.equal(4);
    expect(b).to.deep.equal({ name: 'host-b', cores: 4, vms: [] });
    const lin = a?.vms.find((v) => v.name === 'vm-linpack');
    expect(lin).to.include({ ramMiB: 256, cpuPercent: 100, expectedTotalTimeMs: 4000, expectedDowntimeMs: 100 });
    // Histories cut to the shortest so max-correlation can regress on them.
    expect(a?.vms.map((v) => v.cpuHistory?.length)).to.deep.equal([2, 2]);
  });
});
