import type { LibvirtBinding } from './binding.js';
import type { Pointer } from './engine.js';
import { ENUMS } from './generated/enums.js';
import { STRUCTS } from './generated/structs.js';
import { wrapPointer } from './native-pointer.js';
import type { FieldLayout } from './signature.js';

/** A decoded C value. Pointers stay opaque. */
export type StructValue = number | bigint | string | Pointer;

/** Names of the structs in the generated table. */
export type StructName = keyof typeof STRUCTS;

function readField(
  binding: LibvirtBinding,
  bytes: Buffer,
  base: Pointer | Buffer,
  baseOffset: number,
  f: FieldLayout,
): StructValue {
  const o = f.offset;
  switch (f.kind) {
    case 'char':
      return bytes.readInt8(o);
    case 'uchar':
      return bytes.readUInt8(o);
    case 'short':
      return bytes.readInt16LE(o);
    case 'ushort':
      return bytes.readUInt16LE(o);
    case 'int':
      return bytes.readInt32LE(o);
    case 'uint':
      return bytes.readUInt32LE(o);
    case 'long':
    case 'llong':
      return toNumber(bytes.readBigInt64LE(o));
    case 'ulong':
    case 'ullong':
    case 'size_t':
      return toNumber(bytes.readBigUInt64LE(o));
    case 'double':
      return bytes.readDoubleLE(o);
    case 'chars': {
      const raw = bytes.subarray(o, o + (f.count ?? 0));
      const nul = raw.indexOf(0);
      return raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8');
    }
    default:
      return binding.engine.readPointer(base, baseOffset + o);
  }
}

/** Keeps integers as numbers while they are exact, as bigint beyond 2^53. */
export function toNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Decodes element `index` of an array of `name` structs at `p` (a native pointer or a Buffer). */
export function readStruct(
  binding: LibvirtBinding,
  p: Pointer | Buffer,
  name: StructName,
  index = 0,
): Record<string, StructValue> {
  const layout = STRUCTS[name];
  const baseOffset = index * layout.size;
  const bytes = binding.engine.readBytes(p, baseOffset, layout.size);
  const out: Record<string, StructValue> = {};
  for (const f of layout.fields as readonly FieldLayout[]) out[f.name] = readField(binding, bytes, p, baseOffset, f);
  return out;
}

/** A decoded virTypedParameter value. */
export type TypedValue = number | bigint | boolean | string;

const T = ENUMS.virTypedParameterType;

/** Decodes `n` virTypedParameter records at `p` into a plain object (field name → value), in one FFI call. */
export function readTypedParams(binding: LibvirtBinding, p: Pointer | Buffer, n: number): Record<string, TypedValue> {
  if (n <= 0 || binding.engine.isNull(p)) return {};
  return unpackParams(binding.pack('virtmig_pack_params', p, n), 0).params;
}

/** Decodes typed parameters packed by the shim (see native/libvirt-shim/support.c) starting at `offset`. */
export function unpackParams(
  buf: Buffer,
  offset: number,
): {
  /** The parameters by name. */
  params: Record<string, TypedValue>;
  /** Offset just past the packed parameters. */
  end: number;
} {
  let o = offset;
  const n = buf.readUInt32LE(o);
  o += 4;
  const params: Record<string, TypedValue> = {};
  for (let i = 0; i < n; i++) {
    const nameLen = buf.readUInt8(o);
    const name = buf.toString('utf8', o + 1, o + 1 + nameLen);
    o += 1 + nameLen;
    const type = buf.readUInt8(o);
    o += 1;
    if (type === T.VIR_TYPED_PARAM_STRING) {
      const len = buf.readUInt32LE(o);
      params[name] = buf.toString('utf8', o + 4, o + 4 + len);
      o += 4 + len;
      continue;
    }
    switch (type) {
      case T.VIR_TYPED_PARAM_INT:
        params[name] = buf.readInt32LE(o);
        break;
      case T.VIR_TYPED_PARAM_UINT:
        params[name] = buf.readUInt32LE(o);
        break;
      case T.VIR_TYPED_PARAM_LLONG:
        params[name] = toNumber(buf.readBigInt64LE(o));
        break;
      case T.VIR_TYPED_PARAM_ULLONG:
        params[name] = toNumber(buf.readBigUInt64LE(o));
        break;
      case T.VIR_TYPED_PARAM_DOUBLE:
        params[name] = buf.readDoubleLE(o);
        break;
      case T.VIR_TYPED_PARAM_BOOLEAN:
        params[name] = buf.readInt8(o) !== 0;
        break;
      default:
        break;
    }
    o += 8;
  }
  return { params, end: o };
}

/** Decodes all-domain stats records packed by the shim. */
export function unpackStats(buf: Buffer): {
  /** Domain name. */
  name: string;
  /** Its statistics by name. */
  stats: Record<string, TypedValue>;
}[] {
  const n = buf.readUInt32LE(0);
  let o = 4;
  const out: { name: string; stats: Record<string, TypedValue> }[] = [];
  for (let i = 0; i < n; i++) {
    const len = buf.readUInt32LE(o);
    const name = buf.toString('utf8', o + 4, o + 4 + len);
    const { params, end } = unpackParams(buf, o + 4 + len);
    out.push({ name, stats: params });
    o = end;
  }
  return out;
}

/** The C type a typed parameter is written as. */
export type TypedParamType = 'int' | 'uint' | 'llong' | 'ullong' | 'double' | 'boolean' | 'string';

/** One typed parameter to write. */
export interface TypedParam {
  /** Parameter name, e.g. `cap`. */
  readonly name: string;
  /** The C type to write the value as. */
  readonly type: TypedParamType;
  /** The value. */
  readonly value: TypedValue;
}

const ADDERS: Record<TypedParamType, string> = {
  int: 'virTypedParamsAddInt',
  uint: 'virTypedParamsAddUInt',
  llong: 'virTypedParamsAddLLong',
  ullong: 'virTypedParamsAddULLong',
  double: 'virTypedParamsAddDouble',
  boolean: 'virTypedParamsAddBoolean',
  string: 'virTypedParamsAddString',
};

/**
 * A virTypedParameter array built by libvirt's own virTypedParamsAdd* (so string ownership
 * stays inside libvirt) and released with virTypedParamsFree by `free()`.
 */
export class TypedParamList {
  // libvirt reallocates the array through these, so they are typed native memory the argument
  // checks accept there (a Buffer is refused: JS could put any address in it).
  private readonly paramsOut: Pointer;
  private readonly count: Buffer;
  private readonly max: Buffer;
  private freed = false;

  constructor(
    private readonly binding: LibvirtBinding,
    params: readonly TypedParam[],
  ) {
    this.count = binding.engine.alloc(4);
    this.max = binding.engine.alloc(4);
    this.paramsOut = wrapPointer(binding.engine.alloc(8), false, 'virTypedParameterPtr *', 8);
    const count = wrapPointer(this.count, false, 'int *', 4);
    const max = wrapPointer(this.max, false, 'int *', 4);
    try {
      for (const p of params) {
        const value = p.type === 'boolean' ? (p.value ? 1 : 0) : p.value;
        binding.call(ADDERS[p.type], this.paramsOut, count, max, p.name, value);
      }
    } catch (e) {
      this.free();
      throw e;
    }
  }

  /** The `virTypedParameterPtr` to pass to libvirt, typed and sized as {@link TypedParamList.length} parameters. */
  get pointer(): Pointer {
    return this.binding.readPointer(this.paramsOut, 0, 'virTypedParameterPtr', this.length);
  }

  /** Number of parameters. */
  get length(): number {
    return this.count.readInt32LE(0);
  }

  /** Frees the array. Idempotent. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.binding.call('virTypedParamsFree', this.pointer, this.length);
  }
}
