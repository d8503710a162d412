import type { HypervisorCapabilities, MigrationOptions } from '@virtmig/core';

/**
 * The migration options libvirt's libxl driver honours. Its LIBXL_MIGRATION_FLAGS allow LIVE,
 * PEER2PEER, TUNNELLED, PERSIST_DEST, UNDEFINE_SOURCE and PAUSED, and LIBXL_MIGRATION_PARAMETERS
 * only `migrate_uri`, `destination_name` and `destination_xml` (src/libxl/libxl_migration.h). So
 * there is no bandwidth limit, maximum downtime, compression, multifd, TLS flag, auto-converge or
 * post-copy, and no job abort (the driver has no virDomainAbortJob), hence no `signal`/`timeoutMs`.
 * `onProgress` is virtmig's own polling; libxl's job statistics carry only `time_elapsed`; `preflight`
 * is virtmig's own check before the migration.
 * Encryption comes from PEER2PEER + TUNNELLED instead: `peerUri` `xen+tls://dom0-b/system` with
 * `tunnelled` sends the domain's memory through the dom0s' own TLS connection.
 */
export const XEN_MIGRATION_OPTIONS: ReadonlySet<keyof MigrationOptions> = new Set<keyof MigrationOptions>([
  'live',
  'persistDestination',
  'undefineSource',
  'migrateUri',
  'peerUri',
  'tunnelled',
  'preflight',
  'onProgress',
]);

/**
 * What the Xen driver offers. `cpuCap` is the credit scheduler's `cap` (refused on hosts running
 * credit2 or another scheduler, and on shut-off domains, see {@link XenHypervisor.setCpuCap});
 * vCPU hotplug and ballooning go through libxl's live vCPU/memory setters.
 */
export const XEN_CAPABILITIES: HypervisorCapabilities = Object.freeze({
  migration: true,
  migrationOptions: XEN_MIGRATION_OPTIONS,
  cpuCap: true,
  vcpuHotplug: true,
  memoryBalloon: true,
  events: true,
  secrets: true,
});
