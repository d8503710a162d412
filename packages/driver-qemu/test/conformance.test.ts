import {
  type ConformanceOptions,
  runAcceptance,
  runConformance,
  secondTestDriverHostUri,
  TEST_DRIVER_PAIR_CHECK_IDS,
} from '@virtmig/testing';
import { QemuHypervisor } from '../src/index.js';
import { QemuTestDriverSeam } from './test-driver-seam.js';

// The real QemuHypervisor on two libvirt test-driver hosts serves every check but a successful
// migration, which the test driver cannot do: that one runs on real hosts below (and in test/qemu).
// Stubbed when the suite starts, not when mocha loads the file: other files share the binding.
let seam: QemuTestDriverSeam | undefined;
const hostB = secondTestDriverHostUri();
const seamed = (uri?: string) => {
  seam ??= new QemuTestDriverSeam();
  return seam.open(uri);
};
runConformance({
  name: 'QemuHypervisor on the test driver (stubbed binding)',
  connect: () => seamed(),
  domainConfig: (name) => ({ name, memoryMiB: 128, vcpus: 1, maxVcpus: 4 }),
  migrationPeer: async () => ({ source: await seamed(), destination: await seamed(hostB) }),
  only: {
    ids: TEST_DRIVER_PAIR_CHECK_IDS,
    reason:
      "libvirt's test driver cannot migrate and keeps no secrets; a successful migration and the secrets round trip run on real hosts (VIRTMIG_ACC_QEMU_URIS, test/qemu)",
  },
  cleanup: async () => seam?.restore(),
});

const config: ConformanceOptions['domainConfig'] = (name) => ({ name, memoryMiB: 128, vcpus: 1, maxVcpus: 2 });
runAcceptance('QemuHypervisor on real hosts', 'QEMU', ({ uris: [a, b] }) => {
  // No guest image: a domain without a disk still runs (in firmware), which is all the contract needs.
  // Hosts without KVM (nested, CI) set VIRTMIG_ACC_QEMU_DOMAIN_TYPE=qemu for TCG.
  const domainType = process.env.VIRTMIG_ACC_QEMU_DOMAIN_TYPE === 'qemu' ? 'qemu' : 'kvm';
  const open = (uri: string) => QemuHypervisor.open(uri, { domainType });
  runConformance({
    name: `QemuHypervisor on ${b === undefined ? a : `${a} → ${b}`}`,
    connect: () => open(a),
    domainConfig: config,
    ...(b === undefined ? {} : { migrationPeer: async () => ({ source: await open(a), destination: await open(b) }) }),
    timeoutMs: 120_000,
  });
});
