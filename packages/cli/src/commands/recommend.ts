import type { LiveHost } from '@virtmig/balance';
import { labHostPairs } from '@virtmig/bench';
import { InvalidArgumentError } from '@virtmig/core';

/** Hosts for `--live`: `lab`, or comma-separated libvirt URIs. */
export async function liveHosts(spec: string): Promise<LiveHost[]> {
  if (spec === 'lab') {
    const [pair] = await labHostPairs();
    if (!pair) throw new InvalidArgumentError('--hosts', 'the lab has no hosts');
    const options = pair.connectOptions ?? {};
    return [
      { name: 'a', uri: pair.source, options },
      { name: 'b', uri: pair.destination, options },
    ];
  }
  const uris = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (uris.length < 2) throw new InvalidArgumentError('--hosts', 'needs at least two host URIs (A,B) or "lab"');
  return uris.map((uri) => ({ name: uri, uri, options: {} }));
}
