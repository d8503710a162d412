import { DriverRegistry } from '@virtmig/core';
import { registerQemuDriver } from '@virtmig/driver-qemu';
import { registerTestDriver } from '@virtmig/driver-test';
import { registerXenDriver } from '@virtmig/driver-xen';

/** A registry with every driver the CLI ships. */
export function cliRegistry(): DriverRegistry {
  const r = new DriverRegistry();
  registerTestDriver(r);
  registerQemuDriver(r);
  registerXenDriver(r);
  return r;
}
