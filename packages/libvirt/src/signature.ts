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
  /** Argument name (absent for return values). */
  readonly name?: string;
  /** The C type as libvirt's API XML spells it. */
  readonly ctype: string;
  /** Engine-neutral kind the FFI engines marshal it as. */
  readonly kind: Kind;
}

/** One C function. */
export interface FunctionSig {
  /** libvirt version that added it. */
  readonly since: string;
  /** libvirt source module that defines it. */
  readonly module?: string;
  /** C return type. */
  readonly ret: CValue;
  /** Arguments in C order. */
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
  /** Field name. */
  readonly name: string;
  /** Engine-neutral kind; `chars` for fixed char arrays, `union` for unions. */
  readonly kind: Kind | 'chars' | 'union';
  /** Offset in bytes from the start of the enclosing struct. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Alignment in bytes. */
  readonly align: number;
  /** Element count for fixed arrays. */
  readonly count?: number;
  /** Members of a union. */
  readonly members?: readonly FieldLayout[];
}

/** One struct. */
export interface StructLayout {
  /** libvirt version that added it. */
  readonly since: string;
  /** Size in bytes. */
  readonly size: number;
  /** Fields in declaration order. */
  readonly fields: readonly FieldLayout[];
}

/** Structs by name. */
export type StructTable = Readonly<Record<string, StructLayout>>;
