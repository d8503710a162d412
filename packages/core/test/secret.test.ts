import { expect } from 'chai';
import {
  assertSecretConfig,
  assertSecretUsage,
  assertSecretUuid,
  assertSecretValue,
  InvalidArgumentError,
  isSecretCapable,
  SECRET_LIMITS,
} from '../src/index.js';

const UUID = '6f2b1c9e-0d4a-4c3b-9a57-1e2f3a4b5c6d';

function fieldOf(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidArgumentError);
    return (e as InvalidArgumentError).field;
  }
  throw new Error('expected E_INVALID_ARGUMENT');
}

describe('secret validation', () => {
  it('accepts every usage type with its id, and the optional fields', () => {
    for (const usageType of ['ceph', 'iscsi', 'tls', 'vtpm'] as const)
      expect(() => assertSecretConfig({ usageType, usageId: 'client.admin' })).not.to.throw();
    expect(() =>
      assertSecretConfig({
        usageType: 'volume',
        usageId: '/var/lib/libvirt/images/x.img',
        uuid: UUID.toUpperCase(),
        description: 'disk key',
        ephemeral: true,
        private: false,
      }),
    ).not.to.throw();
  });

  it('names the first bad field: type, usage id, volume path, UUID, description, flags, unknown keys', () => {
    const cases: [unknown, string][] = [
      [null, 'config'],
      [[], 'config'],
      [{ usageType: 'nfs', usageId: 'x' }, 'config.usageType'],
      [{ usageType: 'iscsi', usageId: ' ' }, 'config.usageId'],
      [{ usageType: 'iscsi', usageId: 'a\u0000b' }, 'config.usageId'],
      [{ usageType: 'iscsi', usageId: 'x'.repeat(SECRET_LIMITS.usageIdLength + 1) }, 'config.usageId'],
      [{ usageType: 'volume', usageId: 'images/x.img' }, 'config.usageId'],
      [{ usageType: 'iscsi', usageId: 'x', uuid: `${UUID}0` }, 'config.uuid'],
      [{ usageType: 'iscsi', usageId: 'x', description: 'two\nlines' }, 'config.description'],
      [{ usageType: 'iscsi', usageId: 'x', private: 'no' }, 'config.private'],
      [{ usageType: 'iscsi', usageId: 'x', ephemeral: 0 }, 'config.ephemeral'],
      [{ usageType: 'iscsi', usageId: 'x', privat: false }, 'config.privat'],
      [{ usageType: 'iscsi', usageId: 'x', value: 'hunter2' }, 'config.value'],
    ];
    for (const [config, field] of cases)
      expect(
        fieldOf(() => assertSecretConfig(config)),
        JSON.stringify(config),
      ).to.equal(field);
    expect(fieldOf(() => assertSecretUsage('iscsi', '', 'usage'))).to.equal('usage.usageId');
    expect(fieldOf(() => assertSecretUuid('123'))).to.equal('uuid');
  });

  it('values: 1 to 65536 bytes counted as UTF-8, strings or bytes, refused naming only type and size', () => {
    expect(() => assertSecretValue('x')).not.to.throw();
    expect(() => assertSecretValue('é'.repeat(SECRET_LIMITS.valueBytes / 2))).not.to.throw();
    expect(() => assertSecretValue(new Uint8Array(SECRET_LIMITS.valueBytes))).not.to.throw();
    const secret = 'hunter2-'.repeat(9000);
    for (const bad of ['', 'é'.repeat(SECRET_LIMITS.valueBytes / 2 + 1), new Uint8Array(0), secret, 42, null, [1, 2]]) {
      let message = '';
      try {
        assertSecretValue(bad);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, String(bad).slice(0, 20)).to.match(/^value: must be/);
      expect(message).not.to.contain('hunter2');
    }
  });

  it('isSecretCapable is true only for objects with every secret method', () => {
    const fn = async () => undefined;
    const all = {
      defineSecret: fn,
      setSecretValue: fn,
      lookupSecretByUsage: fn,
      lookupSecret: fn,
      listSecrets: fn,
      undefineSecret: fn,
    };
    expect(isSecretCapable(all)).to.equal(true);
    expect(isSecretCapable({ ...all, listSecrets: 1 })).to.equal(false);
    expect(isSecretCapable(null)).to.equal(false);
    expect(isSecretCapable('defineSecret')).to.equal(false);
  });
});
