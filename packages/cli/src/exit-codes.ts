import { isVirtmigError } from '@virtmig/core';

/** Exit codes of `virtmig` (documented in the CLI README and `--help`). */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** The operation failed (libvirt error, migration failure, command failure). */
  FAILED: 1,
  /** Bad input: invalid arguments, URI, spec or unknown scheme. Nothing was changed. */
  USAGE: 2,
  /** A named object does not exist. */
  NOT_FOUND: 3,
  /** A required component is missing (`doctor` found problems, shim not built, ...). */
  UNAVAILABLE: 4,
  /** A preflight check refused the migration (`E_PREFLIGHT`): the destination cannot take the guest; nothing was started. */
  REFUSED: 5,
} as const;

/** Maps an error to its exit code. */
export function exitCodeFor(e: unknown): number {
  if (!isVirtmigError(e)) return EXIT.FAILED;
  switch (e.code) {
    case 'E_INVALID_ARGUMENT':
    case 'E_INVALID_URI':
    case 'E_UNKNOWN_SCHEME':
      return EXIT.USAGE;
    case 'E_NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'E_FUNCTION_UNAVAILABLE':
    case 'E_UNSUPPORTED':
      return EXIT.UNAVAILABLE;
    case 'E_PREFLIGHT':
      return EXIT.REFUSED;
    default:
      return EXIT.FAILED;
  }
}
