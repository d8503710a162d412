/**
 * @packageDocumentation
 * virtmig's QEMU/KVM driver: domain XML (direct kernel boot, file and iSCSI disks, serial log),
 * the CPU cap as cgroup vCPU bandwidth, and live migration with every QEMU feature libvirt exposes.
 */
export { QEMU_CAPABILITIES, QEMU_COMPRESSION_METHODS, QEMU_MIGRATION_OPTIONS } from './capabilities.js';
export { parsePortal, type QemuDomainConfig, type QemuGuestOptions, qemuDomainXml, serialLogOf } from './domain-xml.js';
export { type HeartbeatReport, HeartbeatWatcher } from './heartbeat.js';
export { assertQemuMigrationOptions } from './migration-options.js';
export {
  type QemuDriverOptions,
  QemuHypervisor,
  type QemuMigrationOptions,
  type QemuMigrationResult,
  registerQemuDriver,
} from './qemu-hypervisor.js';
export {
  bandwidthOf,
  bandwidthParams,
  bandwidthToCap,
  capToBandwidth,
  DEFAULT_PERIOD_US,
  MAX_PERIOD_US,
  MIN_QUOTA_US,
  type VcpuBandwidth,
} from './scheduler.js';
export { parseQemuUri, QEMU_TRANSPORTS } from './uri.js';
