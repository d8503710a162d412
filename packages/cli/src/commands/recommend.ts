import type { LiveHost } from '@virtmig/balance';
import { labHostPairs } from '@virtmig/bench';
import { InvalidArgumentError, parseSafeUri } from '@virtmig/core';

/**
 * Checks a `--hosts` value without asking the lab or connecting: `lab`, or at least two
 * comma-separated URIs that each pass the URI policy. Returns the URIs (none for `lab`).
 * @throws `E_INVALID_ARGUMENT` naming `--hosts` for fewer than two URIs or one the URI policy refuses; `E_INVALID_URI` for one that does not parse.
 */
export function checkLiveHosts(spec: string): string[] {
  if (spec === 'lab') return [];
  const uris = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (uris.length < 2) throw new InvalidArgumentError('--hosts', 'needs at least two host URIs (A,B) or "lab"');
  for (const uri of uris) parseSafeUri(uri, {}, '--hosts');
  return uris;
}

/**
 * Hosts for `--live`: `lab`, or comma-separated libvirt URIs ({@link checkLiveHosts}).
 * @throws `E_INVALID_ARGUMENT` naming `--hosts` as {@link checkLiveHosts} does, or when the lab has no hosts.
 */
export async function liveHosts(spec: string): Promise<LiveHost[]> {
  if (spec !== 'lab') return checkLiveHosts(spec).map((uri) => ({ name: uri, uri, options: {} }));
  const [pair] = await labHostPairs();
  if (!pair) throw new InvalidArgumentError('--hosts', 'the lab has no hosts');
  const options = pair.connectOptions ?? {};
  return [
    { name: 'a', uri: pair.source, options },
    { name: 'b', uri: pair.destination, options },
  ];
}
