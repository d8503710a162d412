import { assertUriPolicy, InvalidArgumentError } from '@virtmig/core';
import { parseQemuUri } from '@virtmig/driver-qemu';
import { isLabHostName, type LabStatus, labHost, labStatus } from './lab.js';

/** A host given as a lab name (`a`, `b`) or a libvirt URI, resolved to a URI and, for lab hosts, the migrate and peer URIs. */
export interface Endpoint {
  readonly uri: string;
  readonly migrateUri?: string;
  /** The host's libvirtd as the other lab host reaches it (`qemu+tcp://ADDRESS/system`). */
  readonly peerUri?: string;
  readonly domainType?: 'kvm' | 'qemu';
}

/** Throws `E_INVALID_ARGUMENT` naming `flag` unless `spec` is a lab host name or a qemu URI the URI policy allows. */
export function assertHostFlag(spec: string, flag: string): void {
  if (isLabHostName(spec)) return;
  if (!spec.startsWith('qemu'))
    throw new InvalidArgumentError(flag, `must be a lab host (a, b) or a qemu URI, got ${JSON.stringify(spec)}`);
  assertUriPolicy(parseQemuUri(spec), {}, flag);
}

/** Resolves `--from`/`--to` (a lab host name or a URI); `cache` keeps the lab's status for the second call. */
export async function endpoint(spec: string, prefix: string, cache: { status?: LabStatus }): Promise<Endpoint> {
  if (!isLabHostName(spec)) return { uri: spec };
  cache.status ??= await labStatus(prefix);
  const host = labHost(cache.status, spec);
  // The port is left to the destination's migration_port range, so parallel connections get ports too.
  return {
    uri: host.uri,
    migrateUri: `tcp://${host.address}`,
    ...(typeof host.tcpUri === 'string' ? { peerUri: host.tcpUri } : {}),
    domainType: cache.status.domainType,
  };
}
