import { runConformance } from '@virtmig/testing';
import { TestHypervisor } from '../src/index.js';

for (const engine of ['koffi', 'ffi-napi'] as const) {
  runConformance({
    name: `driver-test on test:///default (${engine})`,
    connect: () => TestHypervisor.open('test:///default', { engine }),
    domainConfig: (name) => ({ name, memoryMiB: 128, vcpus: 1, maxVcpus: 4 }),
  });
}
