#!/usr/bin/env node
// Generates the backend-neutral C signature table (functions, enums, string macros, struct layouts)
// and the native error-capturing shim from libvirt's machine-readable API description.
// Usage: generate-api.mjs [--xml PATH] [--out DIR] [--check]   (--check exits 1 when the committed output is stale;
// --out writes the files under DIR instead of the package, for the generator's own tests)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const args = process.argv.slice(2);
const outDir = args.includes('--out') ? args[args.indexOf('--out') + 1] : undefined;
const xmlPath = args.includes('--xml') ? args[args.indexOf('--xml') + 1] : '/usr/share/libvirt/api/libvirt-api.xml';

const ARRAYS = new Set(['function', 'arg', 'enum', 'struct', 'field', 'functype', 'macro', 'typedef']);
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ARRAYS.has(n) });
const api = parser.parse(readFileSync(xmlPath, 'utf8')).api.symbols;

const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const functypes = new Set((api.functype ?? []).map((f) => f.name));
const enumTypes = new Set((api.typedef ?? []).filter((t) => t.type === 'enum').map((t) => t.name));
for (const e of api.enum ?? []) enumTypes.add(e.type);
const typedefs = Object.fromEntries((api.typedef ?? []).map((t) => [t.name, t.type]));
const macroNumbers = {};
// Numeric macros are plain literals or sums like "(4096 + 1)"; anything else is not a number.
for (const m of api.macro ?? []) {
  const raw = String(m.raw ?? '').replace(/[()\s]/g, '');
  if (/^-?\d+(\+\d+)*$/.test(raw)) macroNumbers[m.name] = raw.split('+').reduce((a, b) => a + Number(b), 0);
}

const SCALARS = {
  int: 'int',
  'unsigned int': 'uint',
  long: 'long',
  'unsigned long': 'ulong',
  'long long': 'llong',
  'long long int': 'llong',
  'unsigned long long': 'ullong',
  'unsigned long long int': 'ullong',
  size_t: 'size_t',
  'unsigned short': 'ushort',
  short: 'short',
  double: 'double',
  char: 'char',
  'unsigned char': 'uchar',
  void: 'void',
};

/** Maps a C type to an engine-neutral kind. `position` is 'arg' or 'ret'. */
function kindOf(ctype, position) {
  const t = ctype.replace(/\s+/g, ' ').trim();
  const bare = t.replace(/^const /, '').replace(/ const$/, '');
  if (bare === 'char *' && t.startsWith('const ')) return 'string';
  if (bare === 'char *' && position === 'ret') return 'ownedString';
  if (bare.includes('*') || bare.endsWith('Ptr')) return 'pointer';
  if (functypes.has(bare)) return 'callback';
  if (SCALARS[bare]) return SCALARS[bare];
  if (enumTypes.has(bare)) return 'int';
  if (typedefs[bare] && typedefs[bare] !== 'struct') return kindOf(typedefs[bare], position);
  throw new Error(`unmapped C type "${ctype}"`);
}

// An enum value is a literal, another constant's name, or a C expression over both
// ("(1 << 3)", "VIR_A | VIR_B"): evaluated here, so every value in the table is a number.
const rawEnum = Object.fromEntries((api.enum ?? []).map((e) => [e.name, String(e.value)]));
const resolved = new Map();
function constant(name, seen) {
  if (resolved.has(name)) return resolved.get(name);
  if (name in rawEnum) {
    if (seen.has(name)) throw new Error(`enum value ${name} is defined in terms of itself`);
    const v = evaluate(rawEnum[name], new Set([...seen, name]));
    resolved.set(name, v);
    return v;
  }
  if (name in macroNumbers) return macroNumbers[name];
  throw new Error(`unknown constant ${name}`);
}
function evaluate(expr, seen) {
  const tokens = expr.match(/0[xX][0-9a-fA-F]+|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[|&^~+\-*()]/g) ?? [];
  if (tokens.join('') !== expr.replace(/\s+/g, '')) throw new Error(`cannot evaluate enum value "${expr}"`);
  let i = 0;
  const BINARY = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*']];
  const apply = (op, a, b) =>
    ({ '|': a | b, '^': a ^ b, '&': a & b, '<<': a << b, '>>': a >> b, '+': a + b, '-': a - b, '*': a * b })[op];
  const unary = () => {
    const t = tokens[i++];
    if (t === '(') {
      const v = level(0);
      if (tokens[i++] !== ')') throw new Error(`unbalanced parentheses in "${expr}"`);
      return v;
    }
    if (t === '-') return -unary();
    if (t === '~') return ~unary();
    if (t === undefined) throw new Error(`truncated enum value "${expr}"`);
    if (/^\d|^0[xX]/.test(t)) return Number(t.replace(/[uUlL]+$/, ''));
    return constant(t, seen);
  };
  const level = (n) => {
    if (n === BINARY.length) return unary();
    let v = level(n + 1);
    while (BINARY[n].includes(tokens[i])) {
      const op = tokens[i++];
      v = apply(op, v, level(n + 1));
    }
    return v;
  };
  const v = level(0);
  if (i !== tokens.length || !Number.isSafeInteger(v)) throw new Error(`cannot evaluate enum value "${expr}"`);
  return v;
}
// How each function reports failure, read from libvirt's documentation of its return value.
// `null`: a NULL pointer; a number: that integer; `max`: the unsigned type's (unsigned)-1.
// Functions whose documentation names no error return get none; test/generated.test.ts lists
// them, so a new libvirt adding one is noticed.
const NULL_RE = /\bNULL\b/;
const UNSIGNED_MINUS_ONE = /\(\s*unsigned(\s+(int|long))*\s*\)\s*-1/;
const MINUS_ONE = /(^|[^\w)])-1\b/;
const ZERO_ON_ERROR = /\b0\s+(in case of|on|upon)\s+(error|failure)/;
const ERROR_CONSTANT = /\bVIR_\w+_ERROR\b/;
// Documentation that omits the error return the implementation has (libvirt-secret.c and
// libvirt-storage.c fail the way every sibling function does).
const FAILURE_OVERRIDES = { virConnectNumOfSecrets: -1, virConnectFindStoragePoolSources: 'null' };
function failureOf(f, ret) {
  const info = String(f.return.info ?? '');
  if (f.name in FAILURE_OVERRIDES) return FAILURE_OVERRIDES[f.name];
  if (ret.kind === 'void') return undefined;
  if (ret.kind === 'pointer' || ret.kind === 'string' || ret.kind === 'ownedString')
    return NULL_RE.test(info) ? 'null' : undefined;
  if (UNSIGNED_MINUS_ONE.test(info)) return 'max';
  if (MINUS_ONE.test(info)) return -1;
  if (ZERO_ON_ERROR.test(info)) return 0;
  // "this function will return VIR_CPU_COMPARE_ERROR": the enum constant's value.
  const named = ERROR_CONSTANT.exec(info);
  if (named && named[0] in rawEnum) return constant(named[0], new Set());
  return undefined;
}

// `const char *` arguments that are bytes, not text: a Buffer is passed, never a JS string (which
// would stop at its first NUL and be re-encoded).
const BINARY_ARGS = { virStreamSend: ['data'] };
const functions = [...(api.function ?? [])].sort(byName).map((f) => {
  const fargs = (f.arg ?? []).map((a) => ({
    name: a.name,
    ctype: a.type,
    kind: BINARY_ARGS[f.name]?.includes(a.name) ? 'pointer' : kindOf(a.type, 'arg'),
  }));
  const ret = { ctype: f.return.type, kind: kindOf(f.return.type, 'ret') };
  const variadic = fargs.some((a) => a.ctype === '...');
  const fail = failureOf(f, ret);
  return { name: f.name, since: f.version ?? '0.0.0', module: f.module, ret, args: fargs, variadic, fail };
});

// Struct layouts for x86_64/aarch64 LP64, the ABI libvirt is built for on Debian.
const SIZE = {
  short: 2,
  ushort: 2,
  int: 4,
  uint: 4,
  long: 8,
  ulong: 8,
  llong: 8,
  ullong: 8,
  size_t: 8,
  double: 8,
  char: 1,
  uchar: 1,
  pointer: 8,
  string: 8,
  ownedString: 8,
  callback: 8,
};
function fieldLayout(f) {
  if (f.type === 'union') {
    const members = f.union.field.map(fieldLayout);
    const size = Math.max(...members.map((m) => m.size));
    const align = Math.max(...members.map((m) => m.align));
    return { name: f.name, kind: 'union', size, align, members: members.map((m) => ({ ...m, offset: 0 })) };
  }
  const arr = /^(.*?)\s*(\w+)\[(\w+)\]$/.exec(f.type);
  if (arr) {
    const elem = kindOf(arr[1], 'arg');
    const n = /^\d+$/.test(arr[3]) ? Number(arr[3]) : macroNumbers[arr[3]];
    if (n === undefined) throw new Error(`unknown array length ${arr[3]}`);
    return {
      name: f.name,
      kind: elem === 'char' || elem === 'uchar' ? 'chars' : elem,
      count: n,
      size: SIZE[elem] * n,
      align: SIZE[elem],
    };
  }
  let kind = kindOf(f.type, 'arg');
  if (kind === 'string' || kind === 'ownedString') kind = 'pointer';
  if (kind === 'char' && f.type.includes('*')) kind = 'pointer';
  return { name: f.name, kind, size: SIZE[kind], align: SIZE[kind] };
}
const structs = [...(api.struct ?? [])]
  .filter((s) => s.field)
  .sort(byName)
  .map((s) => {
    let offset = 0;
    let align = 1;
    const fields = s.field.map((f) => {
      const l = fieldLayout(f);
      offset = Math.ceil(offset / l.align) * l.align;
      const out = { ...l, offset };
      offset += l.size;
      align = Math.max(align, l.align);
      return out;
    });
    return { name: s.name, since: s.version ?? '0.0.0', size: Math.ceil(offset / align) * align, fields };
  });

const enums = {};
for (const e of [...(api.enum ?? [])].sort(byName)) {
  const type = e.type ?? 'anonymous';
  enums[type] = { ...enums[type], [e.name]: constant(e.name, new Set()) };
}
const strings = {};
for (const m of [...(api.macro ?? [])].sort(byName)) if (m.string !== undefined) strings[m.name] = String(m.string);

// TSDoc for the generated tables, so the API reference documents each entry: libvirt's own
// description where the XML has one, else what the entry is. One line each, safe inside a comment
// and free of TSDoc tags ("@flags" in libvirt's prose is a parameter name, not a tag).
function docText(info, fallback) {
  const first = String(info ?? '')
    .replace(/<[^>]*>/g, '')
    .split(/\n\s*\n/)[0]
    .replace(/\s+/g, ' ')
    .trim();
  return (first || fallback).replace(/\*\//g, '*\\/').replace(/[@{}]/g, (ch) => `\\${ch}`);
}
const typedefInfo = Object.fromEntries((api.typedef ?? []).map((t) => [t.name, t.info]));
const functionXml = Object.fromEntries((api.function ?? []).map((f) => [f.name, f]));
const structXml = Object.fromEntries((api.struct ?? []).map((s) => [s.name, s]));
const enumXml = Object.fromEntries((api.enum ?? []).map((e) => [e.name, e]));
const macroXml = Object.fromEntries((api.macro ?? []).map((m) => [m.name, m]));
const KIND_DOC = 'Engine-neutral kind the FFI engines marshal it as.';
const FUNCTION_KEY_DOCS = {
  since: 'libvirt version that added the function.',
  module: 'libvirt source module that defines it.',
  ret: 'C return type.',
  args: 'Arguments in C order.',
  fail: 'What the function returns on failure: `null` for NULL, `max` for (unsigned)-1, else that integer.',
  ctype: 'C type as declared in the header.',
  kind: KIND_DOC,
};
const LAYOUT_KEY_DOCS = {
  since: 'libvirt version that added the struct.',
  size: 'Size in bytes.',
  fields: 'Fields in declaration order.',
  kind: KIND_DOC,
  count: 'Element count of the fixed array.',
  offset: 'Offset in bytes from the start of the enclosing struct or union.',
  align: 'Alignment in bytes.',
  members: 'Members of the union, all at offset 0.',
};
function functionDoc(path) {
  const f = functionXml[path[0]];
  if (path.length === 1) return docText(f.info, `libvirt's \`${path[0]}\`.`);
  if (path[1] === 'args' && path.length === 4 && path[3] === 'name') {
    const a = f.arg[path[2]];
    const text = docText(a.info, '');
    return `Argument \`${a.name}\`${text ? `: ${text}` : '.'}`;
  }
  return FUNCTION_KEY_DOCS[path.at(-1)];
}
function structDoc(path) {
  const s = structXml[path[0]];
  if (path.length === 1) return docText(typedefInfo[s.name], `Layout of libvirt's \`${s.type}\`.`);
  if (path.at(-1) === 'name') {
    let field = { field: s.field };
    for (let i = 1; i < path.length - 1; i += 2) field = (field.union ?? field).field[path[i + 1]];
    const text = docText(field.info, '');
    return `Field \`${field.name}\`${text ? `: ${text}` : '.'}`;
  }
  return LAYOUT_KEY_DOCS[path.at(-1)];
}
function enumDoc(path) {
  if (path.length === 2) return docText(enumXml[path[1]].info, `libvirt's \`${path[1]}\`.`);
  if (path[0] === 'anonymous') return 'Enum values libvirt declares without a named enum type.';
  return docText(typedefInfo[path[0]], `Values of libvirt's \`${path[0]}\` enum.`);
}
const macroDoc = (path) => docText(macroXml[path[0]].info, `libvirt's \`${path[0]}\` macro.`);

// JSON.stringify(value, null, 1) with a TSDoc line before each object key that `doc` documents.
function toTs(value, doc, path = [], depth = 0) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const isArray = Array.isArray(value);
  const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
  if (entries.length === 0) return isArray ? '[]' : '{}';
  const pad = ' '.repeat(depth + 1);
  const items = entries.map(([k, v]) => {
    const text = isArray ? undefined : doc([...path, k]);
    const comment = text ? `${pad}/** ${text} */\n` : '';
    return `${comment}${pad}${isArray ? '' : `${JSON.stringify(k)}: `}${toTs(v, doc, [...path, k], depth + 1)}`;
  });
  return `${isArray ? '[' : '{'}\n${items.join(',\n')}\n${' '.repeat(depth)}${isArray ? ']' : '}'}`;
}

const header = `// Generated by packages/libvirt/tools/generate-api.mjs from ${xmlPath} (libvirt ${macroNumbers.LIBVIR_VERSION_NUMBER ?? '?'}).\n// Do not edit: run \`npm run generate\`. A test fails when this is stale.\n`;
const ts = {
  'src/generated/functions.ts': `${header}import type { FunctionTable } from '../signature.js';\n\n/** Every public libvirt function: C return and argument types mapped to engine-neutral kinds, and the version that added it. */\nexport const FUNCTIONS = ${toTs(Object.fromEntries(functions.map((f) => [f.name, { since: f.since, module: f.module, ret: f.ret, args: f.args, ...(f.fail === undefined ? {} : { fail: f.fail }) }])), functionDoc)} as const satisfies FunctionTable;\n\n/** Names of every public libvirt function. */\nexport type FunctionName = keyof typeof FUNCTIONS;\n`,
  'src/generated/enums.ts': `${header}\n/** Every libvirt enum value, grouped by its C enum type. */\nexport const ENUMS = ${toTs(enums, enumDoc)} as const;\n\n/** libvirt's string macros (typed-parameter field names and similar). */\nexport const STRINGS = ${toTs(strings, macroDoc)} as const;\n\n/** libvirt's numeric macros. */\nexport const NUMBERS = ${toTs(macroNumbers, macroDoc)} as const;\n`,
  'src/generated/structs.ts': `${header}import type { StructTable } from '../signature.js';\n\n/** Every public libvirt struct with its LP64 layout (offsets and sizes in bytes). */\nexport const STRUCTS = ${toTs(Object.fromEntries(structs.map((s) => [s.name, { since: s.since, size: s.size, fields: s.fields }])), structDoc)} as const satisfies StructTable;\n`,
};

// The shim: one wrapper per function without callback or variadic arguments. It resets the
// thread-local error, calls libvirt and copies the error on the SAME thread, so calls made on
// a worker thread (async) report their own error, as libvirt-go-module does.
// Functions that manage the error state itself are left out: wrapping them would reset what they report.
const ERROR_STATE =
  /^(virConn(Copy|Get|Reset)LastError|virConnSetErrorFunc|virCopyLastError|virGetLastError|virGetLastErrorMessage|virGetLastErrorCode|virGetLastErrorDomain|virResetLastError|virSaveLastError|virResetError|virFreeError|virSetErrorFunc|virDefaultErrorFunc)$/;
const shimmable = functions.filter(
  (f) => !ERROR_STATE.test(f.name) && !f.args.some((a) => a.kind === 'callback') && !f.variadic,
);
let c = `/* Generated by packages/libvirt/tools/generate-api.mjs from ${xmlPath}. Do not edit. */\n#include <stddef.h>\n#include <libvirt/libvirt.h>\n#include <libvirt/virterror.h>\n\n`;
for (const f of shimmable) {
  const params = [...f.args.map((a) => `${a.ctype} ${a.name}`), 'virErrorPtr virtmig_err'].join(', ');
  const call = `${f.name}(${f.args.map((a) => a.name).join(', ')})`;
  const isVoid = f.ret.ctype === 'void';
  c += `${f.ret.ctype}\nvirtmig_${f.name}(${params})\n{\n    virResetLastError();\n    ${isVoid ? '' : `${f.ret.ctype} ret = `}${call};\n    if (virGetLastError() != NULL) virCopyLastError(virtmig_err);\n${isVoid ? '' : '    return ret;\n'}}\n\n`;
}
const outputs = { ...ts, '../../native/libvirt-shim/shim.c': c };

const stale = [];
for (const [rel, text] of Object.entries(outputs)) {
  const path = outDir ? join(outDir, rel.replace(/^(\.\.\/)+/, '')) : join(pkg, rel);
  if (outDir) mkdirSync(dirname(path), { recursive: true });
  if (args.includes('--check')) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(rel);
  } else {
    writeFileSync(path, text);
  }
}
if (args.includes('--check')) {
  if (stale.length) {
    console.error(`stale generated files: ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log('generated files are up to date');
} else {
  console.log(
    `generated ${functions.length} functions (${shimmable.length} shimmed), ${Object.keys(enums).length} enum types, ${structs.length} structs, ${Object.keys(strings).length} string macros`,
  );
}
