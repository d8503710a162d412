import { DriverRegistry, type HypervisorCapabilities } from '@virtmig/core';
import { QEMU_CAPABILITIES, registerQemuDriver } from '@virtmig/driver-qemu';
import { registerTestDriver, TEST_CAPABILITIES } from '@virtmig/driver-test';
import { registerXenDriver, XEN_CAPABILITIES } from '@virtmig/driver-xen';

/** A registry with every driver the CLI ships. */
export function cliRegistry(): DriverRegistry {
  const r = new DriverRegistry();
  registerTestDriver(r);
  registerQemuDriver(r);
  registerXenDriver(r);
  return r;
}

/**
 * The capabilities each driver the CLI ships declares (a connection's may be narrower, e.g. no
 * balloon), so a spec is checked against its driver before anything is opened or created.
 */
export const CLI_DRIVER_CAPABILITIES: ReadonlyMap<string, HypervisorCapabilities> = new Map([
  ['test', TEST_CAPABILITIES],
  ['qemu', QEMU_CAPABILITIES],
  ['xen', XEN_CAPABILITIES],
]);
