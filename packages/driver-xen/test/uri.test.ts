import { DriverRegistry } from '@virtmig/core';
import { getBinding } from '@virtmig/libvirt';
import { expect } from 'chai';
import sinon from 'sinon';
import { parseXenUri, registerXenDriver, XenHypervisor } from '../src/index.js';
import { rejectsWith, throwsWith } from './helpers.js';

describe('parseXenUri', () => {
  for (const uri of [
    'xen:///system',
    'xen+ssh://root@dom0.example/system',
    'xen+ssh://h:2222/system?keyfile=/root/.ssh/id',
    'xen+tls://10.0.0.2/system',
    'xen+tcp://10.0.0.2/system',
  ]) {
    it(`accepts ${uri}`, () => {
      expect(parseXenUri(uri).driver).to.equal('xen');
    });
  }
  const bad: [string, RegExp][] = [
    ['qemu:///system', /xen:\/\//],
    ['xen:///session', /\/system/],
    ['xen://host/system', /no host/],
    ['xen+ssh:///system', /needs a host/],
    ['xen+unix:///system', /transport "unix"/],
    ['xen+ssh://h/system extra', /whitespace/],
  ];
  for (const [uri, why] of bad) {
    it(`refuses ${uri} with E_INVALID_URI`, () => {
      expect(throwsWith(() => parseXenUri(uri), 'E_INVALID_URI').message).to.match(why);
    });
  }
});

describe('XenHypervisor.open and registerXenDriver', () => {
  const binding = getBinding();
  afterEach(() => sinon.restore());

  /** Lets virConnectOpen open the in-process test driver in place of a dom0, recording what was asked. */
  function fakeDom0(): sinon.SinonStub {
    const real = binding.callAsync.bind(binding);
    const stub = sinon.stub(binding, 'callAsync');
    stub.callsFake((name: string, ...args: unknown[]) =>
      name === 'virConnectOpen' || name === 'virConnectOpenReadOnly'
        ? real(name, 'test:///default')
        : real(name, ...args),
    );
    return stub;
  }

  it('opens the URI with virConnectOpen and names the driver xen', async () => {
    const stub = fakeDom0();
    const h = await XenHypervisor.open('xen+ssh://root@dom0/system');
    try {
      expect(stub.calledWith('virConnectOpen', 'xen+ssh://root@dom0/system')).to.equal(true);
      expect(h.uri).to.equal('xen+ssh://root@dom0/system');
      expect(h.driver).to.equal('xen');
    } finally {
      await h.close();
    }
  });

  it('opens read-only with virConnectOpenReadOnly', async () => {
    const stub = fakeDom0();
    const h = await XenHypervisor.open('xen:///system', { readonly: true });
    await h.close();
    expect(stub.calledWith('virConnectOpenReadOnly', 'xen:///system')).to.equal(true);
  });

  it('refuses a bad URI before libvirt is called', async () => {
    const stub = fakeDom0();
    await rejectsWith(XenHypervisor.open('xen:///session'), 'E_INVALID_URI');
    expect(stub.called).to.equal(false);
  });

  it('registers scheme xen, so the registry connects xen+tls:// URIs through it', async () => {
    const registry = new DriverRegistry();
    registerXenDriver(registry);
    expect(registry.schemes()).to.deep.equal(['xen']);
    fakeDom0();
    const h = await registry.connect('xen+tls://dom0.example/system');
    try {
      expect(h).to.be.instanceOf(XenHypervisor);
    } finally {
      await h.close();
    }
    await rejectsWith(registry.connect('xen://dom0/system'), 'E_INVALID_URI');
  });
});
