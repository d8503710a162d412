/**
 * @packageDocumentation
 * virtmig's driver for libvirt's embedded test driver: `test:///default` or a custom node XML.
 * It needs nothing but libvirt0, so it also reports what the libvirt-based drivers run on
 * ({@link libvirtRuntime}, for diagnostics such as `virtmig doctor`).
 */

export { type LibvirtRuntime, libvirtRuntime, type ShimOrigin } from '@virtmig/libvirt';
export { type TestNodeOptions, testNodeXml } from './node-xml.js';
export {
  registerTestDriver,
  TEST_CAPABILITIES,
  type TestDriverOptions,
  TestHypervisor,
  testDomainXml,
} from './test-hypervisor.js';
