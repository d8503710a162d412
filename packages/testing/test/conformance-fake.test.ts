import { type Hypervisor, MigrationError, type MigrationOptions, type MigrationResult } from '@virtmig/core';
import {
  connectFake,
  FAKE_MIGRATION_OPTIONS,
  FakeHypervisor,
  FakeNetwork,
  fakeHostFromUri,
  runConformance,
} from '../src/index.js';

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

/**
 * A host pair that, like the xenlab's forwarded dom0s, migrates only over a given address: the
 * suite must pass `migrationOptions` to every migration for its migration checks to pass.
 */
class AddressedFake extends FakeHypervisor {
  override migrate(name: string, destination: Hypervisor, options: MigrationOptions = {}): Promise<MigrationResult> {
    if (!this.closed && options.migrateUri !== 'tcp://10.0.0.2') {
      return Promise.reject(new MigrationError(`no route to the destination without migrateUri (domain ${name})`));
    }
    return super.migrate(name, destination, options);
  }
}
for (const host of ['addressed-a', 'addressed-b'])
  network.addHost(host, { migrationOptions: [...FAKE_MIGRATION_OPTIONS, 'migrateUri'] });
const addressed = (uri: string) => new AddressedFake({ host: fakeHostFromUri(uri), network });

runConformance({
  name: 'FakeHypervisor reachable only through the migrateUri given as migrationOptions',
  connect: async () => addressed('fake:///addressed-a'),
  domainConfig: (name) => ({ name, memoryMiB: 64, vcpus: 1 }),
  migrationPeer: async () => ({
    source: addressed('fake:///addressed-a'),
    destination: addressed('fake:///addressed-b'),
    migrationOptions: { migrateUri: 'tcp://10.0.0.2' },
  }),
});
