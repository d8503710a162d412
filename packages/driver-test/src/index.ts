/**
 * @packageDocumentation
 * virtmig's driver for libvirt's embedded test driver: `test:///default` or a custom node XML.
 */
export { registerTestDriver, TestHypervisor, type TestDriverOptions, testDomainXml } from './test-hypervisor.js';
export { type TestNodeOptions, testNodeXml } from './node-xml.js';
