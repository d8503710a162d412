import { runAcceptance, runConformance, SINGLE_HOST_CHECK_IDS } from '@virtmig/testing';
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
 * The real XenHypervisor on libvirt's test driver with libxl's scheduler answers (LibxlSeam)
 * serves every check but the migrations, which need two dom0s: those run on real hosts below
 * (and in test/xen on the xenlab). The option refusals run here, as they happen before anything
 * reaches libvirt, and Xen refuses most options.
 */
let seam: LibxlSeam | undefined;
runConformance({
  name: 'XenHypervisor on the test driver (libxl-like binding)',
  connect: async () => {
    seam ??= new LibxlSeam();
    return seam.open();
  },
  domainConfig: pv,
  only: {
    ids: SINGLE_HOST_CHECK_IDS,
    reason: "libvirt's test driver cannot migrate; the migration checks run on real dom0s (VIRTMIG_ACC_XEN_URIS)",
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
