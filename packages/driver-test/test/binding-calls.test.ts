import { ENUMS, getBinding } from '@virtmig/libvirt';
import { stubBinding } from '@virtmig/testing';
import { expect } from 'chai';
import sinon from 'sinon';
import { TestHypervisor } from '../src/index.js';

const AFFECT = ENUMS.virDomainModificationImpact;
const VCPU_MAXIMUM = ENUMS.virDomainVcpuFlags.VIR_DOMAIN_VCPU_MAXIMUM;

describe('TestHypervisor libvirt calls (binding stubbed with sinon, real libvirt underneath)', () => {
  afterEach(() => sinon.restore());

  it('setVcpus on a shut-off domain raises the maximum in the config, then the count', async () => {
    const h = await TestHypervisor.open();
    try {
      await h.defineDomain({ name: 'calls-vcpus', memoryMiB: 64, vcpus: 1 });
      const stub = stubBinding(sinon, getBinding(), {});
      await h.setVcpus('calls-vcpus', 3);
      const flags = stub.calls('virDomainSetVcpusFlags').map((a) => [a[1], a[2]]);
      expect(flags).to.deep.equal([
        [3, AFFECT.VIR_DOMAIN_AFFECT_CONFIG | VCPU_MAXIMUM],
        [3, AFFECT.VIR_DOMAIN_AFFECT_CONFIG],
      ]);
      sinon.restore();
      expect((await h.lookupDomain('calls-vcpus')).vcpus).to.equal(3);
    } finally {
      sinon.restore();
      await h.undefineDomain('calls-vcpus').catch(() => undefined);
      await h.close();
    }
  });

  it('a libvirt failure injected by a handler reaches the caller as the typed error and changes nothing', async () => {
    const h = await TestHypervisor.open();
    try {
      await h.defineDomain({ name: 'calls-fail', memoryMiB: 64, vcpus: 1 });
      stubBinding(sinon, getBinding(), {
        virDomainCreateWithFlags: () => {
          throw Object.assign(new Error('virDomainCreateWithFlags: injected'), { code: 'E_LIBVIRT' });
        },
      });
      const err = await h.startDomain('calls-fail').catch((e: unknown) => e);
      expect(err).to.have.property('code', 'E_LIBVIRT');
      sinon.restore();
      expect((await h.lookupDomain('calls-fail')).state).to.equal('shutoff');
    } finally {
      sinon.restore();
      await h.undefineDomain('calls-fail').catch(() => undefined);
      await h.close();
    }
  });
});
