// Runs in a child process (see ffi-fuzz.test.ts): feeds random JS values to libvirt functions
// through binding.call. A value that reached native code wrongly would kill this process with a
// signal; a JS error other than virtmig's typed ones fails the property. Usage: fuzz-child.js ENGINE RUNS SEED
import { isVirtmigError } from '@virtmig/core';
import fc from 'fast-check';
import { type EngineName, LibvirtBinding, LibvirtError, FUNCTIONS as TABLE } from '../src/index.js';

const [engine, runs, seed] = process.argv.slice(2) as [EngineName, string, string];
const b = new LibvirtBinding({ engine });
const conn = b.call('virConnectOpen', 'test:///default');
const dom = b.call('virDomainLookupByName', conn, 'test');

// Functions with every argument kind: handles, strings, 32- and 64-bit integers, out-buffers.
// Functions that take a buffer with a separate length are left out: lengths are not checked.
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
];

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
);

// Mostly the declared arity, so calls get past the count check and into the per-argument ones.
const call = fc.constantFrom(...FUNCTIONS).chain((fn) => {
  const n = (TABLE as Readonly<Record<string, { args: readonly unknown[] }>>)[fn]?.args.length ?? 0;
  return fc.tuple(
    fc.constant(fn),
    fc.oneof(
      { weight: 4, arbitrary: fc.array(value, { minLength: n, maxLength: n }) },
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
