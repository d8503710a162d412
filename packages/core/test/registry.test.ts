import { expect } from 'chai';
import { DriverRegistry, type Hypervisor, parseUri } from '../src/index.js';

describe('parseUri', () => {
  it('splits driver, transport, host, port, user, path and query', () => {
    const u = parseUri('qemu+ssh://root@host.example:2222/system?keyfile=/k&no_verify=1');
    expect(u).to.include({
      scheme: 'qemu+ssh',
      driver: 'qemu',
      transport: 'ssh',
      host: 'host.example',
      port: 2222,
      user: 'root',
      path: '/system',
    });
    expect(u.params).to.deep.equal({ keyfile: '/k', no_verify: '1' });
  });

  it('parses local URIs with an empty host', () => {
    expect(parseUri('test:///default')).to.include({
      driver: 'test',
      host: '',
      path: '/default',
      transport: undefined,
    });
  });

  for (const bad of ['', 'qemu', 'qemu:/system', '://x', 'q emu:///x', '1qemu:///x', 'qemu+:///x', 'test:///a\nb']) {
    it(`rejects malformed URI ${JSON.stringify(bad)} with E_INVALID_URI`, () => {
      expect(() => parseUri(bad))
        .to.throw()
        .with.property('code', 'E_INVALID_URI');
    });
  }
});

describe('DriverRegistry', () => {
  const fake = { driver: 'x' } as unknown as Hypervisor;

  it('connects through the factory registered for the URI driver', async () => {
    const r = new DriverRegistry();
    r.register('qemu', async (uri) => ({ ...fake, uri: uri.uri }) as Hypervisor);
    const h = await r.connect('qemu+tls://h/system');
    expect(h.uri).to.equal('qemu+tls://h/system');
  });

  it('refuses a duplicate registration with E_DUPLICATE_DRIVER and keeps the first', async () => {
    const r = new DriverRegistry();
    r.register('xen', async () => fake);
    expect(() => r.register('xen', async () => fake))
      .to.throw()
      .with.property('code', 'E_DUPLICATE_DRIVER');
    expect(await r.connect('xen:///system')).to.equal(fake);
  });

  it('refuses an unknown scheme with E_UNKNOWN_SCHEME listing the known ones', async () => {
    const r = new DriverRegistry();
    r.register('test', async () => fake);
    const err = await r.connect('vbox:///session').catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_UNKNOWN_SCHEME');
    expect((err as Error).message).to.include('test');
  });

  it('refuses scheme names that are not lower-case words', () => {
    expect(() => new DriverRegistry().register('Qemu+ssh', async () => fake))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });
});
