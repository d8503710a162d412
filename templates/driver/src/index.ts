/**
 * @packageDocumentation
 * virtmig's __name__ driver: libvirt's __name__ driver behind virtmig's `Hypervisor`.
 */

export { type __Name__DriverOptions, __Name__Hypervisor, register__Name__Driver } from './__name__-hypervisor.js';
export { __NAME___CAPABILITIES, __NAME___MIGRATION_OPTIONS } from './capabilities.js';
export { __name__DomainXml } from './domain-xml.js';
export { __NAME___TRANSPORTS, parse__Name__Uri } from './uri.js';
