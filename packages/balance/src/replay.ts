import type { ClusterSnapshot, DecisionPoint, HostSnapshot, VmSnapshot } from '@virtmig/analysis';
import { InvalidArgumentError } from '@virtmig/core';

/** A decision as stored (e.g. a results database row): the cluster and candidates are JSON read back. */
export interface RecordedDecision {
  /** The overloaded host. */
  readonly source: string;
  /** The threshold of the run, percent. */
  readonly thresholdPercent: number;
  /** The decision's `cluster`, as stored. */
  readonly cluster: unknown;
  /** The decision's `candidates`, as stored. */
  readonly candidates: unknown;
  /** The decision's `receivers`. */
  readonly receivers: readonly string[];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * The decision point a recorded decision was taken at, as the policy saw it: the source with
 * its VMs priced by the candidates' `converges` predictions, the hosts that could receive, and
 * the pinned VMs. Feed it to `replayDecision` of @virtmig/analysis to see what every policy
 * would have chosen there.
 * @throws `E_INVALID_ARGUMENT` when the stored cluster or candidates are not what the loop records,
 * or the source is not in the cluster.
 */
export function decisionPointOf(d: RecordedDecision): DecisionPoint {
  const cluster = d.cluster as ClusterSnapshot;
  if (!isObject(d.cluster) || !Array.isArray(cluster.hosts))
    throw new InvalidArgumentError('decision.cluster', 'must be a cluster snapshot with hosts');
  if (!Array.isArray(d.candidates)) throw new InvalidArgumentError('decision.candidates', 'must be an array');
  const priced = new Map<string, { totalTimeMs: number; downtimeMs: number }>();
  const pinned: string[] = [];
  d.candidates.forEach((c: unknown, i: number) => {
    if (!isObject(c) || typeof c.vm !== 'string')
      throw new InvalidArgumentError(`decision.candidates[${i}]`, 'must be an object with a vm name');
    if (typeof c.pinned === 'string') pinned.push(c.vm);
    const p = c.prediction;
    if (isObject(p) && p.kind === 'converges' && typeof p.totalTimeMs === 'number' && typeof p.downtimeMs === 'number')
      priced.set(c.vm, { totalTimeMs: p.totalTimeMs, downtimeMs: p.downtimeMs });
  });
  const source = cluster.hosts.find((h) => h.name === d.source);
  if (!source) throw new InvalidArgumentError('decision.source', `${JSON.stringify(d.source)} is not in the cluster`);
  const price = (vm: VmSnapshot): VmSnapshot => {
    const e = priced.get(vm.name);
    return e ? { ...vm, expectedTotalTimeMs: e.totalTimeMs, expectedDowntimeMs: e.downtimeMs } : vm;
  };
  const receivers = d.receivers.flatMap((n) => cluster.hosts.filter((h: HostSnapshot) => h.name === n));
  return {
    source: d.source,
    thresholdPercent: d.thresholdPercent,
    cluster: { hosts: [{ ...source, vms: source.vms.map(price) }, ...receivers] },
    pinned,
  };
}
