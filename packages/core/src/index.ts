/**
 * @packageDocumentation
 * virtmig's vocabulary: hypervisor, migration, storage and workload interfaces, the driver
 * registry and typed errors. No I/O and no native code live here.
 */

export * from './clock.js';
export * from './dirty-rate.js';
export * from './domain.js';
export * from './environment.js';
export * from './errors.js';
export * from './guest-console.js';
export * from './host.js';
export * from './hypervisor.js';
export * from './migration.js';
export * from './migration-job.js';
export * from './preflight.js';
export * from './records.js';
export * from './registry.js';
export * from './remote-guest.js';
export * from './secret.js';
export * from './storage.js';
export * from './uri.js';
export * from './uri-policy.js';
export * from './validate.js';
export * from './workload.js';
