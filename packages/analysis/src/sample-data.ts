import type { MigrationResult } from '@virtmig/core';
import { type ClusterSnapshot, estimatesFromTrials, seededRandom } from './policies/index.js';
import type { CpuSample, MigrationTimeline, TimelineSample, TrialRecord } from './records.js';

/*
 * Fixed synthetic data shaped like the study's results (Xen, 1 Gb/s, three CPU-intensive
 * workloads; total migration time 63-64 s, downtime 18-28 s). It is generated from a seeded
 * generator, so every call returns the same numbers: for examples, demos and tests, never
 * to be mistaken for measurements.
 */

const MiB = 1024 * 1024;

/** The three CPU-intensive workloads and their synthetic migration behaviour. */
const WORKLOADS = [
  { name: 'dhrystone', unit: 'DMIPS', score: 9800, efficiency: 0.985, totalS: 63.2, downS: 18.5, dirtyMiBps: 41 },
  { name: 'linpack', unit: 'MFLOPS', score: 2100, efficiency: 0.975, totalS: 63.7, downS: 27.6, dirtyMiBps: 61 },
  { name: 'livermore', unit: 'MFLOPS', score: 1500, efficiency: 0.96, totalS: 64.0, downS: 22.9, dirtyMiBps: 50 },
] as const;
const BANDWIDTH_MiBps = 95;

function noise(next: () => number): number {
  // Sum of four uniforms: bell-shaped, bounded, mean 0, sd about 0.58.
  return next() + next() + next() + next() - 2;
}

function migration(
  workload: string,
  trial: number,
  totalS: number,
  downS: number,
  dirty: number,
  next: () => number,
): MigrationResult {
  const totalTimeMs = Math.round((totalS + 0.35 * noise(next)) * 1000);
  const downtimeMs = Math.round((downS + 0.9 * noise(next)) * 1000);
  const start = Date.UTC(2026, 10, 20, 10, 0, 0) + trial * 600_000;
  return {
    domain: `vm-${workload}`,
    sourceUri: 'xen+ssh://host-a/system',
    destinationUri: 'xen+ssh://host-b/system',
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + totalTimeMs).toISOString(),
    totalTimeMs,
    downtimeMs,
    downtimeSource: 'heartbeat',
    memoryBandwidthBps: (BANDWIDTH_MiBps + noise(next)) * MiB,
    dirtyRateBps: (dirty + noise(next)) * MiB,
    iterations: 2,
    postCopy: false,
    stages: { precopyRounds: [] },
    raw: {},
  };
}

/**
 * Synthetic trials of the study's matrix: three workloads x RAM {1024, 4096} MiB x vCPUs {1, 2}
 * x caps 25..200 on a 2-core host, three trials per cell; the (4096 MiB, 1 vCPU, cap 100) trials
 * also migrate; plus uncapped 2-vCPU runs on hosts of 1, 2 and 4 cores for Table 4.
 */
export function sampleTrials(): TrialRecord[] {
  const next = seededRandom(20261126);
  const out: TrialRecord[] = [];
  const trial = (
    w: (typeof WORKLOADS)[number],
    ramMiB: number,
    vcpus: number,
    capPercent: number,
    hostCores: number,
    t: number,
    migrate: boolean,
  ) => {
    const demand = vcpus * 100;
    const allowed = Math.min(capPercent === 0 ? demand : capPercent, demand, hostCores * 100);
    const samples: CpuSample[] = [];
    for (let i = 0; i < 20; i++) {
      const ofCpu = Math.max(0, allowed * w.efficiency + 1.2 * noise(next));
      const ofHost = ofCpu / hostCores;
      samples.push({
        tMs: i * 1000,
        domainPercentOfCpu: ofCpu,
        domainPercentOfHost: ofHost,
        hostPercent: Math.min(100, ofHost + 2.5 + 0.5 * noise(next)),
      });
    }
    out.push({
      experimentId: 'study-sample',
      workload: w.name,
      ramMiB,
      vcpus,
      capPercent,
      hostCores,
      trial: t,
      cpuSamples: samples,
      workloadScore: (w.score * allowed) / 100 + 20 * noise(next),
      workloadScoreUnit: w.unit,
      ...(migrate ? { migration: migration(w.name, t, w.totalS, w.downS, w.dirtyMiBps, next) } : {}),
    });
  };
  for (const w of WORKLOADS) {
    for (const ram of [1024, 4096]) {
      for (const vcpus of [1, 2]) {
        for (let cap = 25; cap <= 200; cap += 25) {
          for (let t = 0; t < 3; t++) trial(w, ram, vcpus, cap, 2, t, ram === 4096 && vcpus === 1 && cap === 100);
        }
      }
    }
  }
  for (const w of WORKLOADS) {
    for (const cores of [1, 2, 4]) {
      for (let t = 0; t < 3; t++) trial(w, 1024, 2, 0, cores, t, false);
    }
  }
  return out;
}

/**
 * A synthetic guestperf-style timeline of one linpack migration of 4096 MiB at about 95 MiB/s,
 * sampled every 250 ms: a full first copy, one live round re-sending dirtied pages, then the
 * stop-and-copy with the guest paused.
 */
export function sampleTimeline(): MigrationTimeline {
  const next = seededRandom(7);
  const dt = 0.25;
  const samples: TimelineSample[] = [];
  let sent = 0;
  let remaining = 4096 * MiB;
  let iteration = 0;
  for (let i = 0; remaining > 0 && i < 400; i++) {
    const t = i * dt;
    const paused = iteration === 2;
    const dirty = paused ? 0 : (61 + 3 * noise(next)) * MiB;
    const step = Math.min((BANDWIDTH_MiBps + 2 * noise(next)) * MiB * dt, remaining);
    sent += step;
    // The first pass sends every page once; later rounds also re-send what the guest dirties meanwhile.
    remaining = Math.max(0, remaining - step + (iteration === 1 ? dirty * dt : 0));
    samples.push({
      tMs: Math.round(t * 1000),
      transferredBytes: sent,
      remainingBytes: remaining,
      dirtyRateBps: dirty,
      iteration,
      hostCpuPercent: (paused ? 31 : 58) + 2 * noise(next),
    });
    if (iteration === 0 && remaining === 0) {
      iteration = 1;
      remaining = 1040 * MiB;
    } else if (iteration === 1 && t >= 54) {
      iteration = 2;
    }
  }
  return { experimentId: 'study-sample', workload: 'linpack', trial: 0, samples };
}

/**
 * A two-host cluster in the study's situation: host-a's three workload VMs use 72.5 % of its
 * two cores (above 65 %), host-b is nearly idle. Expected migration costs come from the
 * migrated trials of {@link sampleTrials}; CPU histories make linpack and livermore move together.
 */
export function sampleCluster(records: readonly TrialRecord[] = sampleTrials()): ClusterSnapshot {
  const est = estimatesFromTrials(records);
  const next = seededRandom(99);
  const wave = Array.from({ length: 24 }, (_, i) => Math.sin(i / 3));
  const history = (base: number, amp: number, shared: boolean) =>
    wave.map((w, i) => Math.max(0, base + amp * (shared ? w : Math.cos(i * 1.7)) + 2 * noise(next)));
  const vm = (workload: string, cpu: number, shared: boolean) => ({
    name: `vm-${workload}`,
    ramMiB: 4096,
    cpuPercent: cpu,
    cpuHistory: history(cpu, 12, shared),
    expectedTotalTimeMs: est.get(workload)?.totalTimeMs,
    expectedDowntimeMs: est.get(workload)?.downtimeMs,
  });
  return {
    hosts: [
      {
        name: 'host-a',
        cores: 2,
        vms: [vm('dhrystone', 60, false), vm('linpack', 50, true), vm('livermore', 35, true)],
      },
      {
        name: 'host-b',
        cores: 2,
        vms: [{ name: 'vm-idle', ramMiB: 1024, cpuPercent: 20, cpuHistory: history(20, 3, false) }],
      },
    ],
  };
}
