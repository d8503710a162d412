import { DriverRegistry } from '@virtmig/core';
import { expect } from 'chai';
import { __name__DomainXml, parse__Name__Uri, register__Name__Driver } from '../src/index.js';

describe('__name__ driver', () => {
  it('builds domain XML with the configured name, memory and vCPUs', () => {
    const xml = __name__DomainXml({ name: 'g1', memoryMiB: 128, vcpus: 2, kernel: '/boot/vmlinuz' });
    expect(xml).to.include("<domain type='__name__'>");
    expect(xml).to.include('<name>g1</name>');
    expect(xml).to.include("<memory unit='KiB'>131072</memory>");
    expect(xml).to.include("current='2'>2</vcpu>");
  });

  it('refuses a bad config with E_INVALID_ARGUMENT', () => {
    expect(() => __name__DomainXml({ name: 'g1', memoryMiB: 0, vcpus: 1 }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('accepts its own URIs and refuses others with E_INVALID_URI', () => {
    expect(parse__Name__Uri('__name__:///system').driver).to.equal('__name__');
    expect(parse__Name__Uri('__name__+ssh://host/system').host).to.equal('host');
    expect(() => parse__Name__Uri('other:///system'))
      .to.throw()
      .with.property('code', 'E_INVALID_URI');
  });

  it('registers its scheme', () => {
    const registry = new DriverRegistry();
    register__Name__Driver(registry);
    expect(registry.schemes()).to.deep.equal(['__name__']);
  });
});
