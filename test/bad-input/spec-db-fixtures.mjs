// The spec the spec and database corpus tests vary: valid, for the test driver (in-process
// libvirt), uncapped and without migration, so only the value under test can make it fail.

/** A fresh valid spec named `name`. */
export function testDriverSpec(name = 'corpus') {
  return {
    name,
    driver: 'test',
    hosts: [{ source: 'test:///default', destination: 'test:///default' }],
    guest: { image: 'none' },
    workloads: ['dhrystone'],
    matrix: { ramMiB: [128], vcpus: [1], capPercent: [0], hostCores: [1], trials: 1 },
    sampling: { intervalMs: 10 },
    durations: { warmupMs: 0, measureMs: 10 },
  };
}
