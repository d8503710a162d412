// Xen's credit scheduler cap, set through libvirt's libxl driver on a running domU that runs
// Dhrystone: read back as set, and the domU's CPU use follows it.
import { setTimeout as sleep } from 'node:timers/promises';
import { XenHypervisor } from '@virtmig/driver-xen';
import { expect } from 'chai';
import { ConsoleFollower, ensureXenlab, hostOf, pvDomain, removeEverywhere } from '../../scripts/xenlab/harness.mjs';

async function cpuPercent(h, name, ms) {
  const t0 = (await h.lookupDomain(name)).cpuTimeNs;
  const w0 = process.hrtime.bigint();
  await sleep(ms);
  const t1 = (await h.lookupDomain(name)).cpuTimeNs;
  const w1 = process.hrtime.bigint();
  return ((t1 - t0) / Number(w1 - w0)) * 100;
}

describe('xenlab: credit-scheduler cap on a real Xen host', function () {
  this.timeout(900_000);
  let status;
  let h;
  const name = `xl-cap-${process.pid}`;
  before(async () => {
    status = await ensureXenlab();
    h = await XenHypervisor.open(hostOf(status, 'xen-a').uri);
  });
  after(async () => {
    if (h) {
      await removeEverywhere([h], name);
      await h.close();
    }
  });

  it('caps 25, 50 and 100 % are read back as set and the CPU use of a Dhrystone domU follows them', async () => {
    const tty = new ConsoleFollower(status, name);
    try {
      await h.defineDomain(pvDomain(name, { workload: 'dhrystone', seconds: 30 }));
      await h.startDomain(name);
      await tty.waitFor(/^WL /);
      expect(await h.schedulerType(name)).to.equal('credit');
      const usage = {};
      for (const cap of [25, 50, 100]) {
        await h.setCpuCap(name, cap);
        expect(await h.getCpuCap(name)).to.equal(cap);
        expect((await h.creditSettings(name)).cap).to.equal(cap);
        await sleep(2000);
        usage[cap] = await cpuPercent(h, name, 10_000);
      }
      console.log(`      CPU use at cap 25/50/100 %: ${[25, 50, 100].map((c) => usage[c].toFixed(1)).join(' / ')}`);
      expect(usage[25], JSON.stringify(usage)).to.be.within(12, 35);
      expect(usage[50], JSON.stringify(usage)).to.be.within(35, 62);
      expect(usage[100], JSON.stringify(usage)).to.be.greaterThan(usage[50] + 10);
    } finally {
      tty.stop();
    }
  });
});
