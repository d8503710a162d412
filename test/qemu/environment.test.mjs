// The environment a run records, on the real lab: both hosts' QEMU and libvirt versions as
// virsh reports them, the accelerator the lab chose, this machine's kernel (the lab's hosts are
// namespaces on it) and the link's shaping as `scripts/lab/lab shape` set it.
import { execFile } from 'node:child_process';
import { release } from 'node:os';
import { promisify } from 'node:util';
import { captureEnvironment, defaultEnvironment, validateSpec } from '@virtmig/bench';
import { DriverRegistry } from '@virtmig/core';
import { registerQemuDriver } from '@virtmig/driver-qemu';
import { expect } from 'chai';
import { ensureLab, prefix, repoRoot } from './helpers.mjs';

const run = promisify(execFile);
const labScript = `${repoRoot}scripts/lab/lab`;

describe('environment capture on the lab', function () {
  this.timeout(600_000);
  let status;
  const hosts = [];
  const savedPrefix = process.env.VIRTMIG_LAB_PREFIX;
  before(async () => {
    status = await ensureLab();
    // labHostPairs and labLinkShaping read the lab this prefix names.
    process.env.VIRTMIG_LAB_PREFIX = prefix;
  });
  after(async () => {
    if (savedPrefix === undefined) delete process.env.VIRTMIG_LAB_PREFIX;
    else process.env.VIRTMIG_LAB_PREFIX = savedPrefix;
    await Promise.all(hosts.map((h) => h.close()));
    await run(labScript, ['--prefix', prefix, 'shape', '--clear']);
  });

  it("records each lab host's QEMU and libvirt versions as virsh reports them, the lab's accelerator, this kernel and the link shaping", async () => {
    const registry = new DriverRegistry();
    registerQemuDriver(registry);
    const env = defaultEnvironment({ registry });
    const spec = validateSpec({
      name: 'env-lab',
      hosts: 'lab',
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], hostCores: [2], trials: 1 },
    });
    const [pair] = await env.hostPairs(spec);
    const source = await env.connect(pair.source, pair.connectOptions);
    hosts.push(source);
    const destination = await env.connect(pair.destination, pair.connectOptions);
    hosts.push(destination);
    const capture = async () =>
      captureEnvironment([{ pair: 0, spec: pair, source, destination }], await env.hostsSetting(spec, [pair]));

    await run(labScript, ['--prefix', prefix, 'shape', '--rate', '1gbit', '--delay', '0ms']);
    const shaped = await capture();
    expect(shaped.linkShaping).to.deep.equal({ rate: '1gbit', delay: '0ms' });
    expect(shaped.simulated).to.equal(false);
    for (const h of shaped.hosts) {
      const { stdout } = await run('virsh', ['-c', h.uri, 'version']);
      expect(stdout, h.uri).to.include(`Using library: libvirt ${h.libvirtVersion}`);
      expect(stdout, h.uri).to.include(`Running hypervisor: QEMU ${h.hypervisorVersion}`);
      expect(h).to.include({
        driver: 'qemu',
        hypervisorType: 'QEMU',
        accelerator: status.accel === 'kvm' ? 'kvm' : 'tcg',
        kernel: release(),
      });
      expect(h.cpus).to.be.greaterThan(0);
      expect(h.memoryKiB).to.be.greaterThan(0);
    }
    await run(labScript, ['--prefix', prefix, 'shape', '--clear']);
    expect((await capture()).linkShaping).to.equal('none');
  });
});
