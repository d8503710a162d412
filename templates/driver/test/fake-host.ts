import type { FakeNetwork } from '@virtmig/testing';
import { __NAME___CAPABILITIES } from '../src/index.js';

/**
 * Adds a fake host that offers exactly what the driver declares. Extend FakeHypervisor (see
 * packages/driver-xen/test/fake-libxl.ts) once the real hypervisor refuses or reports things differently.
 */
export function add__Name__Host(network: FakeNetwork, name: string): void {
  network.addHost(name, {
    migration: __NAME___CAPABILITIES.migration,
    migrationOptions: __NAME___CAPABILITIES.migrationOptions,
    cpuCap: __NAME___CAPABILITIES.cpuCap,
    vcpuHotplug: __NAME___CAPABILITIES.vcpuHotplug,
    memoryBalloon: __NAME___CAPABILITIES.memoryBalloon,
  });
}
