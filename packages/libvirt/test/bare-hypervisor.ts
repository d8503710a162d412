import type { HypervisorCapabilities } from '@virtmig/core';
import { type Connection, LibvirtHypervisor } from '../src/index.js';

/** A LibvirtHypervisor with no driver specifics, for tests on test:///default. */
export class BareHypervisor extends LibvirtHypervisor {
  readonly capabilities: HypervisorCapabilities;

  constructor(connection: Connection, options: { readonly migration?: boolean } = {}) {
    super(connection, 'bare');
    this.capabilities = {
      migration: options.migration ?? false,
      // Only the preflight switch: tests on one test:///default host migrate onto the same host.
      migrationOptions: new Set(options.migration ? (['preflight'] as const) : []),
      cpuCap: false,
      vcpuHotplug: false,
      memoryBalloon: false,
      events: true,
      secrets: false,
    };
  }

  protected buildDomainXml(): string {
    return '';
  }
}
