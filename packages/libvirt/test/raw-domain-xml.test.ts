import { isVirtmigError } from '@virtmig/core';
import { expect } from 'chai';
import { Connection, LibvirtHypervisor } from '../src/index.js';
import { ENGINES } from './engines.js';

class RawXmlHypervisor extends LibvirtHypervisor {
  readonly capabilities = {
    migration: false,
    migrationOptions: new Set<never>(),
    cpuCap: false,
    vcpuHotplug: false,
    memoryBalloon: false,
    events: false,
    secrets: false,
  };
  protected buildDomainXml(): string {
    throw new Error('raw XML only');
  }
}

const domainXml = (body: string, name = 'raw1') =>
  `<domain type='test'><name>${name}</name>${body}<os><type>hvm</type></os></domain>`;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isVirtmigError(e) ? e.code : `untyped ${String(e)}`;
  }
  return 'resolved';
}

for (const engine of ENGINES) {
  describe(`LibvirtHypervisor.defineDomain with raw XML on ${engine}`, () => {
    let h: RawXmlHypervisor;
    before(async () => {
      h = new RawXmlHypervisor(await Connection.open('test:///default', { engine }), 'test');
    });
    after(() => h.close());

    const refused = async (xml: unknown) => {
      expect(await codeOf(h.defineDomain({ name: 'raw1', xml } as never))).to.equal('E_INVALID_ARGUMENT');
      expect((await h.listDomains()).map((d) => d.name)).to.not.include('raw1');
    };

    it('refuses XML of the wrong JS type (a number, an object, a Buffer, an array) without a native call', async () => {
      for (const xml of [42, {}, Buffer.from('<domain/>'), ['<domain/>'], true]) await refused(xml);
    });

    it('refuses a vCPU count above the config limit, as a config with that count is refused', async () => {
      await refused(domainXml("<memory unit='MiB'>64</memory><vcpu>100000</vcpu>"));
      await refused(domainXml("<memory unit='MiB'>64</memory><vcpu current='5000'>2</vcpu>"));
      expect(await codeOf(h.defineDomain({ name: 'raw1', memoryMiB: 64, vcpus: 100000 }))).to.equal(
        'E_INVALID_ARGUMENT',
      );
    });

    it('refuses absurd memory in any unit, and a unit libvirt does not know', async () => {
      await refused(domainXml('<memory>99999999999999</memory><vcpu>1</vcpu>'));
      await refused(domainXml("<memory unit='EiB'>4</memory><vcpu>1</vcpu>"));
      await refused(domainXml("<memory unit='MiB'>64</memory><currentMemory unit='PiB'>9</currentMemory>"));
      await refused(domainXml("<memory unit='parsecs'>64</memory>"));
    });

    it('refuses malformed XML, a root other than <domain>, and a name that differs from config.name', async () => {
      await refused("<domain type='test'><name>raw1</name><memory>65536</memory>");
      await refused('<network><name>raw1</name></network>');
      await refused(domainXml("<memory unit='MiB'>64</memory>", 'other'));
      await refused(domainXml("<memory unit='MiB'>64</memory>", 'bad/name'));
    });

    it('defines a domain from XML within the limits', async () => {
      const info = await h.defineDomain({
        name: 'raw1',
        memoryMiB: 64,
        vcpus: 1,
        xml: domainXml("<memory unit='MiB'>64</memory><vcpu current='1'>2</vcpu>"),
      });
      try {
        expect(info.name).to.equal('raw1');
        expect(info.maxMemoryKiB).to.equal(65536);
      } finally {
        await h.undefineDomain('raw1');
      }
    });
  });
}
