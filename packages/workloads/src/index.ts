/**
 * @packageDocumentation
 * virtmig workloads: builds and runs the native Dhrystone-, Linpack-, Livermore-style and
 * memory-dirtying kernels (native/workloads), parses their verified results, describes how guest
 * images carry them, and samples host and per-domain CPU usage.
 */

export * from './budget.js';
export * from './build.js';
export * from './domain-cpu.js';
export * from './errors.js';
export * from './fields.js';
export * from './guest.js';
export * from './host-cpu.js';
export * from './paths.js';
export * from './process.js';
export * from './run.js';
export * from './sleep.js';
export * from './workloads.js';
