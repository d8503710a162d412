/**
 * @packageDocumentation
 * libvirt's C API over FFI: a generated, backend-neutral signature table; koffi (default) and
 * ffi-napi engines; typed errors read on the calling thread; pointer ownership; typed parameters;
 * libvirt's event loop; an idiomatic layer and `LibvirtHypervisor`, which drivers specialise.
 */

export { type ArgumentChecker, compileChecker, isHandleType, pointeeBytes } from './argument-check.js';
export {
  type BindingOptions,
  getBinding,
  LibvirtBinding,
  type LibvirtRuntime,
  libvirtRuntime,
} from './binding.js';
export { BUFFER_EXTENTS, NATIVE_ONLY, NON_NULL, NOT_EXTENTS } from './buffer-extents.js';
export {
  Connection,
  type DomainStatsRecord,
  type HypervisorCpuTarget,
  LIST_FLAGS,
  type NodeInfo,
  type ObjectState,
  type OpenOptions,
  type Versions,
} from './connection.js';
export { type ConsoleOptions, type ConsoleTextLine, consoleLines, openConsole } from './console.js';
export { type DirtyRateStats, parseDirtyRateStats } from './dirty-rate.js';
export { DOMAIN_STATES, Domain, type RawDomainInfo } from './domain-handle.js';
export { assertDomainXml } from './domain-xml-limits.js';
export type { FfiEngine, NativeCallback, NativeFunction, NativeLibrary, Pointer } from './engine.js';
export {
  ENGINE_ENV,
  type EngineName,
  EngineUnavailableError,
  FFI_NAPI_PACKAGES,
  selectEngine,
} from './engines/select.js';
export { FunctionUnavailableError, LibvirtError, type LibvirtErrorInfo } from './errors.js';
export { EventLoop, type EventSource, eventDetailName, type Listener, type StreamWatcher } from './event-loop.js';
export { ENUMS, NUMBERS, STRINGS } from './generated/enums.js';
export { FUNCTIONS, type FunctionName } from './generated/functions.js';
export { STRUCTS } from './generated/structs.js';
export { handleStats, NativeHandle } from './handle.js';
export { domainState, LibvirtHypervisor } from './hypervisor.js';
export { assertIscsiDisk, type IscsiDiskConfig, iscsiNetworkSourceXml, parsePortal } from './iscsi-disk-xml.js';
export {
  resolveShim,
  SHIM_ENV,
  type ShimFound,
  type ShimMissing,
  ShimMissingError,
  type ShimOrigin,
  type ShimPaths,
  type ShimResolution,
  shimPaths,
} from './locate.js';
export * from './memory.js';
export { type MigrationPrelude, migrationFlags, migrationParams, startLibvirtMigration } from './migrate.js';
export { NativePointer } from './native-pointer.js';
export {
  type GuestDisk,
  type GuestFacts,
  type GuestInterface,
  type GuestNetworkDisk,
  type GuestPathDisk,
  type GuestVolumeDisk,
  guestFacts,
  hostModelCpu,
  preflightWithLibvirt,
} from './preflight.js';
export { DEFAULT_IMAGE_POOL, domainConsole, ensureHostImage, removeHostImages } from './remote-guest.js';
export { Secret } from './secret-handle.js';
export {
  assertSecretXml,
  type ParsedSecretXml,
  parseSecretXml,
  SECRET_USAGE_NUMBERS,
  SECRET_XML_MAX_BYTES,
  secretUsageName,
  secretXml,
} from './secret-xml.js';
export { buildShim, SHIM_FILE, SHIM_SOURCES, type ShimBuild, type ShimBuildFailure } from './shim-build.js';
export * from './signature.js';
export {
  ensureImageVolume,
  type ImageVolume,
  removeImageVolumes,
  StoragePool,
  StorageVolume,
  type StorageVolumeInfo,
} from './storage.js';
export { type IncomingStreamOptions, LibvirtStream, type StreamChunk } from './stream.js';
