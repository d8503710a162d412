import { type PreflightOptions, type PreflightOutcome, type PreflightReport, runPreflightChecks } from '@virtmig/core';
import type { FakeHost } from './host.js';

const pass = (reason: string): PreflightOutcome => ({ status: 'pass', reason });
const fail = (reason: string): PreflightOutcome => ({ status: 'fail', reason });

/**
 * The fake's preflight, checked against its model of the hosts: reachability on the network,
 * the name on the destination (as the fake's migration checks it), one hypervisor version,
 * the CPU model (a guest runs on its host's CPU, so the models must match), free memory (the
 * host's memory minus its active guests'), file disks against the destination's
 * `storagePaths`, and no networks (fake guests have no interfaces). @internal
 */
export async function fakePreflight(
  src: FakeHost,
  srcUri: string,
  dst: FakeHost,
  dstUri: string,
  name: string,
  options: PreflightOptions,
): Promise<PreflightReport> {
  const d = src.get(name);
  const net = src.network;
  const reserveMiB = options.memoryReserveMiB ?? 0;
  return runPreflightChecks(
    { domain: name, sourceUri: srcUri, destinationUri: dstUri },
    {
      'destination-reachable': async () =>
        net.isReachable(dst.name) && net.isReachable(src.name)
          ? pass(`fake host "${dst.name}" is reachable`)
          : fail(`fake host "${net.isReachable(dst.name) ? src.name : dst.name}" is unreachable`),
      'name-free': async () => {
        const there = dst.domains.get(name);
        if (there === undefined) return pass(`no domain ${name} on the destination`);
        if (there.uuid !== d.uuid)
          return fail(`the destination has another domain named ${name} (UUID ${there.uuid}, ${there.state})`);
        if (there.state !== 'shutoff') return fail(`${name} already runs on the destination (${there.state})`);
        return pass('the destination holds only an inactive definition of this domain (same UUID)');
      },
      'hypervisor-version': async () => pass('fake hosts all run hypervisor 1.0.0, libvirt 9.0.0'),
      'cpu-compatible': async () =>
        dst.model === src.model
          ? pass(`both hosts have a ${src.model}`)
          : fail(`the guest runs on a ${src.model}; the destination has a ${dst.model}`),
      'memory-available': async () => {
        let usedKiB = 0;
        for (const other of dst.domains.values()) if (other.state !== 'shutoff') usedKiB += other.memoryKiB;
        const freeMiB = Math.floor((dst.memoryKiB - usedKiB) / 1024);
        const needMiB = Math.ceil(d.memoryKiB / 1024);
        const reason = `needs ${needMiB} MiB + ${reserveMiB} MiB reserve, ${freeMiB} MiB free`;
        return needMiB + reserveMiB <= freeMiB ? pass(reason) : fail(reason);
      },
      'disks-reachable': async () => {
        for (const disk of d.disks) {
          if (disk.kind === 'file' && !dst.seesPath(disk.path))
            return fail(`disk ${disk.path} is outside the destination's storage paths`);
        }
        return pass(d.disks.length === 0 ? 'the guest has no disks' : 'every disk is shared');
      },
      'networks-present': async () => pass('fake guests have no network interfaces'),
    },
    () => net.clock.now(),
  );
}
