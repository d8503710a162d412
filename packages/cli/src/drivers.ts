import { DriverRegistry } from '@virtmig/core';
import { registerTestDriver } from '@virtmig/driver-test';

/** A registry with every driver the CLI ships. */
export function cliRegistry(): DriverRegistry {
  const r = new DriverRegistry();
  registerTestDriver(r);
  return r;
}
