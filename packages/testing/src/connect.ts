import { type DriverRegistry, InvalidArgumentError, InvalidUriError, parseUri } from '@virtmig/core';
import { FakeHypervisor } from './fake-hypervisor.js';
import { FakeNetwork, isFakeHostName } from './network.js';

/** Options of {@link connectFake} and {@link registerFakeDriver}. */
export interface ConnectFakeOptions {
  /** The cluster to connect into (default {@link defaultFakeNetwork}). */
  readonly network?: FakeNetwork;
}

/**
 * The host a `fake` URI names: `fake:///hostA` (libvirt style, name in the path) or
 * `fake://hostA/`; `fake:///` is host `default`. Throws `E_INVALID_URI`.
 */
export function fakeHostFromUri(uri: string): string {
  const parsed = parseUri(uri);
  if (parsed.driver !== 'fake' || parsed.transport !== undefined)
    throw new InvalidUriError(uri, 'expected a fake:/// URI');
  const fromPath = parsed.path.replace(/^\/+|\/+$/g, '');
  if (parsed.host && fromPath) throw new InvalidUriError(uri, 'name the host either in the authority or in the path');
  const host = parsed.host || fromPath || 'default';
  if (!isFakeHostName(host)) throw new InvalidUriError(uri, `bad fake host name "${host}"`);
  return host;
}

/** Opens a connection to the fake host a `fake:///NAME` URI names. */
export async function connectFake(uri: string, options: ConnectFakeOptions = {}): Promise<FakeHypervisor> {
  const host = fakeHostFromUri(uri);
  return new FakeHypervisor({ host, ...(options.network ? { network: options.network } : {}) });
}

/**
 * Registers scheme `fake` in `registry`, so `registry.connect('fake:///hostA')` opens a
 * {@link FakeHypervisor}. A `network` given to `registry.connect` options overrides the one given here.
 * Throws `E_DUPLICATE_DRIVER` when `fake` is taken.
 */
export function registerFakeDriver(registry: DriverRegistry, options: ConnectFakeOptions = {}): void {
  registry.register('fake', async (parsed, connectOptions) => {
    const given = connectOptions.network;
    if (given !== undefined && !(given instanceof FakeNetwork))
      throw new InvalidArgumentError('network', 'must be a FakeNetwork');
    const network = given ?? options.network;
    return connectFake(parsed.uri, network ? { network } : {});
  });
}
