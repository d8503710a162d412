import { InvalidArgumentError } from '@virtmig/core';
import { type ConformanceFramework, mochaFramework } from './conformance-framework.js';

/**
 * Which real hosts an acceptance (real-host) run may use, read from the environment as
 * terraform-plugin-testing reads TF_ACC: `VIRTMIG_ACC_<DRIVER>_URIS=uriA,uriB` names the hosts
 * (the second one, when given, is the migration peer). Unset means the run is reported as not
 * run, never as passed.
 */
export type AcceptanceHosts =
  | {
      /** The run may use real hosts. */
      readonly enabled: true;
      /** The host under test and, when given, its migration peer. */
      readonly uris: readonly [string] | readonly [string, string];
    }
  | {
      /** No real hosts: the acceptance checks are reported as not run. */
      readonly enabled: false;
      /** Why, e.g. which variable is unset. */
      readonly reason: string;
    };

/**
 * Reads `VIRTMIG_ACC_<DRIVER>_URIS` (driver upper-cased, e.g. `QEMU`).
 *
 * @throws InvalidArgumentError `E_INVALID_ARGUMENT` for a URI list with an empty entry, more than
 *   two URIs, or an entry without `://`.
 */
export function acceptanceHosts(driver: string, env: NodeJS.ProcessEnv = process.env): AcceptanceHosts {
  const variable = `VIRTMIG_ACC_${driver.toUpperCase()}_URIS`;
  const list = env[variable];
  if (list === undefined || list === '') {
    return { enabled: false, reason: `set ${variable}=uriA[,uriB] to run on real hosts (uriB: the migration peer)` };
  }
  const uris = list.split(',').map((u) => u.trim());
  const [a, b, ...rest] = uris;
  if (a === undefined || rest.length > 0 || uris.some((u) => !u.includes('://')))
    throw new InvalidArgumentError(variable, 'must be one or two comma-separated libvirt URIs');
  return { enabled: true, uris: b === undefined ? [a] : [a, b] };
}

/**
 * Registers `register(hosts)` when {@link acceptanceHosts} enables `driver`, and otherwise one
 * pending test `NAME not run: <how to enable it>`, so an unset environment shows up in the
 * output instead of passing silently.
 *
 * @throws InvalidArgumentError `E_INVALID_ARGUMENT` for a malformed URI list (see {@link acceptanceHosts}).
 */
export function runAcceptance(
  name: string,
  driver: string,
  register: (hosts: Extract<AcceptanceHosts, { enabled: true }>) => void,
  options: { readonly env?: NodeJS.ProcessEnv; readonly framework?: ConformanceFramework } = {},
): void {
  const hosts = acceptanceHosts(driver, options.env);
  if (hosts.enabled) {
    register(hosts);
    return;
  }
  const fw = options.framework ?? mochaFramework();
  fw.describe(name, () => fw.pending(`${name} not run: ${hosts.reason}`, hosts.reason));
}
