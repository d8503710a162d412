// Runs in a child process (see ffi-fuzz.test.ts): feeds random JS values to libvirt functions
// through binding.call. A value that reached native code wrongly would kill this process with a
// signal; a JS error other than virtmig's typed ones fails the property. Usage: fuzz-child.js ENGINE RUNS SEED
import { isVirtmigError } from '@virtmig/core';
import fc from 'fast-check';
import {
  type CValue,
  type EngineName,
  LibvirtBinding,
  LibvirtError,
  FUNCTIONS as TABLE,
  TypedParamList,
} from '../src/index.js';

const [engine, runs, seed] = process.argv.slice(2) as [EngineName, string, string];
const b = new LibvirtBinding({ engine });
const conn = b.call('virConnectOpen', 'test:///default');
const dom = b.call('virDomainLookupByName', conn, 'test');

// Functions with every argument kind: handles, strings, 32- and 64-bit integers, out-buffers,
// and buffers whose length is a separate argument (cpumaps, typed parameters, byte buffers).
const FUNCTIONS = [
  'virDomainLookupByName',
  'virDomainGetInfo',
  'virDomainGetXMLDesc',
  'virDomainGetID',
  'virDomainGetMaxMemory',
  'virDomainSetMaxMemory',
  'virDomainSetMemoryFlags',
  'virDomainGetState',
  'virNodeGetFreeMemory',
  'virConnectGetType',
  'virDomainGetVcpusFlags',
  'virDomainLookupByUUIDString',
  'virDomainPinVcpu',
  'virDomainPinVcpuFlags',
  'virDomainGetVcpus',
  'virDomainGetVcpuPinInfo',
  'virDomainGetEmulatorPinInfo',
  'virDomainGetSchedulerParametersFlags',
  'virDomainSetSchedulerParametersFlags',
  'virDomainGetCPUStats',
  'virDomainMemoryStats',
  'virDomainGetDiskErrors',
  'virDomainBlockPeek',
  'virDomainMemoryPeek',
  'virDomainBlockStats',
  'virDomainInterfaceStats',
  'virDomainSendKey',
  'virDomainMigrate3',
  'virDomainGetBlkioParameters',
  'virDomainSetMemoryParameters',
  'virNodeGetCellsFreeMemory',
  'virNodeGetFreePages',
  'virNodeGetCPUStats',
  'virNodeGetMemoryStats',
  'virConnectListDomains',
  'virConnectListDefinedDomains',
  'virSecretSetValue',
  'virStreamSend',
  'virTypedParamsGet',
  'virTypedParamsGetUInt',
  'virTypedParamsGetString',
];

// Typed parameters libvirt allocated, so the typed-parameter functions get a pointer of a known
// size to go with the random counts (never freed here: the property runs until the process ends).
const list = new TypedParamList(b, [
  { name: 'weight', type: 'uint', value: 10 },
  { name: 'note', type: 'string', value: 'x' },
]);
// An in/out count as libvirt reads it from an `int *`.
const count = fc.integer({ min: -2, max: 8 }).map((k) => {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(k, 0);
  return buf;
});

const value = fc.oneof(
  fc.anything(),
  fc.string().map((s) => `${s}\0${s}`),
  fc.bigInt(),
  fc.bigInt({ min: 0n, max: 2n ** 64n }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 32, 2 ** 53, Number.MAX_VALUE, Number.NaN, null, undefined),
  fc.nat(256).map((n) => Buffer.alloc(n, 0xff)),
  fc.constantFrom(conn, dom, {}, [], 'test', () => 0, Symbol('s')),
  fc.nat(16),
  fc.nat(16),
  fc.nat(4 * 96).map((n) => Buffer.alloc(n)),
  count,
  fc.constant(list.pointer),
);

// A value of the declared kind (a handle of the declared type, a small integer, a Buffer of some
// size, libvirt's typed parameters) most of the time, so calls get past the type checks and the
// random lengths meet random Buffer sizes; any value the rest of the time.
const plausible = (arg: CValue): fc.Arbitrary<unknown> => {
  if (arg.ctype === 'virConnectPtr') return fc.constant(conn);
  if (arg.ctype === 'virDomainPtr') return fc.constant(dom);
  if (arg.kind === 'string') return fc.constantFrom('test', 'vda', 'weight', 'note', '');
  if (arg.kind === 'pointer')
    return fc.oneof(
      fc.nat(4 * 96).map((n) => Buffer.alloc(n)),
      count,
      fc.constant(list.pointer),
    );
  if (arg.kind === 'double') return fc.double();
  return fc.oneof(fc.nat(8), fc.integer({ min: -1, max: 400 }));
};

// Mostly the declared arity, so calls get past the count check and into the per-argument ones.
const call = fc.constantFrom(...FUNCTIONS).chain((fn) => {
  const args = (TABLE as Readonly<Record<string, { args: readonly CValue[] }>>)[fn]?.args ?? [];
  return fc.tuple(
    fc.constant(fn),
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(...args.map((a) => fc.oneof({ weight: 5, arbitrary: plausible(a) }, value))) },
      { weight: 2, arbitrary: fc.array(value, { minLength: args.length, maxLength: args.length }) },
      fc.array(value, { maxLength: 5 }),
    ),
  );
});
const reached = { returned: 0, libvirtError: 0, refused: 0 };

fc.assert(
  fc.property(call, ([fn, args]) => {
    try {
      b.call(fn, ...args);
      reached.returned += 1;
    } catch (e) {
      if (!isVirtmigError(e)) throw e;
      if (e instanceof LibvirtError) reached.libvirtError += 1;
      else reached.refused += 1;
    }
  }),
  { numRuns: Number(runs), seed: Number(seed) },
);
process.stdout.write(`fuzz ok ${JSON.stringify(reached)}\n`);
