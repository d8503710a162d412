// The shared Hypervisor contract, run by driver-xen over FFI against the two real Xen 4.17
// dom0s of the xenlab (libvirt's libxl driver, reached with xen+tls and the lab's client
// certificate).
import { XenHypervisor } from '@virtmig/driver-xen';
import { runConformance } from '@virtmig/testing';
import { ensureXenlab, hostOf, openBoth, pvDomain, waitBooted } from '../../scripts/xenlab/harness.mjs';

runConformance({
  name: 'XenHypervisor on real Xen 4.17 dom0s (xenlab, xen+tls over FFI)',
  // The lab's PV domUs have no working balloon driver: a live memory target breaks libxl_domain_info.
  connect: async () => XenHypervisor.open(hostOf(await ensureXenlab(), 'xen-a').uri, { memoryBalloon: false }),
  domainConfig: (name) => pvDomain(name, { memoryMiB: 96, maxVcpus: 2 }),
  migrationPeer: async () => {
    const status = await ensureXenlab();
    const [source, destination] = await openBoth(status);
    // Each dom0's libvirtd is reached on a forwarded loopback port, so libxl's default migration
    // address means nothing to the source: migrations name the migration link's address.
    return {
      source,
      destination,
      migrationOptions: { migrateUri: `tcp://${hostOf(status, 'xen-b').migrationAddress}` },
      // A PV domU cannot be saved before its kernel is up ("Bad mfn 0 for p2m frame list").
      ready: (name) => waitBooted(status, 'xen-a', name),
    };
  },
  // Under TCG a PV domU takes about 20 s to create; the lab's first boot several minutes.
  timeoutMs: 900_000,
});
