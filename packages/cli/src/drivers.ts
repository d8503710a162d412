import { DriverRegistry, type HypervisorCapabilities } from '@virtmig/core';
import { QEMU_CAPABILITIES, registerQemuDriver } from '@virtmig/driver-qemu';
import { registerTestDriver, TEST_CAPABILITIES } from '@virtmig/driver-test';
import { registerXenDriver, XEN_CAPABILITIES } from '@virtmig/driver-xen';
import { registerFakeDriver } from '@virtmig/testing';

/**
 * A registry with every driver the CLI ships, `fake` among them: simulated in-memory hosts
 * (`fake:///a`) whose migrations follow the fake's pre-copy model, for pipeline dry runs and CI
 * without a lab. Runs on it are labelled simulated in the database and the report.
 */
export function cliRegistry(): DriverRegistry {
  const r = new DriverRegistry();
  registerFakeDriver(r);
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
