import { inspect } from 'node:util';
import type { HypervisorCapabilities } from '@virtmig/core';
import { stubBinding } from '@virtmig/testing';
import { expect } from 'chai';
import sinon from 'sinon';
import {
  assertSecretXml,
  Connection,
  ENUMS,
  getBinding,
  LibvirtError,
  LibvirtHypervisor,
  parseSecretXml,
  SECRET_XML_MAX_BYTES,
  Secret,
  secretUsageName,
  secretXml,
} from '../src/index.js';
import { ENGINES } from './engines.js';

const VALUE = 'chap-s3cret-value-7f3a';
const UUID = '6f2b1c9e-0d4a-4c3b-9a57-1e2f3a4b5c6d';
const E = ENUMS.virErrorNumber;

const libvirtError = (fn: string, code: number, message: string): LibvirtError =>
  new LibvirtError({
    fn,
    libvirtCode: code,
    libvirtDomain: ENUMS.virErrorDomain.VIR_FROM_SECRET,
    libvirtMessage: message,
  });

/** A LibvirtHypervisor whose host keeps secrets, over a connection whose secret calls are stubbed. */
class SecretHypervisor extends LibvirtHypervisor {
  readonly capabilities: HypervisorCapabilities = {
    migration: false,
    migrationOptions: new Set(),
    cpuCap: false,
    vcpuHotplug: false,
    memoryBalloon: false,
    events: false,
    secrets: true,
  };

  protected buildDomainXml(): string {
    return '';
  }
}

/** Answers of a host with one secret, UUID, for iSCSI target `lab-disk`. */
function oneSecretHost(overrides: Record<string, (...args: unknown[]) => unknown> = {}) {
  const token = { secret: UUID };
  return {
    virSecretLookupByUUIDString: (_c: unknown, uuid: unknown) => {
      if (uuid !== UUID)
        throw libvirtError('virSecretLookupByUUIDString', E.VIR_ERR_NO_SECRET, 'no secret with matching uuid');
      return token;
    },
    virSecretLookupByUsage: (_c: unknown, type: unknown, id: unknown) => {
      if (type !== ENUMS.virSecretUsageType.VIR_SECRET_USAGE_TYPE_ISCSI || id !== 'lab-disk')
        throw libvirtError('virSecretLookupByUsage', E.VIR_ERR_NO_SECRET, 'no secret with matching usage');
      return token;
    },
    virSecretDefineXML: () => token,
    virSecretGetUUIDString: (_p: unknown, buf: unknown) => {
      (buf as Buffer).write(`${UUID}\0`);
      return 0;
    },
    virSecretGetUsageType: () => ENUMS.virSecretUsageType.VIR_SECRET_USAGE_TYPE_ISCSI,
    virSecretGetUsageID: () => 'lab-disk',
    virSecretSetValue: () => 0,
    virSecretUndefine: () => 0,
    virSecretFree: () => 0,
    ...overrides,
  };
}

describe('secret XML', () => {
  it('builds private, persistent secret XML by default, escaping the usage id and description', () => {
    expect(secretXml({ usageType: 'iscsi', usageId: 'disk <a&b>', description: "lab's disk" })).to.equal(
      [
        "<secret ephemeral='no' private='yes'>",
        '  <description>lab&apos;s disk</description>',
        "  <usage type='iscsi'><target>disk &lt;a&amp;b&gt;</target></usage>",
        '</secret>',
        '',
      ].join('\n'),
    );
    expect(
      secretXml({ usageType: 'volume', usageId: '/var/lib/x.img', uuid: UUID, ephemeral: true, private: false }),
    ).to.equal(
      [
        "<secret ephemeral='yes' private='no'>",
        `  <uuid>${UUID}</uuid>`,
        "  <usage type='volume'><volume>/var/lib/x.img</volume></usage>",
        '</secret>',
        '',
      ].join('\n'),
    );
    for (const type of ['ceph', 'tls', 'vtpm'] as const)
      expect(secretXml({ usageType: type, usageId: 'n' })).to.contain(`<usage type='${type}'><name>n</name></usage>`);
  });

  it('reads back the usage and UUID of XML it built', () => {
    for (const usageType of ['volume', 'ceph', 'iscsi', 'tls', 'vtpm'] as const) {
      const usageId = usageType === 'volume' ? '/v & w' : 'id & <x>';
      expect(parseSecretXml(secretXml({ usageType, usageId, uuid: UUID }))).to.deep.equal({
        usageType,
        usageId,
        uuid: UUID,
      });
    }
  });

  it('holds raw XML to the limits: size, one <secret>, yes/no flags, a UUID, one known usage with an id', () => {
    const ok = "<secret><usage type='iscsi'><target>t</target></usage></secret>";
    expect(() => assertSecretXml(ok)).not.to.throw();
    const bad = [
      '',
      '<secret>',
      "<domain><usage type='iscsi'><target>t</target></usage></domain>",
      `<secret><description>${'x'.repeat(SECRET_XML_MAX_BYTES)}</description><usage type='iscsi'><target>t</target></usage></secret>`,
      "<secret private='maybe'><usage type='iscsi'><target>t</target></usage></secret>",
      "<secret><uuid>nope</uuid><usage type='iscsi'><target>t</target></usage></secret>",
      '<secret></secret>',
      "<secret><usage type='nfs'><name>t</name></usage></secret>",
      "<secret><usage type='iscsi'><name>t</name></usage></secret>",
      "<secret><usage type='iscsi'><target>t</target></usage><usage type='ceph'><name>c</name></usage></secret>",
      "<secret><usage type='volume'><volume>relative</volume></usage></secret>",
    ];
    for (const xml of bad)
      expect(() => assertSecretXml(xml), xml.slice(0, 60))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it("names libvirt's usage type numbers, none and unknown ones", () => {
    expect([0, 1, 2, 3, 4, 5, 99].map(secretUsageName)).to.deep.equal([
      'none',
      'volume',
      'ceph',
      'iscsi',
      'tls',
      'vtpm',
      'unknown',
    ]);
  });
});

for (const engine of ENGINES) {
  describe(`secrets through the binding on ${engine} (stubbed secret calls)`, () => {
    const sandbox = sinon.createSandbox();
    afterEach(() => sandbox.restore());

    it('setValue sends a string as its UTF-8 bytes on a worker thread and zeroes that copy once the call settled', async () => {
      const binding = getBinding({ engine });
      let sent: Buffer | undefined;
      let atCall = '';
      const stub = stubBinding(sandbox, binding, {
        virSecretSetValue: (_p, bytes, size, flags) => {
          sent = bytes as Buffer;
          atCall = `${sent.toString('utf8')} ${String(size)} ${String(flags)}`;
          return 0;
        },
        virSecretFree: () => 0,
      });
      const s = new Secret(binding, { fake: 'pointer' });
      await s.setValue('pässwörd');
      expect(atCall).to.equal(`pässwörd ${Buffer.byteLength('pässwörd')} 0`);
      expect(stub.callAsync.calledWith('virSecretSetValue')).to.equal(true);
      expect([...(sent as Buffer)].every((b) => b === 0)).to.equal(true);
      s.free();
      expect(stub.names()).to.deep.equal(['virSecretSetValue', 'virSecretFree']);
    });

    it("setValue passes the caller's bytes as they are and leaves clearing them to the caller", async () => {
      const binding = getBinding({ engine });
      const seen: number[][] = [];
      stubBinding(sandbox, binding, {
        virSecretSetValue: (_p, bytes, size) => {
          seen.push([...(bytes as Buffer)], [size as number]);
          return 0;
        },
        virSecretFree: () => 0,
      });
      const s = new Secret(binding, {});
      const backing = new Uint8Array([9, 1, 2, 3, 9]);
      await s.setValue(backing.subarray(1, 4));
      await s.setValue(Buffer.from([7, 7]));
      expect(seen).to.deep.equal([[1, 2, 3], [3], [7, 7], [2]]);
      expect([...backing]).to.deep.equal([9, 1, 2, 3, 9]);
      s.free();
    });

    it('setValue refuses empty, oversized and non-byte values with E_INVALID_ARGUMENT naming only size or type, calling nothing', async () => {
      const binding = getBinding({ engine });
      const stub = stubBinding(sandbox, binding, { virSecretFree: () => 0 }, { others: 'reject' });
      const s = new Secret(binding, {});
      for (const value of ['', new Uint8Array(0), `${VALUE}`.repeat(4000), 42, null, { toString: () => VALUE }]) {
        const e = (await s.setValue(value as string).catch((x: unknown) => x)) as Error;
        expect(e).to.have.property('code', 'E_INVALID_ARGUMENT');
        expect(`${e.message} ${e.stack} ${JSON.stringify(e)}`).not.to.contain(VALUE);
      }
      s.free();
      expect(stub.names()).to.deep.equal(['virSecretFree']);
    });

    it('a failing virSecretSetValue rejects with its typed error, never the value, and the copy is still zeroed', async () => {
      const binding = getBinding({ engine });
      let sent: Buffer | undefined;
      stubBinding(sandbox, binding, {
        virSecretSetValue: (_p, bytes) => {
          sent = bytes as Buffer;
          throw libvirtError('virSecretSetValue', E.VIR_ERR_NO_SECRET, `no secret with matching uuid '${UUID}'`);
        },
        virSecretFree: () => 0,
      });
      const s = new Secret(binding, {});
      const e = (await s.setValue(VALUE).catch((x: unknown) => x)) as LibvirtError;
      expect(e).to.be.instanceOf(LibvirtError).with.property('code', 'E_NOT_FOUND');
      expect(`${e.message} ${e.stack} ${JSON.stringify(e.details)} ${inspect(e)}`).not.to.contain(VALUE);
      expect([...(sent as Buffer)].every((b) => b === 0)).to.equal(true);
      s.free();
    });

    it('free() during setValue in flight defers virSecretFree until the call settled; later calls get E_CLOSED', async () => {
      const binding = getBinding({ engine });
      const order: string[] = [];
      let finish: (() => void) | undefined;
      stubBinding(sandbox, binding, {
        virSecretSetValue: async () => {
          order.push('set started');
          await new Promise<void>((resolve) => {
            finish = resolve;
          });
          order.push('set settled');
          return 0;
        },
        virSecretFree: () => {
          order.push('freed');
          return 0;
        },
      });
      const s = new Secret(binding, {});
      const setting = s.setValue(VALUE);
      await new Promise((r) => setImmediate(r));
      s.free();
      expect(s.freed).to.equal(true);
      expect(await s.undefine().catch((x: unknown) => x)).to.have.property('code', 'E_CLOSED');
      expect(order).to.deep.equal(['set started']);
      finish?.();
      await setting;
      expect(order).to.deep.equal(['set started', 'set settled', 'freed']);
    });

    it('a Secret shows only its UUID in String(), JSON and util.inspect, and says so once freed', () => {
      const binding = getBinding({ engine });
      stubBinding(sandbox, binding, oneSecretHost());
      const s = new Secret(binding, {});
      expect(String(s)).to.equal(`Secret ${UUID}`);
      expect(JSON.stringify({ s })).to.equal(`{"s":{"uuid":"${UUID}"}}`);
      expect(inspect(s)).to.equal(`Secret ${UUID}`);
      s.free();
      expect([String(s), JSON.stringify(s), inspect(s)]).to.deep.equal([
        'Secret (freed)',
        '{"uuid":null}',
        'Secret (freed)',
      ]);
    });

    it('LibvirtHypervisor: define, set, look up by usage and UUID, list and undefine make one wrapper call each and free every handle', async () => {
      const conn = await Connection.open('test:///default', { engine });
      const h = new SecretHypervisor(conn, 'secrets');
      let definedXml = '';
      const stub = stubBinding(
        sandbox,
        conn.binding,
        oneSecretHost({
          virSecretLookupByUsage: () => {
            throw libvirtError('virSecretLookupByUsage', E.VIR_ERR_NO_SECRET, 'no secret with matching usage');
          },
          virSecretDefineXML: (_c, xml, flags) => {
            definedXml = `${String(xml)}|${String(flags)}`;
            return {};
          },
        }),
      );
      try {
        const info = await h.defineSecret({ usageType: 'iscsi', usageId: 'lab-disk', uuid: UUID });
        expect(info).to.deep.equal({ uuid: UUID, usageType: 'iscsi', usageId: 'lab-disk' });
        expect(definedXml).to.equal(`${secretXml({ usageType: 'iscsi', usageId: 'lab-disk', uuid: UUID })}|0`);
        await h.setSecretValue(UUID, VALUE);
        await h.undefineSecret(UUID);
        const secretCalls = stub.names().filter((n) => n.startsWith('virSecret'));
        expect(secretCalls.filter((n) => n === 'virSecretSetValue')).to.have.length(1);
        expect(secretCalls.filter((n) => n === 'virSecretUndefine')).to.have.length(1);
        const handles = secretCalls.filter((n) => /LookupByUUIDString|DefineXML/.test(n)).length;
        expect(secretCalls.filter((n) => n === 'virSecretFree')).to.have.length(handles);
        expect(JSON.stringify(stub.calls('virSecretLookupByUUIDString'))).not.to.contain(VALUE);
      } finally {
        await h.close();
      }
    });

    it('LibvirtHypervisor maps a missing secret to E_NOT_FOUND naming it, and refuses bad input before any call', async () => {
      const conn = await Connection.open('test:///default', { engine });
      const h = new SecretHypervisor(conn, 'secrets');
      const stub = stubBinding(sandbox, conn.binding, oneSecretHost());
      try {
        const other = '11111111-2222-4333-8444-555555555555';
        for (const call of [
          () => h.lookupSecret(other),
          () => h.setSecretValue(other, VALUE),
          () => h.undefineSecret(other),
        ]) {
          const e = (await call().catch((x: unknown) => x)) as Error;
          expect(e).to.have.property('code', 'E_NOT_FOUND');
          expect(e.message).to.equal(`secret "${other}" not found`);
        }
        expect((await h.lookupSecretByUsage('iscsi', 'other').catch((x: unknown) => x)) as Error).to.have.property(
          'message',
          'secret "iscsi other" not found',
        );
        expect(await h.lookupSecretByUsage('iscsi', 'lab-disk')).to.deep.equal({
          uuid: UUID,
          usageType: 'iscsi',
          usageId: 'lab-disk',
        });
        const before = stub.names().length;
        for (const call of [
          () => h.defineSecret({ usageType: 'iscsi', usageId: 'x', private: 'no' as unknown as boolean }),
          () => h.defineSecretXml('<secret/>'),
          () => h.setSecretValue('nope', VALUE),
          () => h.setSecretValue(UUID, ''),
          () => h.lookupSecretByUsage('nfs' as 'iscsi', 'x'),
        ])
          expect(await call().catch((x: unknown) => x)).to.have.property('code', 'E_INVALID_ARGUMENT');
        expect(stub.names().length).to.equal(before);
        await rejectsTaken(h);
      } finally {
        await h.close();
      }
    });
  });

  describe(`secrets on the real test:///default on ${engine}`, () => {
    it("libvirt's test driver has no secret driver: each wrapper fails with E_UNSUPPORTED (VIR_ERR_NO_SUPPORT)", async () => {
      const conn = await Connection.open('test:///default', { engine });
      try {
        for (const call of [
          () => conn.listAllSecrets(),
          () => conn.defineSecretXml(secretXml({ usageType: 'iscsi', usageId: 't' })),
          () => conn.lookupSecretByUsage(ENUMS.virSecretUsageType.VIR_SECRET_USAGE_TYPE_ISCSI, 't'),
          () => conn.lookupSecretByUuid(UUID),
        ]) {
          const e = await call().catch((x: unknown) => x);
          expect(e).to.be.instanceOf(LibvirtError).with.property('code', 'E_UNSUPPORTED');
          expect(e).to.have.property('libvirtCodeName', 'VIR_ERR_NO_SUPPORT');
        }
      } finally {
        await conn.close();
      }
    });

    it('secret calls on a closed connection fail with E_CLOSED', async () => {
      const conn = await Connection.open('test:///default', { engine });
      await conn.close();
      for (const call of [() => conn.listAllSecrets(), () => conn.lookupSecretByUuid(UUID)])
        expect(await call().catch((x: unknown) => x)).to.have.property('code', 'E_CLOSED');
    });
  });
}

/** A second secret for a usage another holds is refused before virSecretDefineXML runs. */
async function rejectsTaken(h: SecretHypervisor): Promise<void> {
  const e = await h.defineSecret({ usageType: 'iscsi', usageId: 'lab-disk' }).catch((x: unknown) => x);
  expect(e).to.have.property('code', 'E_INVALID_ARGUMENT');
  expect(e).to.have.property('message', `config.usageId: iscsi lab-disk is used by secret ${UUID}`);
}
