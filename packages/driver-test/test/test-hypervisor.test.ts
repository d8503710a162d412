import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriverRegistry } from '@virtmig/core';
import { expect } from 'chai';
import { registerTestDriver, TestHypervisor, testDomainXml, testNodeXml } from '../src/index.js';

describe('TestHypervisor', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtmig-driver-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const engine of ['koffi', 'ffi-napi'] as const) {
    it(`opens a custom node with 1000 domains through libvirt, no daemon (${engine})`, async () => {
      const file = join(dir, `node-${engine}.xml`);
      writeFileSync(file, testNodeXml({ domains: 1000, cpus: 8 }));
      const h = await TestHypervisor.open(`test://${file}`, { engine, allowTestNodeFile: true });
      try {
        const doms = await h.listDomains();
        expect(doms).to.have.length(1000);
        expect(doms[0]?.name).to.equal('dom0000');
        expect(doms.every((d) => d.state === 'running')).to.equal(true);
        expect((await h.hostInfo()).cpus).to.equal(8);
        expect(await h.allDomainStats()).to.have.length(1000);
      } finally {
        await h.close();
      }
    });
  }

  it('refuses a node file unless the caller opts in with allowTestNodeFile, before libvirt reads it', async () => {
    const err = await TestHypervisor.open(`test://${join(dir, 'missing.xml')}`).catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_INVALID_ARGUMENT');
    expect((err as Error).message)
      .to.contain('allowTestNodeFile')
      .and.not.to.match(/No such file/);
  });

  it('refuses a URI that is not a test:// URI with a typed error', async () => {
    const err = await TestHypervisor.open('qemu:///system').catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_INVALID_ARGUMENT');
  });

  it("reports a missing node file as a typed error carrying libvirt's message", async () => {
    const err = await TestHypervisor.open(`test://${join(dir, 'missing.xml')}`, { allowTestNodeFile: true }).catch(
      (e: unknown) => e,
    );
    expect(err).to.have.property('code', 'E_INVALID_ARGUMENT');
    expect((err as Error).message).to.match(/missing\.xml/);
  });

  it('refuses malformed domain XML before libvirt parses it and defines nothing', async () => {
    const h = await TestHypervisor.open();
    try {
      const before = (await h.listDomains()).length;
      const err = await h
        .defineDomain({ name: 'broken', memoryMiB: 1, vcpus: 1, xml: "<domain type='test'><name>broken</name>" })
        .catch((e: unknown) => e);
      expect(err).to.have.property('code', 'E_INVALID_ARGUMENT');
      expect((err as Error).message).to.match(/^config\.xml: is not well-formed XML/);
      expect((await h.listDomains()).length).to.equal(before);
    } finally {
      await h.close();
    }
  });

  it('escapes names in generated XML and validates the config first', () => {
    expect(() => testDomainXml({ name: 'a<b', memoryMiB: 64, vcpus: 1 }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(testDomainXml({ name: 'vm-1', memoryMiB: 64, vcpus: 2, maxVcpus: 4 })).to.include("current='2'>4</vcpu>");
  });

  it('registers the test scheme and connects through a registry', async () => {
    const r = new DriverRegistry();
    registerTestDriver(r);
    expect(() => registerTestDriver(r))
      .to.throw()
      .with.property('code', 'E_DUPLICATE_DRIVER');
    const h = await r.connect('test:///default');
    expect(h.driver).to.equal('test');
    await h.close();
    expect(h.closed).to.equal(true);
    const err = await h.listDomains().catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_CLOSED');
  });
});
