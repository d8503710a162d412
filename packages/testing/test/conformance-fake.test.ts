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
 * A host pair that, like the xenlab's PV dom0s, migrates only over a given address and only
 * guests that finished booting: the suite must pass the peer's `migrationOptions` to every
 * migration and call its `ready` before the migration that must succeed.
 */
const booted = new Set<string>();
class AddressedFake extends FakeHypervisor {
  override async migrate(
    name: string,
    destination: Hypervisor,
    options: MigrationOptions = {},
  ): Promise<MigrationResult> {
    const failed = (reason: string): MigrationError =>
      new MigrationError(reason, {
        domain: name,
        sourceUri: this.uri,
        destinationUri: destination.uri,
        sourceState: 'running',
        domainOnDestination: false,
      });
    if (!this.closed && options.migrateUri !== 'tcp://10.0.0.2')
      throw failed(`no route to the destination without migrateUri (domain ${name})`);
    const transfers =
      !this.closed &&
      !options.signal?.aborted &&
      (Object.keys(options) as (keyof MigrationOptions)[]).every((k) => this.capabilities.migrationOptions.has(k)) &&
      (await this.lookupDomain(name).then(
        () => true,
        () => false,
      )) &&
      (await destination.lookupDomain(name).then(
        () => false,
        () => true,
      ));
    if (transfers && !booted.has(name)) throw failed(`domain ${name} has not booted yet`);
    return super.migrate(name, destination, options);
  }
}
for (const host of ['addressed-a', 'addressed-b'])
  network.addHost(host, { migrationOptions: [...FAKE_MIGRATION_OPTIONS, 'migrateUri'] });
const addressed = (uri: string) => new AddressedFake({ host: fakeHostFromUri(uri), network });

runConformance({
  name: 'FakeHypervisor reachable only through migrationOptions, migrating only guests the peer called ready',
  connect: async () => addressed('fake:///addressed-a'),
  domainConfig: (name) => ({ name, memoryMiB: 64, vcpus: 1 }),
  migrationPeer: async () => ({
    source: addressed('fake:///addressed-a'),
    destination: addressed('fake:///addressed-b'),
    migrationOptions: { migrateUri: 'tcp://10.0.0.2' },
    ready: async (name) => {
      booted.add(name);
    },
  }),
});
