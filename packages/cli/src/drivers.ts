import { DriverRegistry } from '@virtmig/core';
import { registerQemuDriver } from '@virtmig/driver-qemu';
import { registerTestDriver } from '@virtmig/driver-test';

/** A registry with every driver the CLI ships. */
export function cliRegistry(): DriverRegistry {
  const r = new DriverRegistry();
  registerTestDriver(r);
  registerQemuDriver(r);
  return r;
}
