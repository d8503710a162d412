import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import { LibvirtBinding, LibvirtError } from '../src/index.js';
import { ENGINES } from './engines.js';

/** What a promise rejected with, or null when it resolved. */
const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

for (const engine of ENGINES) {
  describe(`LibvirtBinding argument checks on ${engine}`, () => {
    let b: LibvirtBinding;
    let conn: unknown;
    let dom: unknown;
    before(() => {
      b = new LibvirtBinding({ engine });
      conn = b.call('virConnectOpen', 'test:///default');
      dom = b.call('virDomainLookupByName', conn, 'test');
    });
    after(() => {
      b.call('virDomainFree', dom);
      b.call('virConnectClose', conn);
    });

    const refuses = (fn: string, args: unknown[], param: RegExp) => {
      let err: unknown;
      try {
        b.call(fn, ...args);
      } catch (e) {
        err = e;
      }
      expect(err, `${fn}(${args.map(String).join(', ')})`).to.be.instanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).code).to.equal('E_INVALID_ARGUMENT');
      expect((err as InvalidArgumentError).field).to.match(param);
    };

    it('refuses a non-string or a string with NUL where C takes a string, naming function and parameter', () => {
      refuses('virDomainLookupByName', [conn, 42], /^virDomainLookupByName\(name\)$/);
      refuses('virDomainLookupByName', [conn, 'te\0st'], /^virDomainLookupByName\(name\)$/);
      refuses('virDomainLookupByName', [conn, { toString: () => 'test' }], /\(name\)$/);
      refuses('virDomainDefineXML', [conn, Buffer.from('<domain/>')], /^virDomainDefineXML\(xml\)$/);
    });

    it('refuses integers out of range for their C type, fractions, NaN, Infinity and bigint where C is 32-bit', () => {
      for (const flags of [-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1n, '0', null, true]) {
        refuses('virDomainGetXMLDesc', [dom, flags], /^virDomainGetXMLDesc\(flags\)$/);
      }
      for (const kib of [-1, 2 ** 53, -(2n ** 1n), 2n ** 64n]) {
        refuses('virDomainSetMaxMemory', [dom, kib], /^virDomainSetMaxMemory\(memory\)$/);
      }
      refuses('virDomainSetVcpus', [dom, 2 ** 32], /\(nvcpus\)$/);
      refuses('virDomainPinVcpu', [dom, 0, b.engine.alloc(1), 2 ** 31], /\(maplen\)$/);
    });

    it('takes 64-bit integers as bigint beyond 2^53', () => {
      const buf = b.engine.alloc(8);
      expect(() => b.call('virNodeGetCellsFreeMemory', conn, buf, 0, 1)).to.not.throw();
      expect(() => b.call('virDomainSetMaxMemory', dom, 2n ** 63n)).to.throw(LibvirtError);
    });

    it('accepts only a handle the binding returned where C takes one: no number, bigint, Buffer or look-alike', () => {
      const fake = Object.create(Object.getPrototypeOf(conn ?? {}) as object);
      for (const bad of [0x1000, 0x7fff0000n, Buffer.alloc(64, 0xff), {}, fake, 'test']) {
        refuses('virDomainGetID', [bad], /^virDomainGetID\(domain\)$/);
      }
      // A connection where a domain is declared is refused too.
      refuses('virDomainGetID', [conn], /^virDomainGetID\(domain\)$/);
    });

    it('cannot mint a native pointer from its constructor', () => {
      const Ctor = (dom as object).constructor as new (...a: unknown[]) => unknown;
      expect(() => new Ctor(Symbol('NativePointer'), 0xdeadn, 'virDomainPtr')).to.throw(TypeError);
    });

    it('refuses a Buffer too small for the struct C writes into it', () => {
      refuses('virDomainGetInfo', [dom, b.engine.alloc(8)], /^virDomainGetInfo\(info\)$/);
      refuses('virNodeGetFreeMemory', [], /^virNodeGetFreeMemory$/);
    });

    it('refuses the wrong argument count, before anything native runs', () => {
      refuses('virDomainGetInfo', [dom], /^virDomainGetInfo$/);
      refuses('virDomainGetInfo', [dom, b.engine.alloc(64), 0], /^virDomainGetInfo$/);
    });

    it('checks arguments of worker-thread calls the same way', async () => {
      const err = await rejection(b.callAsync('virDomainDefineXMLFlags', conn, 42, 0));
      expect(err).to.be.instanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).to.equal('virDomainDefineXMLFlags(xml)');
    });
  });

  describe(`failure returns other than -1 and NULL on ${engine}`, () => {
    const b = () => new LibvirtBinding({ engine });

    it('raises for virDomainGetID, which fails with (unsigned)-1', async () => {
      expect(() => b().call('virDomainGetID', null)).to.throw(LibvirtError, /virDomainGetID/);
      const err = await rejection(b().callAsync('virDomainGetID', null));
      expect(err).to.be.instanceOf(LibvirtError);
    });

    it('raises for virDomainGetMaxMemory and virNodeGetFreeMemory, which fail with 0', async () => {
      expect(() => b().call('virDomainGetMaxMemory', null)).to.throw(LibvirtError, /virDomainGetMaxMemory/);
      expect(() => b().call('virNodeGetFreeMemory', null)).to.throw(LibvirtError, /virNodeGetFreeMemory/);
      const err = await rejection(b().callAsync('virNodeGetFreeMemory', null));
      expect((err as LibvirtError).libvirtCodeName).to.equal('VIR_ERR_INVALID_CONN');
    });

    it('returns an inactive domain its (unsigned)-1 id when libvirt reports no error', () => {
      const binding = b();
      const conn = binding.call('virConnectOpen', 'test:///default');
      const d = binding.call(
        'virDomainDefineXML',
        conn,
        "<domain type='test'><name>idle1</name><memory>65536</memory><os><type>hvm</type></os></domain>",
      );
      try {
        expect(binding.call('virDomainGetID', d)).to.equal(2 ** 32 - 1);
      } finally {
        binding.call('virDomainUndefine', d);
        binding.call('virDomainFree', d);
        binding.call('virConnectClose', conn);
      }
    });
  });
}
