import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import {
  assertAbsolutePath,
  assertChapCredentials,
  assertInitiatorAddress,
  assertIscsiName,
  assertLun,
  assertPortal,
  formatPortal,
  parsePortal,
} from '../src/index.js';

function rejects(f: () => void, field?: string): void {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).code).to.equal('E_INVALID_ARGUMENT');
    if (field) expect((e as InvalidArgumentError).field).to.equal(field);
    return;
  }
  expect.fail('no InvalidArgumentError');
}

describe('validate: iSCSI names (RFC 3720)', () => {
  it('accepts IQNs with and without the optional part, and EUI names', () => {
    for (const n of [
      'iqn.2026-11.org.example',
      'iqn.2026-11.org.example:lab',
      'iqn.1992-01.com.example:storage.disk2.sys1.xyz',
      'iqn.2001-04.com.example:storage:diskarrays-sn-a8675309',
      'eui.02004567A425678D',
      'eui.0123456789abcdef',
    ]) {
      expect(() => assertIscsiName(n)).not.to.throw();
    }
  });

  it('rejects malformed names: bad month, upper case, missing domain, short EUI, spaces', () => {
    for (const n of [
      'iqn.2026-13.org.example',
      'iqn.26-11.org.example',
      'iqn.2026-11.Org.Example',
      'iqn.2026-11',
      'iqn.2026-11.org..example',
      'iqn.2026-11.-org.example',
      'eui.02004567A425678',
      'eui.02004567A425678G',
      'naa.52004567BA64678D',
      'iqn.2026-11.org.example:a b',
      '',
    ]) {
      rejects(() => assertIscsiName(n), 'iqn');
    }
  });

  it('rejects names longer than 223 bytes', () => {
    const long = `iqn.2026-11.org.example:${'a'.repeat(223 - 24 + 1)}`;
    expect(long.length).to.equal(224);
    rejects(() => assertIscsiName(long));
    expect(() => assertIscsiName(long.slice(0, 223))).not.to.throw();
  });

  it('rejects shell metacharacters, newlines and option-looking values in names', () => {
    for (const n of [
      'iqn.2026-11.org.example:x;rm',
      'iqn.2026-11.org.example:$(id)',
      'iqn.2026-11.org.example:a\nb',
      '-iqn.2026-11.org.example',
      'iqn.2026-11.org.example:`x`',
    ]) {
      rejects(() => assertIscsiName(n));
    }
  });
});

describe('validate: portals', () => {
  it('parses IPv4, host names, bracketed and bare IPv6, defaulting the port to 3260', () => {
    expect(parsePortal('127.0.0.1:3261')).to.deep.equal({ host: '127.0.0.1', port: 3261 });
    expect(parsePortal('storage.example.org')).to.deep.equal({ host: 'storage.example.org', port: 3260 });
    expect(parsePortal('[fd00::2]:3262')).to.deep.equal({ host: 'fd00::2', port: 3262 });
    expect(parsePortal('[::1]')).to.deep.equal({ host: '::1', port: 3260 });
    expect(parsePortal('fd00::2')).to.deep.equal({ host: 'fd00::2', port: 3260 });
  });

  it('formats IPv6 portals in brackets', () => {
    expect(formatPortal({ host: '::1', port: 3260 })).to.equal('[::1]:3260');
    expect(formatPortal({ host: '10.0.0.1', port: 3260 })).to.equal('10.0.0.1:3260');
  });

  it('rejects bad ports, bad hosts and metacharacters', () => {
    for (const p of [
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '127.0.0.1:x',
      '256.1.1.1:3260',
      '[nothex]:3260',
      'host;id:3260',
      '-oProxyCommand=x:22',
      'a b:3260',
      'bad_host!:1',
    ]) {
      rejects(() => parsePortal(p));
    }
    rejects(() => assertPortal({ host: '127.0.0.1', port: 3.5 }), 'portal.port');
    rejects(() => assertPortal({ host: '$(reboot)', port: 3260 }), 'portal.host');
  });
});

describe('validate: LUNs, paths, addresses', () => {
  it('accepts LUNs 0..16383 and rejects others', () => {
    expect(() => assertLun(0)).not.to.throw();
    expect(() => assertLun(16383)).not.to.throw();
    for (const l of [-1, 16384, 1.5, Number.NaN, '1']) rejects(() => assertLun(l));
    rejects(() => assertLun(0, 'lun', 1));
  });

  it('accepts absolute paths and rejects relative paths, NUL, newlines, .. and metacharacters', () => {
    expect(() => assertAbsolutePath('/var/lib/virtmig/lun-1.img')).not.to.throw();
    for (const p of [
      'lun.img',
      '/tmp/a\nb',
      '/tmp/a\0b',
      '/tmp/../etc/shadow',
      '/tmp/a b',
      '/tmp/$(id)',
      '/tmp/a;b',
      '/tmp/a,b',
    ]) {
      rejects(() => assertAbsolutePath(p));
    }
  });

  it('accepts tgt ACL addresses and rejects anything else', () => {
    for (const a of ['ALL', '10.0.0.1', '10.0.0.0/24', 'fd00::1'])
      expect(() => assertInitiatorAddress(a)).not.to.throw();
    for (const a of ['10.0.0.0/33', 'all', 'host.example', '10.0.0.1;x']) rejects(() => assertInitiatorAddress(a));
  });
});

describe('validate: CHAP credentials', () => {
  it('accepts secrets of 12 to 255 characters', () => {
    expect(() => assertChapCredentials({ username: 'alice', password: 'a'.repeat(12) })).not.to.throw();
    expect(() =>
      assertChapCredentials({ username: 'iqn.2026-11.org.example:host1', password: 'a'.repeat(255) }),
    ).not.to.throw();
  });

  it('rejects short and long secrets, and honours a 16-character cap when asked', () => {
    rejects(() => assertChapCredentials({ username: 'alice', password: 'a'.repeat(11) }), 'chap.password');
    rejects(() => assertChapCredentials({ username: 'alice', password: 'a'.repeat(256) }), 'chap.password');
    rejects(() => assertChapCredentials({ username: 'alice', password: 'a'.repeat(17) }, 'chap', { maxSecret: 16 }));
  });

  it('rejects metacharacters in user names and secrets without echoing the secret', () => {
    rejects(() => assertChapCredentials({ username: 'al ice', password: 'secretsecret12' }), 'chap.username');
    rejects(() => assertChapCredentials({ username: '-alice', password: 'secretsecret12' }), 'chap.username');
    for (const pw of ['secret;secret12', 'secret$secret12', 'secret\nsecret12', '-secretsecret12', 'secret secret12']) {
      try {
        assertChapCredentials({ username: 'alice', password: pw });
        expect.fail('accepted');
      } catch (e) {
        expect(e).to.be.instanceOf(InvalidArgumentError);
        expect((e as Error).message).not.to.include(pw);
        expect(JSON.stringify((e as InvalidArgumentError).details)).not.to.include(pw);
      }
    }
  });
});
