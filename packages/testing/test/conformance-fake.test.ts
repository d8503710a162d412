import { connectFake, FakeNetwork, runConformance } from '../src/index.js';

// A fast link keeps each simulated (wall-clock) migration of a 64 MiB guest near 0.1 s.
const network = new FakeNetwork({ bandwidthBps: 1_000_000_000 });
network.addHost('lean', { cpuCap: false, vcpuHotplug: false, memoryBalloon: false, migration: false });

runConformance({
  name: 'FakeHypervisor',
  connect: () => connectFake('fake:///conformance-a', { network }),
  domainConfig: (name) => ({ name, memoryMiB: 64, vcpus: 2, kernel: '/boot/vmlinuz' }),
  migrationPeer: async () => ({
    source: await connectFake('fake:///conformance-a', { network }),
    destination: await connectFake('fake:///conformance-b', { network }),
  }),
});

runConformance({
  name: 'FakeHypervisor without CPU caps, hotplug, ballooning or migration',
  connect: () => connectFake('fake:///lean', { network }),
  domainConfig: (name) => ({ name, memoryMiB: 64, vcpus: 1 }),
});
