import { performance } from 'node:perf_hooks';
import { connectFake, FakeNetwork } from '@virtmig/testing';
import { HostCpuSampler } from '@virtmig/workloads';
import { abortableSleep, type RunnerEnvironment, SimulatedGuestProvider, validateSpec } from '../src/index.js';

/** A runner environment on fake hosts of `network`, with simulated guests and real time. */
export function fakeEnv(network: FakeNetwork): RunnerEnvironment {
  const host = new HostCpuSampler();
  return {
    connect: (uri) => connectFake(uri, { network }),
    hostPairs: async (spec) => (typeof spec.hosts === 'string' ? [] : [...spec.hosts]),
    guests: async (spec) => new SimulatedGuestProvider(spec.storage),
    readHostCpu: () => host.read(),
    now: () => performance.now(),
    sleep: abortableSleep,
  };
}

/** A network whose migrations take milliseconds. */
export function fastNetwork(): FakeNetwork {
  return new FakeNetwork({ bandwidthBps: 20e9, setupMs: 1, activationMs: 1, latencyMs: 0, progressIntervalMs: 2 });
}

/** A small valid fake spec, with `over` merged in at the top level. */
export function fakeSpecInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'unit',
    driver: 'fake',
    hosts: [{ source: 'fake:///a', destination: 'fake:///b' }],
    guest: { image: 'none' },
    workloads: ['dhrystone', 'linpack'],
    matrix: { ramMiB: [128, 256], vcpus: [1], capPercent: [50, 100], hostCores: [2], trials: 2 },
    migration: { enabled: true },
    sampling: { intervalMs: 10 },
    durations: { warmupMs: 0, measureMs: 30 },
    ...over,
  };
}

export const fakeSpec = (over: Record<string, unknown> = {}) => validateSpec(fakeSpecInput(over));
