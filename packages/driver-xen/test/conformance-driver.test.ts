import { Connection } from '@virtmig/libvirt';
import { runAcceptance, runConformance, secondTestDriverHostUri, TEST_DRIVER_PAIR_CHECK_IDS } from '@virtmig/testing';
import { XenHypervisor } from '../src/index.js';
import { LibxlSeam } from './libvirt-seam.js';

const pv = (name: string) => ({
  name,
  memoryMiB: 64,
  vcpus: 1,
  maxVcpus: 2,
  kernel: '/boot/vmlinuz',
  initrd: '/boot/initrd.img',
  cmdline: 'console=hvc0',
});

/**
 * The real XenHypervisor on two libvirt test-driver hosts with libxl's scheduler answers
 * (LibxlSeam) serves every check but a successful migration, which needs two dom0s: that one
 * runs on real hosts below (and in test/xen on the xenlab). The failure paths and the option
 * refusals (Xen refuses most options) run here.
 */
let seam: LibxlSeam | undefined;
const hostB = secondTestDriverHostUri();
const seamed = async (uri?: string) => {
  seam ??= new LibxlSeam();
  return uri === undefined ? seam.open() : new XenHypervisor(await Connection.open(uri));
};
runConformance({
  name: 'XenHypervisor on the test driver (libxl-like binding)',
  connect: () => seamed(),
  domainConfig: pv,
  migrationPeer: async () => ({ source: await seamed(), destination: await seamed(hostB) }),
  only: {
    ids: TEST_DRIVER_PAIR_CHECK_IDS,
    reason:
      "libvirt's test driver cannot migrate and keeps no secrets; a successful migration and the secrets round trip run on real dom0s (VIRTMIG_ACC_XEN_URIS)",
  },
  cleanup: async () => seam?.restore(),
});

runAcceptance('XenHypervisor on real dom0s', 'XEN', ({ uris: [a, b] }) => {
  // Real dom0s need a bootable PV kernel: VIRTMIG_ACC_XEN_KERNEL (and _INITRD) name it on the dom0s.
  const kernel = process.env.VIRTMIG_ACC_XEN_KERNEL ?? '/boot/vmlinuz';
  const initrd = process.env.VIRTMIG_ACC_XEN_INITRD;
  const open = (uri: string) => XenHypervisor.open(uri, { memoryBalloon: false });
  runConformance({
    name: `XenHypervisor on ${b === undefined ? a : `${a} → ${b}`}`,
    connect: () => open(a),
    domainConfig: (name) => ({
      name,
      memoryMiB: 96,
      vcpus: 1,
      maxVcpus: 2,
      kernel,
      ...(initrd === undefined ? {} : { initrd }),
      cmdline: 'console=hvc0',
    }),
    ...(b === undefined ? {} : { migrationPeer: async () => ({ source: await open(a), destination: await open(b) }) }),
    timeoutMs: 900_000,
  });
});
