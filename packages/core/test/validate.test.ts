import { expect } from 'chai';
import { assertDomainConfig, assertPeerToPeerOptions, escapeXml, InvalidArgumentError } from '../src/index.js';

/** The InvalidArgumentError `fn` throws; fails the test when it throws nothing or something else. */
function invalidArgumentOf(fn: () => void): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError, nothing was thrown');
}

describe('assertDomainConfig', () => {
  const ok = { name: 'vm1', memoryMiB: 256, vcpus: 2 };

  it('accepts a sane config', () => {
    expect(() => assertDomainConfig(ok)).not.to.throw();
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['a name with a slash', { ...ok, name: 'a/b' }, 'config.name'],
    ['an option-looking name', { ...ok, name: '-rf' }, 'config.name'],
    ['zero vCPUs', { ...ok, vcpus: 0 }, 'config.vcpus'],
    ['negative memory', { ...ok, memoryMiB: -1 }, 'config.memoryMiB'],
    ['fractional memory', { ...ok, memoryMiB: 1.5 }, 'config.memoryMiB'],
    ['maxVcpus below vcpus', { ...ok, maxVcpus: 1 }, 'config.maxVcpus'],
    ['a relative kernel path', { ...ok, kernel: 'vmlinuz' }, 'config.kernel'],
    ['a multi-line cmdline', { ...ok, cmdline: 'a\nb' }, 'config.cmdline'],
    ['a negative cap', { ...ok, cpuCapPercent: -5 }, 'config.cpuCapPercent'],
  ];
  for (const [what, config, field] of bad) {
    it(`rejects ${what} naming ${field}`, () => {
      expect(invalidArgumentOf(() => assertDomainConfig(config as never)).field).to.equal(field);
    });
  }

  it('escapes every XML special character', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('assertPeerToPeerOptions', () => {
  const peer = 'xen+tls://xen-b/system';

  it('accepts peer-to-peer alone, tunnelled with a peer, and options without either', () => {
    for (const o of [
      {},
      { peerUri: peer },
      { peerUri: peer, tunnelled: true },
      { peerUri: peer, migrateUri: 'tcp://b' },
    ])
      expect(() => assertPeerToPeerOptions(o)).not.to.throw();
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['a peerUri without a scheme', { peerUri: 'xen-b' }, 'must be a libvirt URI'],
    ['a peerUri with a space', { peerUri: 'xen+tls://xen b/system' }, 'must be a libvirt URI'],
    ['a non-boolean tunnelled', { tunnelled: 1, peerUri: peer }, 'must be a boolean'],
    ['tunnelled without a peer', { tunnelled: true }, 'needs options.peerUri'],
    ['tunnelled with a data URI', { tunnelled: true, peerUri: peer, migrateUri: 'tcp://b' }, 'options.migrateUri'],
    ['tunnelled with TLS', { tunnelled: true, peerUri: peer, tls: true }, 'options.tls'],
    [
      'tunnelled with multifd',
      { tunnelled: true, peerUri: peer, parallelConnections: 4 },
      'options.parallelConnections',
    ],
  ];
  for (const [what, o, says] of bad) {
    it(`rejects ${what} with E_INVALID_ARGUMENT`, () => {
      const err = invalidArgumentOf(() => assertPeerToPeerOptions(o as never));
      expect(err.code).to.equal('E_INVALID_ARGUMENT');
      expect(err.message).to.contain(says);
    });
  }
});
