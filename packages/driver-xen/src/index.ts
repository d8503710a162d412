/**
 * @packageDocumentation
 * virtmig's Xen driver: libvirt's libxl driver over `xen:///system` or a remote dom0, PV/HVM
 * domain XML with file and iSCSI disks, the credit scheduler's cap as the CPU cap, and migration
 * downtime measured from events or a guest heartbeat (libxl reports none).
 */
export { XEN_CAPABILITIES, XEN_MIGRATION_OPTIONS } from './capabilities.js';
export {
  DEFAULT_HVMLOADER,
  iscsiByPath,
  libxlUnsupported,
  parsePortal,
  type XenDomainConfig,
  type XenGuestOptions,
  xenDomainXml,
} from './domain-xml.js';
export {
  type DowntimeEvidence,
  type HeartbeatGap,
  heartbeatDowntime,
  measureDowntimeFromEvents,
  parseHeartbeats,
  withMeasuredDowntime,
} from './downtime.js';
export {
  assertCreditCap,
  assertCreditWeight,
  type CreditSettings,
  creditParams,
  creditSettings,
  MAX_CREDIT_VALUE,
} from './scheduler.js';
export { parseXenUri, XEN_TRANSPORTS } from './uri.js';
export { registerXenDriver, type XenDriverOptions, XenHypervisor, type XenMigrationOptions } from './xen-hypervisor.js';
