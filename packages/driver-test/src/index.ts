/**
 * @packageDocumentation
 * virtmig's driver for libvirt's embedded test driver: `test:///default` or a custom node XML.
 */

export { type TestNodeOptions, testNodeXml } from './node-xml.js';
export { registerTestDriver, type TestDriverOptions, TestHypervisor, testDomainXml } from './test-hypervisor.js';
