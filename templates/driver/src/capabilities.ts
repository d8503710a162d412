import type { HypervisorCapabilities, MigrationOptions } from '@virtmig/core';

/** Migration options libvirt's __name__ driver honours: list only what its source accepts. */
export const __NAME___MIGRATION_OPTIONS: ReadonlySet<keyof MigrationOptions> = new Set<keyof MigrationOptions>([
  'live',
  'persistDestination',
  'undefineSource',
]);

/** What the __name__ driver offers. */
export const __NAME___CAPABILITIES: HypervisorCapabilities = Object.freeze({
  migration: true,
  migrationOptions: __NAME___MIGRATION_OPTIONS,
  cpuCap: false,
  vcpuHotplug: true,
  memoryBalloon: true,
  events: true,
});
