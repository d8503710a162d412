/**
 * Typed errors shared by every virtmig package. Each class carries a stable `code` that
 * callers (and the CLI's exit codes) can switch on; messages are for people and may change.
 */

import type { MigrationFailureDetails } from './migration.js';

/** Stable error codes used across virtmig. */
export type ErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_INVALID_URI'
  | 'E_UNKNOWN_SCHEME'
  | 'E_DUPLICATE_DRIVER'
  | 'E_NOT_FOUND'
  | 'E_CLOSED'
  | 'E_UNSUPPORTED'
  | 'E_MIGRATION_FAILED'
  | 'E_ABORTED'
  | 'E_TIMEOUT'
  | 'E_LIBVIRT'
  | 'E_FUNCTION_UNAVAILABLE'
  | 'E_COMMAND_FAILED'
  | 'E_PARSE'
  | 'E_STATE'
  | 'E_PREFLIGHT';

/** Base class of every error virtmig throws on purpose. */
export class VirtmigError extends Error {
  /** A stable, machine-readable code. */
  readonly code: ErrorCode;
  /** Structured context (never secrets). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

/** An argument failed validation before anything ran. `field` names the offending input. */
export class InvalidArgumentError extends VirtmigError {
  /** The offending input, e.g. `config.memoryMiB`. */
  readonly field: string;
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super('E_INVALID_ARGUMENT', `${field}: ${message}`, { field, ...details });
    this.field = field;
  }
}

/** A hypervisor URI could not be parsed. */
export class InvalidUriError extends VirtmigError {
  constructor(uri: string, reason: string) {
    super('E_INVALID_URI', `invalid hypervisor URI ${JSON.stringify(uri)}: ${reason}`, { uri });
  }
}

/** No driver is registered for a URI scheme. */
export class UnknownSchemeError extends VirtmigError {
  /** The scheme no driver is registered for. */
  readonly scheme: string;
  constructor(scheme: string, known: readonly string[]) {
    super(
      'E_UNKNOWN_SCHEME',
      `no driver registered for URI scheme "${scheme}" (registered: ${known.length ? known.join(', ') : 'none'})`,
      { scheme, known: [...known] },
    );
    this.scheme = scheme;
  }
}

/** A driver was registered twice for the same scheme. */
export class DuplicateDriverError extends VirtmigError {
  constructor(scheme: string) {
    super('E_DUPLICATE_DRIVER', `a driver is already registered for scheme "${scheme}"`, { scheme });
  }
}

/** A named object (domain, target, LUN, ...) does not exist. */
export class NotFoundError extends VirtmigError {
  /** What kind of object, e.g. `domain`. */
  readonly kind: string;
  /** Its name or id. */
  readonly id: string;
  constructor(kind: string, id: string, message?: string, options?: { cause?: unknown }) {
    super('E_NOT_FOUND', message ?? `${kind} "${id}" not found`, { kind, id }, options);
    this.kind = kind;
    this.id = id;
  }
}

/** An object was used after it was closed or freed. */
export class ClosedError extends VirtmigError {
  constructor(what: string) {
    super('E_CLOSED', `${what} is closed`, { what });
  }
}

/** An operation is in a state that does not allow it (e.g. starting a running domain). */
export class StateError extends VirtmigError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('E_STATE', message, details);
  }
}

/**
 * A feature is not offered by this driver or host. Drivers describe what they support via
 * capabilities first; `reason`, when given, says why (and lands in `details.reason`).
 */
export class UnsupportedError extends VirtmigError {
  constructor(feature: string, driver: string, reason?: string) {
    super(
      'E_UNSUPPORTED',
      `${driver} does not support ${feature}${reason === undefined ? '' : `: ${reason}`}`,
      reason === undefined ? { feature, driver } : { feature, driver, reason },
    );
  }
}

/** A migration failed; `details` says where it left the guest (see {@link MigrationFailureDetails}). */
export class MigrationError extends VirtmigError {
  declare readonly details: Readonly<MigrationFailureDetails>;

  constructor(message: string, details: MigrationFailureDetails, options?: { cause?: unknown }) {
    super('E_MIGRATION_FAILED', message, { ...details }, options);
  }
}

/** An operation was aborted by its caller (AbortSignal). */
export class AbortedError extends VirtmigError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('E_ABORTED', `${what} was aborted`, { what }, options);
  }
}

/** An operation did not finish in time. */
export class TimeoutError extends VirtmigError {
  constructor(what: string, ms: number) {
    super('E_TIMEOUT', `${what} did not finish within ${ms} ms`, { what, ms });
  }
}

/** Text output of an external tool could not be parsed. */
export class ParseError extends VirtmigError {
  constructor(what: string, reason: string, details: Record<string, unknown> = {}) {
    super('E_PARSE', `cannot parse ${what}: ${reason}`, { what, ...details });
  }
}

/** True when `e` is a VirtmigError with the given code. */
export function isVirtmigError(e: unknown, code?: ErrorCode): e is VirtmigError {
  return e instanceof VirtmigError && (code === undefined || e.code === code);
}
