// Runs in a child process (see null-pointers.test.ts): passes NULL at each pointer and string
// argument of libvirt's functions that take no handle (the ones outside libvirt's virCheck*
// convention), one at a time, the other arguments plausible. A NULL libvirt dereferenced would
// kill this process; the case about to run is on stderr. Usage: null-probe-child.js ENGINE
import { isVirtmigError } from '@virtmig/core';
import { isHandleType } from '../src/argument-check.js';
import { type CValue, type EngineName, FUNCTIONS, LibvirtBinding, TypedParamList } from '../src/index.js';

const engine = process.argv[2] as EngineName;
const b = new LibvirtBinding({ engine });
// Before any connection: libvirt is initialised by the binding, not by the first virConnectOpen.
const list = new TypedParamList(b, [
  { name: 'weight', type: 'uint', value: 1 },
  { name: 's', type: 'string', value: 'x' },
]);

// Opening connections, replacing the event implementation or the error handler would change
// the process rather than probe an argument.
const SKIP = new Set([
  'virConnectOpen',
  'virConnectOpenAuth',
  'virConnectOpenReadOnly',
  'virEventRegisterImpl',
  'virSetErrorFunc',
]);

const plausible = (a: CValue): unknown => {
  if (a.kind === 'string') return 'weight';
  if (a.kind === 'callback') return null;
  if (a.kind === 'pointer') return a.ctype === 'virTypedParameterPtr' ? list.pointer : Buffer.alloc(256);
  if (a.kind === 'double') return 1;
  return a.name === 'nparams' ? list.length : 0;
};

let cases = 0;
const probe = (what: string, run: () => void): void => {
  process.stderr.write(`${what}\n`);
  cases += 1;
  try {
    run();
  } catch (e) {
    if (!isVirtmigError(e)) throw e;
  }
};

for (const [fn, sig] of Object.entries(FUNCTIONS)) {
  if (SKIP.has(fn) || sig.args.some((a) => a.kind === 'pointer' && isHandleType(a.ctype))) continue;
  sig.args.forEach((a, i) => {
    if (a.kind !== 'pointer' && a.kind !== 'string' && a.kind !== 'callback') return;
    probe(`${fn}(${a.name})`, () => b.call(fn, ...sig.args.map((x, j) => (j === i ? null : plausible(x)))));
  });
}
// The adders are reached through TypedParamList, with a NULL name or string value.
for (const type of ['int', 'string'] as const) {
  for (const field of ['name', 'value'] as const) {
    const p = { name: 'x', type, value: type === 'int' ? 1 : 'v', [field]: null };
    probe(`TypedParamList ${type} ${field} null`, () => new TypedParamList(b, [p as never]).free());
  }
}
process.stdout.write(`probe ok ${cases}\n`);
