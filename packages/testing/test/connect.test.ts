import { DriverRegistry } from '@virtmig/core';
import { expect } from 'chai';
import { connectFake, FakeHypervisor, FakeNetwork, fakeHostFromUri, registerFakeDriver } from '../src/index.js';
import { rejectsWith } from './helpers.js';

describe('connecting to fake hosts', () => {
  it('fakeHostFromUri reads the host from the path or the authority, default for fake:///', () => {
    expect(fakeHostFromUri('fake:///hostA')).to.equal('hostA');
    expect(fakeHostFromUri('fake://hostB/')).to.equal('hostB');
    expect(fakeHostFromUri('fake:///')).to.equal('default');
  });

  it('refuses other schemes, transports and bad host names with E_INVALID_URI', () => {
    for (const uri of ['qemu:///system', 'fake+ssh:///a', 'fake:///a/b', 'fake://a/b', 'fake:///-x', 'nope']) {
      expect(() => fakeHostFromUri(uri), uri)
        .to.throw()
        .with.property('code', 'E_INVALID_URI');
    }
  });

  it('connectFake opens a FakeHypervisor on the named host of the given network', async () => {
    const network = new FakeNetwork();
    const h = await connectFake('fake:///hostA', { network });
    expect(h).to.be.instanceOf(FakeHypervisor);
    expect(h).to.include({ uri: 'fake:///hostA', driver: 'fake', hostName: 'hostA' });
    expect(network.hostNames()).to.deep.equal(['hostA']);
  });

  it('registerFakeDriver registers scheme fake in a DriverRegistry; a second registration fails with E_DUPLICATE_DRIVER', async () => {
    const registry = new DriverRegistry();
    const network = new FakeNetwork();
    registerFakeDriver(registry, { network });
    expect(registry.schemes()).to.deep.equal(['fake']);
    const a = await registry.connect('fake:///hostA');
    const b = await registry.connect('fake:///hostB');
    await a.defineDomain({ name: 'vm', memoryMiB: 64, vcpus: 1 });
    await a.startDomain('vm');
    await a.migrate('vm', b, { bandwidthMiBps: 1024 });
    expect((await b.lookupDomain('vm')).state).to.equal('running');
    expect(() => registerFakeDriver(registry))
      .to.throw()
      .with.property('code', 'E_DUPLICATE_DRIVER');
  });

  it('a network passed to registry.connect overrides the registered one and must be a FakeNetwork', async () => {
    const registry = new DriverRegistry();
    registerFakeDriver(registry);
    const mine = new FakeNetwork();
    const h = (await registry.connect('fake:///x', { network: mine })) as FakeHypervisor;
    expect(h.network).to.equal(mine);
    await rejectsWith(registry.connect('fake:///x', { network: {} }), 'E_INVALID_ARGUMENT');
  });
});
