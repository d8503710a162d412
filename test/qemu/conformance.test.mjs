// The Hypervisor conformance suite against the real lab: QemuHypervisor on host a, migrating to host b.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { QemuHypervisor } from '@virtmig/driver-qemu';
import { runConformance } from '@virtmig/testing';
import { ensureLab, repoRoot } from './helpers.mjs';

const image = JSON.parse((await promisify(execFile)(`${repoRoot}scripts/guest/build-guest`, ['--json'])).stdout);

async function open(host) {
  const status = await ensureLab();
  const h = status.hosts.find((x) => x.name === host);
  return QemuHypervisor.open(h.uri, { domainType: status.domainType, memoryBalloon: false });
}

runConformance({
  name: 'qemu (lab, TCG)',
  connect: () => open('a'),
  domainConfig: (name) => ({
    name,
    memoryMiB: 128,
    vcpus: 1,
    kernel: image.kernel,
    initrd: image.initrd,
    cmdline: 'console=ttyS0 quiet',
  }),
  migrationPeer: async () => ({ source: await open('a'), destination: await open('b') }),
  timeoutMs: 120_000,
});
