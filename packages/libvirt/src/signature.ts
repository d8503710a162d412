/**
 * The backend-neutral description of C signatures. The generated tables use these kinds;
 * each FFI engine maps them to its own types.
 */

/** Engine-neutral kind of a C value. `ownedString` is a returned `char *` the caller must free. */
export type Kind =
  | 'void'
  | 'char'
  | 'uchar'
  | 'short'
  | 'ushort'
  | 'int'
  | 'uint'
  | 'long'
  | 'ulong'
  | 'llong'
  | 'ullong'
  | 'size_t'
  | 'double'
  | 'pointer'
  | 'string'
  | 'ownedString'
  | 'callback';

/** One argument or return value. */
export interface CValue {
  readonly name?: string;
  /** The C type as libvirt's API XML spells it. */
  readonly ctype: string;
  readonly kind: Kind;
}

/** One C function. */
export interface FunctionSig {
  /** libvirt version that added it. */
  readonly since: string;
  readonly module?: string;
  readonly ret: CValue;
  readonly args: readonly CValue[];
  /**
   * The return value libvirt documents for an error: `null` (a NULL pointer), an integer, or
   * `max` ((unsigned)-1). Absent when the function cannot fail.
   */
  readonly fail?: 'null' | 'max' | number;
}

/** Functions by name. */
export type FunctionTable = Readonly<Record<string, FunctionSig>>;

/** One struct field with its LP64 layout. */
export interface FieldLayout {
  readonly name: string;
  readonly kind: Kind | 'chars' | 'union';
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** Element count for fixed arrays. */
  readonly count?: number;
  /** Members of a union. */
  readonly members?: readonly FieldLayout[];
}

/** One struct. */
export interface StructLayout {
  readonly since: string;
  readonly size: number;
  readonly fields: readonly FieldLayout[];
}

/** Structs by name. */
export type StructTable = Readonly<Record<string, StructLayout>>;
