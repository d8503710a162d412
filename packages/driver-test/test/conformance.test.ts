import { runConformance } from '@virtmig/testing';
import { TestHypervisor } from '../src/index.js';

// secrets/round-trip still runs: it proves every secret call is refused with E_UNSUPPORTED.
const NO_SECRET_DRIVER = "libvirt's test driver has no secret driver (virConnectListAllSecrets: not supported)";
const SECRET_SKIPS = ['secrets/given-uuid', 'secrets/usage-taken', 'secrets/missing'].map((id) => ({
  id,
  reason: NO_SECRET_DRIVER,
}));

for (const engine of ['koffi', 'ffi-napi'] as const) {
  runConformance({
    name: `driver-test on test:///default (${engine})`,
    connect: () => TestHypervisor.open('test:///default', { engine }),
    domainConfig: (name) => ({ name, memoryMiB: 128, vcpus: 1, maxVcpus: 4 }),
    skip: SECRET_SKIPS,
  });
}
