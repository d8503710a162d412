import { InvalidArgumentError } from './errors.js';

/**
 * What a secret is for, as libvirt names its usage types. Each type has its own kind of usage
 * id: a volume's absolute path, a Ceph client name, an iSCSI target name, a TLS or vTPM name.
 */
export type SecretUsageType = 'volume' | 'ceph' | 'iscsi' | 'tls' | 'vtpm';

/** Every {@link SecretUsageType}, in libvirt's order. */
export const SECRET_USAGE_TYPES: readonly SecretUsageType[] = Object.freeze(['volume', 'ceph', 'iscsi', 'tls', 'vtpm']);

/** A secret to define: what uses it, and how the host keeps it. Carries no value. */
export interface SecretConfig {
  /** What kind of object uses the secret. */
  readonly usageType: SecretUsageType;
  /** The object using it (unique per usage type on a host): a volume path, a Ceph or iSCSI name. */
  readonly usageId: string;
  /** The secret's UUID; the host generates one when absent. */
  readonly uuid?: string;
  /** A one-line description shown by the host's tools. */
  readonly description?: string;
  /** Kept in memory only, never on the host's disk. Default false. */
  readonly ephemeral?: boolean;
  /** The host never hands the value back to any client. Default true. */
  readonly private?: boolean;
}

/** A secret as a host reports it (never its value). */
export interface SecretInfo {
  /** The secret's UUID. */
  readonly uuid: string;
  /** What kind of object uses it; `none` or `unknown` for secrets defined outside virtmig without a known usage. */
  readonly usageType: SecretUsageType | 'none' | 'unknown';
  /** The object using it, or null when it has no usage. */
  readonly usageId: string | null;
}

/** A secret value: bytes, or a string sent as its UTF-8 bytes. */
export type SecretValue = string | Uint8Array;

/** Bounds {@link assertSecretConfig} and {@link assertSecretValue} hold to. */
export const SECRET_LIMITS = {
  /** Longest usage id, in characters. */
  usageIdLength: 1024,
  /** Longest description, in characters. */
  descriptionLength: 256,
  /** Largest value in bytes (libvirt's remote protocol carries at most 64 KiB). */
  valueBytes: 65536,
} as const;

/**
 * A host that can hold secrets (libvirt's secret driver, or an in-memory fake), so that code
 * which may only see `core` (the iSCSI lab storage) can hand credentials to a host without a
 * tool's command line. Values go in and never come out: no method returns one.
 */
export interface SecretCapable {
  /**
   * Defines (or, with the UUID of an existing secret, redefines) a secret without a value.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad config (nothing is defined), or one the host refuses (a usage id another secret holds).
   * @throws {@link UnsupportedError} `E_UNSUPPORTED` when the host keeps no secrets.
   * @throws {@link ClosedError} `E_CLOSED` after the connection was closed.
   */
  defineSecret(config: SecretConfig): Promise<SecretInfo>;
  /**
   * Sets the value of secret `uuid`. The value never appears in errors or logs.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` for a malformed UUID or an empty or oversized value.
   * @throws {@link NotFoundError} `E_NOT_FOUND` when no secret has that UUID.
   * @throws {@link UnsupportedError} `E_UNSUPPORTED` when the host keeps no secrets.
   * @throws {@link ClosedError} `E_CLOSED` after the connection was closed.
   */
  setSecretValue(uuid: string, value: SecretValue): Promise<void>;
  /**
   * The secret `usageType`/`usageId` names.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` for an unknown usage type or a bad usage id.
   * @throws {@link NotFoundError} `E_NOT_FOUND` when no secret has that usage.
   * @throws {@link UnsupportedError} `E_UNSUPPORTED` when the host keeps no secrets.
   * @throws {@link ClosedError} `E_CLOSED` after the connection was closed.
   */
  lookupSecretByUsage(usageType: SecretUsageType, usageId: string): Promise<SecretInfo>;
  /**
   * The secret with UUID `uuid`.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` for a malformed UUID.
   * @throws {@link NotFoundError} `E_NOT_FOUND` when no secret has that UUID.
   * @throws {@link UnsupportedError} `E_UNSUPPORTED` when the host keeps no secrets.
   * @throws {@link ClosedError} `E_CLOSED` after the connection was closed.
   */
  lookupSecret(uuid: string): Promise<SecretInfo>;
  /**
   * Every secret the host holds, sorted by UUID.
   * @throws {@link UnsupportedError} `E_UNSUPPORTED` when the host keeps no secrets.
   * @throws {@link ClosedError} `E_CLOSED` after the connection was closed.
   */
  listSecrets(): Promise<SecretInfo[]>;
  /**
   * Removes secret `uuid` and its value.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` for a malformed UUID.
   * @throws {@link NotFoundError} `E_NOT_FOUND` when no secret has that UUID.
   * @throws {@link UnsupportedError} `E_UNSUPPORTED` when the host keeps no secrets.
   * @throws {@link ClosedError} `E_CLOSED` after the connection was closed.
   */
  undefineSecret(uuid: string): Promise<void>;
}

const SECRET_METHODS = [
  'defineSecret',
  'setSecretValue',
  'lookupSecretByUsage',
  'lookupSecret',
  'listSecrets',
  'undefineSecret',
] as const;

/** Narrowing helper: does `h` offer the {@link SecretCapable} methods? (Whether its host keeps secrets is `capabilities.secrets`.) */
export function isSecretCapable<T>(h: T): h is T & SecretCapable {
  if (typeof h !== 'object' || h === null) return false;
  const o = h as Record<string, unknown>;
  return SECRET_METHODS.every((m) => typeof o[m] === 'function');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Asserts that `uuid` is a UUID in its 36-character text form.
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming `field` when it is not.
 */
export function assertSecretUuid(uuid: unknown, field = 'uuid'): asserts uuid is string {
  if (typeof uuid !== 'string' || !UUID.test(uuid)) {
    throw new InvalidArgumentError(
      field,
      `must be a UUID such as 6f2b1c9e-0d4a-4c3b-9a57-1e2f3a4b5c6d, got ${JSON.stringify(uuid)}`,
    );
  }
}

/**
 * Asserts that `usageType` is a {@link SecretUsageType} and `usageId` fits it: a non-empty single
 * line of at most {@link SECRET_LIMITS}.usageIdLength characters, an absolute path for `volume`.
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming the offending field.
 */
export function assertSecretUsage(usageType: unknown, usageId: unknown, field = 'config'): void {
  if (!SECRET_USAGE_TYPES.includes(usageType as SecretUsageType)) {
    throw new InvalidArgumentError(
      `${field}.usageType`,
      `must be one of ${SECRET_USAGE_TYPES.join(', ')}, got ${JSON.stringify(usageType)}`,
    );
  }
  if (
    typeof usageId !== 'string' ||
    usageId.trim() === '' ||
    usageId.length > SECRET_LIMITS.usageIdLength ||
    CONTROL.test(usageId)
  ) {
    throw new InvalidArgumentError(
      `${field}.usageId`,
      `must be a non-empty single line of at most ${SECRET_LIMITS.usageIdLength} characters, got ${JSON.stringify(typeof usageId === 'string' ? usageId.slice(0, 80) : usageId)}`,
    );
  }
  if (usageType === 'volume' && !usageId.startsWith('/'))
    throw new InvalidArgumentError(
      `${field}.usageId`,
      `must be the volume's absolute path, got ${JSON.stringify(usageId.slice(0, 80))}`,
    );
}

/**
 * Checks a {@link SecretConfig}: usage (see {@link assertSecretUsage}), UUID, a single-line
 * description of at most {@link SECRET_LIMITS}.descriptionLength characters, boolean flags, and
 * no unknown keys (a misspelt `privat` must not leave a secret readable).
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming the first offending field.
 */
export function assertSecretConfig(config: unknown): asserts config is SecretConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new InvalidArgumentError('config', 'must be an object');
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!['usageType', 'usageId', 'uuid', 'description', 'ephemeral', 'private'].includes(key))
      throw new InvalidArgumentError(`config.${key}`, 'is not a SecretConfig field');
  }
  assertSecretUsage(c.usageType, c.usageId);
  if (c.uuid !== undefined) assertSecretUuid(c.uuid, 'config.uuid');
  if (
    c.description !== undefined &&
    (typeof c.description !== 'string' ||
      c.description.length > SECRET_LIMITS.descriptionLength ||
      CONTROL.test(c.description))
  ) {
    throw new InvalidArgumentError(
      'config.description',
      `must be a single line of at most ${SECRET_LIMITS.descriptionLength} characters`,
    );
  }
  for (const key of ['ephemeral', 'private'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean')
      throw new InvalidArgumentError(`config.${key}`, `must be a boolean, got ${typeof c[key]}`);
  }
}

// Counted rather than encoded: an encoded copy would be one more copy of the secret left in memory.
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/**
 * Asserts that `value` is a string or bytes of 1 to {@link SECRET_LIMITS}.valueBytes bytes. The
 * error names only the type and the size, never the content.
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming `field` when it is not.
 */
export function assertSecretValue(value: unknown, field = 'value'): asserts value is SecretValue {
  let bytes: number;
  if (typeof value === 'string') bytes = utf8Length(value);
  else if (value instanceof Uint8Array) bytes = value.byteLength;
  else
    throw new InvalidArgumentError(
      field,
      `must be a string or a Uint8Array, got ${value === null ? 'null' : typeof value}`,
    );
  if (bytes < 1 || bytes > SECRET_LIMITS.valueBytes)
    throw new InvalidArgumentError(field, `must be 1 to ${SECRET_LIMITS.valueBytes} bytes, got ${bytes} bytes`);
}
