import { type HypervisorCapabilities, MIGRATION_OPTION_NAMES, type MigrationOptions } from '@virtmig/core';

/**
 * Every {@link MigrationOptions} field: libvirt's QEMU driver honours them all. Pre-copy (`live`),
 * post-copy (VIR_MIGRATE_POSTCOPY, switched once RAM transfer has begun), `maxDowntimeMs`
 * (virDomainMigrateSetMaxDowntime), `bandwidthMiBps`, auto-converge, compression
 * (VIR_MIGRATE_COMPRESSED with `xbzrle` or `mt`), parallel connections (multifd), TLS
 * (needs x509 certificates configured in both hosts' qemu.conf), persist/undefine, the
 * migrate URI, peer-to-peer (`peerUri`) and tunnelled migration, and virtmig's own timeout,
 * abort signal and progress polling.
 */
export const QEMU_MIGRATION_OPTIONS: ReadonlySet<keyof MigrationOptions> = new Set(MIGRATION_OPTION_NAMES);

/** Compression methods libvirt 9's QEMU driver accepts in VIR_MIGRATE_PARAM_COMPRESSION. */
export const QEMU_COMPRESSION_METHODS = ['xbzrle', 'mt'] as const;

/**
 * What the QEMU driver offers. The CPU cap is the cgroup CPU bandwidth of the vCPU threads
 * (`vcpu_quota`/`vcpu_period`); vCPU hotplug needs `maxVcpus` above `vcpus`, ballooning a
 * memballoon device (`qemu.balloon`).
 */
export const QEMU_CAPABILITIES: HypervisorCapabilities = Object.freeze({
  migration: true,
  migrationOptions: QEMU_MIGRATION_OPTIONS,
  cpuCap: true,
  vcpuHotplug: true,
  memoryBalloon: true,
  events: true,
  secrets: true,
});
