import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import { isHandleType } from '../src/argument-check.js';
import { BUFFER_EXTENTS, NATIVE_ONLY, NOT_EXTENTS } from '../src/buffer-extents.js';
import {
  Connection,
  compileChecker,
  type Domain,
  FUNCTIONS,
  type FunctionName,
  LibvirtBinding,
  LibvirtError,
  type NativePointer,
  readTypedParams,
  TypedParamList,
} from '../src/index.js';
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

    it('refuses a length larger than the Buffer it describes, before the native call', () => {
      refuses('virDomainPinVcpu', [dom, 0, b.engine.alloc(1), 2], /^virDomainPinVcpu\(cpumap\)$/);
      refuses('virDomainPinVcpuFlags', [dom, 0, b.engine.alloc(4), 5, 0], /\(cpumap\)$/);
      // virVcpuInfo is 24 bytes: two need 48; cpumaps need maxinfo * maplen bytes.
      refuses('virDomainGetVcpus', [dom, b.engine.alloc(24), 2, null, 0], /^virDomainGetVcpus\(info\)$/);
      refuses('virDomainGetVcpus', [dom, b.engine.alloc(48), 2, b.engine.alloc(3), 2], /\(cpumaps\)$/);
      refuses('virDomainGetVcpus', [dom, b.engine.alloc(48), 2, null, 1], /\(cpumaps\)$/);
      refuses('virSecretSetValue', [null, b.engine.alloc(4), 5, 0], /^virSecretSetValue\(value\)$/);
      refuses('virStreamSend', [null, 'abc', 100], /^virStreamSend\(data\)$/);
      refuses('virNodeGetCellsFreeMemory', [conn, b.engine.alloc(8), 0, 2], /\(freeMems\)$/);
      refuses('virConnectListDomains', [conn, b.engine.alloc(4), 2], /\(ids\)$/);
      refuses('virDomainMemoryStats', [dom, b.engine.alloc(16), 2, 0], /\(stats\)$/);
      refuses('virDomainBlockPeek', [dom, 'vda', 0, 16, b.engine.alloc(8), 0], /\(buffer\)$/);
      // An in/out count: the capacity libvirt reads from *nparams, 96 bytes per virTypedParameter.
      const nparams = b.engine.alloc(4);
      nparams.writeInt32LE(2, 0);
      refuses('virDomainGetSchedulerParametersFlags', [dom, b.engine.alloc(96), nparams, 0], /\(params\)$/);
      refuses('virDomainGetCPUStats', [dom, b.engine.alloc(96), 1, 0, 2, 0], /\(params\)$/);
      refuses('virDomainPinVcpu', [dom, 0, b.engine.alloc(1), -1], /\(maplen\)$/);
    });

    it('accepts lengths that fit, so libvirt sees the call', () => {
      const info = b.engine.alloc(24 * 2);
      const maps = b.engine.alloc(2);
      expect(b.call('virDomainGetVcpus', dom, info, 2, maps, 1)).to.equal(2);
      const nparams = b.engine.alloc(4);
      nparams.writeInt32LE(1, 0);
      // The test driver has no such parameters: libvirt's own error shows the call got there.
      expect(() => b.call('virDomainGetSchedulerParametersFlags', dom, b.engine.alloc(96), nparams, 0)).to.throw(
        LibvirtError,
      );
    });

    it('checks typed-parameter counts against the TypedParamList they describe', () => {
      const list = new TypedParamList(b, [{ name: 'weight', type: 'uint', value: 10 }]);
      try {
        refuses('virDomainSetSchedulerParametersFlags', [dom, list.pointer, list.length + 1, 0], /\(params\)$/);
        refuses('virDomainMigrate3', [dom, null, list.pointer, 1000, 0], /^virDomainMigrate3\(params\)$/);
        refuses('virDomainMigrateToURI3', [dom, 'test:///default', list.pointer, 2, 0], /\(params\)$/);
        refuses('virTypedParamsGetUInt', [list.pointer, 9, 'weight', b.engine.alloc(4)], /\(params\)$/);
        expect(() => readTypedParams(b, list.pointer, list.length + 1)).to.throw(InvalidArgumentError);
        expect(readTypedParams(b, list.pointer, list.length)).to.deep.equal({ weight: 10 });
        expect(b.call('virDomainSetSchedulerParametersFlags', dom, list.pointer, list.length, 0)).to.equal(0);
      } finally {
        list.free();
      }
    });

    it('refuses a Buffer where libvirt reads pointers out of the memory, frees or reallocates it', () => {
      const params = Buffer.alloc(96, 0xff);
      refuses('virDomainSetSchedulerParametersFlags', [dom, params, 1, 0], /\(params\)$/);
      refuses('virTypedParamsFree', [params, 1], /^virTypedParamsFree\(params\)$/);
      refuses(
        'virTypedParamsAddInt',
        [Buffer.alloc(8, 0xff), b.engine.alloc(4), b.engine.alloc(4), 'x', 1],
        /\(params\)$/,
      );
      refuses('virConnectBaselineCPU', [conn, Buffer.alloc(8, 0xff), 1, 0], /\(xmlCPUs\)$/);
      refuses('virFreeError', [b.engine.alloc(80)], /\(err\)$/);
    });

    it('types the handles read out of libvirt arrays, which are then accepted only where that type is declared', async () => {
      const c = await Connection.open('test:///default', { engine });
      try {
        const domains = await c.listAllDomains();
        try {
          const p = (domains[0] as Domain).pointer as NativePointer;
          expect(p.ctype).to.equal('virDomainPtr');
          expect(b.call('virDomainGetID', p)).to.equal(1);
          refuses('virConnectGetType', [p], /^virConnectGetType\(conn\)$/);
          refuses('virDomainGetInfo', [dom, p], /^virDomainGetInfo\(info\)$/);
        } finally {
          for (const d of domains) d.free();
        }
      } finally {
        await c.close();
      }
    });

    it('refuses an untyped pointer read from memory where a handle is declared, and a handle read from a Buffer', () => {
      const holder = b.engine.alloc(8);
      holder.writeBigUInt64LE(b.engine.address(dom), 0);
      refuses('virDomainGetID', [b.engine.readPointer(holder, 0)], /^virDomainGetID\(domain\)$/);
      expect(() => b.readPointer(holder, 0, 'virDomainPtr')).to.throw(InvalidArgumentError, /only from memory libvirt/);
      expect(() => b.readPointer(holder, 4, 'virTypedParameterPtr')).to.throw(InvalidArgumentError, /outside/);
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

describe('the table of buffer lengths', () => {
  const INTEGER = new Set([
    'char',
    'uchar',
    'short',
    'ushort',
    'int',
    'uint',
    'long',
    'ulong',
    'llong',
    'ullong',
    'size_t',
  ]);

  it('describes every integer next to a memory pointer in the generated table, as a length or as not one', () => {
    const undescribed: string[] = [];
    for (const [fn, sig] of Object.entries(FUNCTIONS)) {
      const memory = sig.args.some((a) => a.kind === 'pointer' && !isHandleType(a.ctype) && a.name !== 'opaque');
      if (!memory) continue;
      const spec = (BUFFER_EXTENTS[fn] ?? []).join(' ');
      for (const a of sig.args) {
        if (!INTEGER.has(a.kind) || a.name === 'flags') continue;
        if (!new RegExp(`\\b${a.name}\\b`).test(spec) && !NOT_EXTENTS[`${fn}(${a.name})`])
          undescribed.push(`${fn}(${a.name})`);
      }
    }
    expect(undescribed).to.deep.equal([]);
  });

  it('names only functions and arguments that exist', () => {
    for (const key of Object.keys(NOT_EXTENTS)) {
      const [, fn, arg] = /^(\w+)\((\w+)\)$/.exec(key) ?? [];
      expect(
        FUNCTIONS[fn as FunctionName]?.args.some((a) => a.name === arg),
        key,
      ).to.equal(true);
    }
    // compileChecker throws on an unknown function argument in BUFFER_EXTENTS or NATIVE_ONLY.
    for (const fn of [...Object.keys(BUFFER_EXTENTS), ...Object.keys(NATIVE_ONLY)]) {
      if (fn.startsWith('virtmig_')) continue;
      const sig = FUNCTIONS[fn as FunctionName];
      expect(sig, fn).to.not.equal(undefined);
      expect(() => compileChecker(fn, sig.args)).to.not.throw();
    }
  });
});
