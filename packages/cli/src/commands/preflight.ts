import { assertDomainName, InvalidArgumentError, type PreflightReport } from '@virtmig/core';
import { QemuHypervisor } from '@virtmig/driver-qemu';
import { table } from '../output.js';
import { assertHostFlag, endpoint } from './endpoints.js';
import type { LabStatus } from './lab.js';

/** Raw options of `virtmig preflight` as commander parses them. */
export interface PreflightCliOptions {
  readonly from: string;
  readonly to: string;
  readonly reserve?: string;
  readonly prefix?: string;
  readonly json?: boolean;
}

/**
 * Runs the preflight of migrating `guest` between two hosts (lab host names or qemu URIs, as
 * `virtmig migrate` resolves them) and returns its report; nothing is started.
 * @throws InvalidArgumentError `E_INVALID_ARGUMENT` for a bad guest name, host or `--reserve`, before any host is asked.
 */
export async function preflightGuest(guest: string, o: PreflightCliOptions): Promise<PreflightReport> {
  assertDomainName(guest, 'guest');
  assertHostFlag(o.from, '--from');
  assertHostFlag(o.to, '--to');
  if (o.reserve !== undefined && !/^\d{1,9}$/.test(o.reserve))
    throw new InvalidArgumentError('--reserve', `must be a whole number of MiB, got ${JSON.stringify(o.reserve)}`);
  const prefix = o.prefix ?? process.env.VIRTMIG_LAB_PREFIX ?? 'vmlab';
  const cache: { status?: LabStatus } = {};
  const from = await endpoint(o.from, prefix, cache);
  const to = await endpoint(o.to, prefix, cache);
  if (from.uri === to.uri) throw new InvalidArgumentError('--to', 'source and destination are the same host');
  const src = await QemuHypervisor.open(from.uri, from.domainType ? { domainType: from.domainType } : {});
  try {
    const dst = await QemuHypervisor.open(to.uri, to.domainType ? { domainType: to.domainType } : {});
    try {
      return await src.preflight(guest, dst, o.reserve === undefined ? {} : { memoryReserveMiB: Number(o.reserve) });
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

/** The human rendering of a preflight report: one line per check, its reason on the same line. */
export function formatPreflightReport(r: PreflightReport): string {
  const rows = r.checks.map((c) => [c.status.toUpperCase(), c.name, `${c.durationMs.toFixed(1)} ms`, c.reason]);
  const suggestions = r.checks
    .filter((c) => c.suggestion !== undefined)
    .map((c) => `${c.name}: suggested instead:\n${c.suggestion}`);
  return [
    table(['STATUS', 'CHECK', 'TIME', 'REASON'], rows),
    `${r.ok ? 'ok' : 'refused'}: ${r.domain} ${r.sourceUri} -> ${r.destinationUri} in ${r.durationMs.toFixed(1)} ms`,
    ...suggestions,
  ].join('\n');
}
