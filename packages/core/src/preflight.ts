import { InvalidArgumentError, isVirtmigError, VirtmigError } from './errors.js';
import { assertInt } from './validate.js';

/**
 * The checks of a preflight, in the order they run: what the destination must offer before a
 * guest may migrate there (the study's design considerations; Equation 1's reservation stage).
 *
 * - `destination-reachable`: the destination's daemon answers on the caller's connection.
 * - `name-free`: no other domain of that name (and no running one) on the destination.
 * - `hypervisor-version`: the destination's hypervisor and libvirt are not older than the source's.
 * - `cpu-compatible`: the destination can provide the guest's CPU (model and features).
 * - `memory-available`: the destination's free memory holds the guest's current memory plus the caller's reserve.
 * - `disks-reachable`: every disk of the guest is shared storage the destination reaches.
 * - `networks-present`: every network and bridge the guest's interfaces use exists (and is active) on the destination.
 */
export type PreflightCheckName =
  | 'destination-reachable'
  | 'name-free'
  | 'hypervisor-version'
  | 'cpu-compatible'
  | 'memory-available'
  | 'disks-reachable'
  | 'networks-present';

/** Every {@link PreflightCheckName}, in run order. */
export const PREFLIGHT_CHECK_NAMES: readonly PreflightCheckName[] = Object.freeze([
  'destination-reachable',
  'name-free',
  'hypervisor-version',
  'cpu-compatible',
  'memory-available',
  'disks-reachable',
  'networks-present',
]);

/**
 * A check's outcome: `pass`, `fail` (the destination cannot take the guest: a refusal), or
 * `skip` (the check could not be made, e.g. the hypervisor has no such API or the guest has
 * nothing to check; a skip never refuses).
 */
export type PreflightStatus = 'pass' | 'fail' | 'skip';

/** The outcome of one preflight check. */
export interface PreflightCheck {
  /** Which check. */
  readonly name: PreflightCheckName;
  /** Its outcome. */
  readonly status: PreflightStatus;
  /** One line saying why, e.g. `needs 128 MiB + 0 MiB reserve, 7623 MiB free`. */
  readonly reason: string;
  /** How long the check took, in milliseconds. */
  readonly durationMs: number;
  /** A way out, when there is one: for `cpu-compatible`, the baseline CPU XML both hosts can run. */
  readonly suggestion?: string;
}

/** Everything a preflight found: one entry per check in {@link PREFLIGHT_CHECK_NAMES} order. */
export interface PreflightReport {
  /** The guest. */
  readonly domain: string;
  /** URI of the source host. */
  readonly sourceUri: string;
  /** URI of the destination host. */
  readonly destinationUri: string;
  /** True when no check failed. */
  readonly ok: boolean;
  /** Every check, in run order. */
  readonly checks: readonly PreflightCheck[];
  /** Wall-clock start, ISO-8601. */
  readonly startedAt: string;
  /** How long the whole preflight took, in milliseconds. */
  readonly durationMs: number;
}

/** Options of a preflight (and of `MigrationOptions.preflight`). */
export interface PreflightOptions {
  /** MiB the destination must keep free beyond the guest's memory (default 0). */
  readonly memoryReserveMiB?: number;
}

/**
 * Checks preflight options before anything runs.
 * @throws InvalidArgumentError `E_INVALID_ARGUMENT` naming the field (`field` prefixes it).
 */
export function assertPreflightOptions(o: unknown, field = 'options'): asserts o is PreflightOptions {
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new InvalidArgumentError(field, 'must be an object');
  for (const key of Object.keys(o)) {
    if (key !== 'memoryReserveMiB') throw new InvalidArgumentError(`${field}.${key}`, 'is not a preflight option');
  }
  const reserve = (o as PreflightOptions).memoryReserveMiB;
  if (reserve !== undefined) assertInt(reserve, `${field}.memoryReserveMiB`, 0, 1 << 30);
}

/**
 * A preflight refused a migration: the first failed check names the error, and the whole
 * report (every check's outcome) comes with it. Nothing was started on either host.
 */
export class PreflightError extends VirtmigError {
  /** The first check that failed. */
  readonly check: PreflightCheckName;
  /** Every check's outcome. */
  readonly report: PreflightReport;

  constructor(report: PreflightReport) {
    const failed = report.checks.filter((c) => c.status === 'fail');
    const first = failed[0];
    if (first === undefined) throw new InvalidArgumentError('report', 'has no failed check');
    super(
      'E_PREFLIGHT',
      `preflight of ${report.domain} to ${report.destinationUri} refused: ${failed.map((c) => `${c.name}: ${c.reason}`).join('; ')}`,
      { domain: report.domain, check: first.name, failed: failed.map((c) => c.name) },
    );
    this.check = first.name;
    this.report = report;
  }
}

/**
 * Throws the report's refusal, if it has one.
 * @throws PreflightError `E_PREFLIGHT` naming the first failed check.
 */
export function assertPreflightPassed(report: PreflightReport): void {
  if (!report.ok) throw new PreflightError(report);
}

/** One check as a runner times it: its outcome without the duration. */
export type PreflightOutcome = Omit<PreflightCheck, 'name' | 'durationMs'>;

/**
 * Runs preflight checks in {@link PREFLIGHT_CHECK_NAMES} order, timing each, and builds the
 * report: drivers supply one function per check and share the timing, ordering and the rule
 * that an unreachable destination skips every later check. A check that throws fails with the
 * error's message, except `E_CLOSED` (a connection closed meanwhile), which is rethrown.
 * @throws ClosedError `E_CLOSED` when a check finds a connection closed.
 */
export async function runPreflightChecks(
  subject: { readonly domain: string; readonly sourceUri: string; readonly destinationUri: string },
  checks: { readonly [K in PreflightCheckName]: () => Promise<PreflightOutcome> },
  now: () => number = () => performance.now(),
): Promise<PreflightReport> {
  const t0 = now();
  const startedAt = new Date(Date.now()).toISOString();
  const results: PreflightCheck[] = [];
  let unreachable = false;
  for (const name of PREFLIGHT_CHECK_NAMES) {
    const start = now();
    let outcome: PreflightOutcome;
    if (unreachable) outcome = { status: 'skip', reason: 'the destination is unreachable' };
    else {
      try {
        outcome = await checks[name]();
      } catch (e) {
        if (isVirtmigError(e, 'E_CLOSED')) throw e;
        outcome = { status: 'fail', reason: (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '' };
      }
    }
    if (name === 'destination-reachable' && outcome.status === 'fail') unreachable = true;
    results.push({ name, ...outcome, durationMs: now() - start });
  }
  return {
    ...subject,
    ok: results.every((c) => c.status !== 'fail'),
    checks: results,
    startedAt,
    durationMs: now() - t0,
  };
}
