import { type DomainConfig, type Hypervisor, InvalidArgumentError, type MigrationOptions } from '@virtmig/core';
import { type CheckContext, type CheckPeer, CONFORMANCE_CHECKS, type ConformanceCheck } from './conformance-checks.js';
import { type ConformanceFramework, mochaFramework } from './conformance-framework.js';
import { removeDomain, uniqueDomainName } from './conformance-helpers.js';

/** A check left out of a run, and why (listed in the output as a pending test). */
export interface ConformanceSkip {
  /** A check id, e.g. `resources/vcpu-hotplug`. */
  readonly id: string;
  /** Why it is left out. */
  readonly reason: string;
}

/** Runs only some checks; every other check is listed as pending with `reason`. */
export interface ConformanceOnly {
  /** Check ids or group names (`lifecycle` selects every `lifecycle/...` check). */
  readonly ids: readonly string[];
  /** Why the other checks are left out. */
  readonly reason: string;
}

/** What {@link runConformance} needs to exercise a driver. */
export interface ConformanceOptions {
  /** Names the suite: `Hypervisor contract: NAME`. */
  readonly name: string;
  /** Opens a new connection to the host under test; called several times. */
  connect(): Promise<Hypervisor>;
  /**
   * A structured config (no `xml`) that this driver can define and start under `name`. The
   * suite derives invalid variants from it, so it must use the `vcpus` and `memoryMiB` fields.
   */
  domainConfig(name: string): DomainConfig;
  /**
   * Two connections to two different hosts that can live-migrate between each other, and the
   * options the environment needs for every migration between them (e.g. `migrateUri` when the
   * hosts reach each other on another address than their libvirt URI's; each must be in
   * `capabilities.migrationOptions`; the suite adds its own on top). Omit it for a driver without
   * migration: the suite then checks that `capabilities.migration` is false.
   */
  readonly migrationPeer?: () => Promise<MigrationPeer>;
  /** Runs once after the whole suite (e.g. stops a lab). */
  readonly cleanup?: () => Promise<void>;
  /** Per-test and per-hook timeout in ms (default 10 000). */
  readonly timeoutMs?: number;
  /**
   * Checks to leave out, each with its reason. A skipped check about a capability the driver
   * declares fails the run (check `kit/skips-allowed`): a declared capability must be proven.
   */
  readonly skip?: readonly ConformanceSkip[];
  /** Runs only these checks or groups (e.g. a stub that serves part of the contract), with the reason. */
  readonly only?: ConformanceOnly;
  /** Driver-specific checks, in the shape of the built-in ones; ids must not collide with them. */
  readonly extraCases?: readonly ConformanceCheck[];
  /** The test framework to register with (default: mocha's globals; see `nodeTestFramework`). */
  readonly framework?: ConformanceFramework;
}

/** What {@link ConformanceOptions.migrationPeer} returns. */
export interface MigrationPeer {
  /** The host domains migrate from. */
  readonly source: Hypervisor;
  /** The host they migrate to. */
  readonly destination: Hypervisor;
  /** Options added to every migration from `source` to `destination` (default none). */
  readonly migrationOptions?: MigrationOptions;
  /**
   * Resolves once a domain just started on `source` can be migrated; the suite calls it before
   * the migration that must succeed. A Xen PV guest, for one, cannot be saved until its kernel
   * has published its page tables ("Bad mfn 0 for p2m frame list"). Default: at once.
   */
  readonly ready?: (name: string) => Promise<void>;
}

const CHECK_ID = /^[a-z0-9]+(-[a-z0-9]+)*\/[a-z0-9]+(-[a-z0-9]+)*$/;

/** The group of a check: its id up to the `/`. */
export function checkGroup(id: string): string {
  return id.slice(0, id.indexOf('/'));
}

/**
 * The checks a run registers (built-in then extra) after validating `skip`, `only` and
 * `extraCases`; exported so tooling can list them.
 *
 * @throws InvalidArgumentError `E_INVALID_ARGUMENT` for a malformed or duplicate extra id, an
 *   unknown id in `skip` or `only`, or a missing reason.
 */
export function conformanceChecks(options: Pick<ConformanceOptions, 'skip' | 'only' | 'extraCases'>): {
  /** Every check: the built-in ones, then the extra cases. */
  readonly checks: readonly ConformanceCheck[];
  /** The reasons of `skip`, by check id. */
  readonly skipped: ReadonlyMap<string, string>;
  /** True if `only` selects check `id` (every check without `only`). */
  readonly selected: (id: string) => boolean;
} {
  const checks = [...CONFORMANCE_CHECKS];
  const ids = new Set(checks.map((c) => c.id));
  for (const extra of options.extraCases ?? []) {
    if (!CHECK_ID.test(extra.id))
      throw new InvalidArgumentError('extraCases', `id ${JSON.stringify(extra.id)} is not group/name`);
    if (ids.has(extra.id)) throw new InvalidArgumentError('extraCases', `id ${extra.id} is already taken`);
    ids.add(extra.id);
    checks.push(extra);
  }
  const groups = new Set(checks.map((c) => checkGroup(c.id)));
  const skipped = new Map<string, string>();
  for (const s of options.skip ?? []) {
    if (!ids.has(s.id)) throw new InvalidArgumentError('skip', `unknown check id ${JSON.stringify(s.id)}`);
    if (typeof s.reason !== 'string' || s.reason.trim() === '')
      throw new InvalidArgumentError('skip', `skipping ${s.id} needs a reason`);
    skipped.set(s.id, s.reason);
  }
  const only = options.only;
  if (only) {
    if (typeof only.reason !== 'string' || only.reason.trim() === '')
      throw new InvalidArgumentError('only', 'needs a reason');
    for (const id of only.ids) {
      if (!ids.has(id) && !groups.has(id))
        throw new InvalidArgumentError('only', `unknown check id or group ${JSON.stringify(id)}`);
    }
  }
  const selected = (id: string): boolean =>
    only === undefined || only.ids.includes(id) || only.ids.includes(checkGroup(id));
  return { checks, skipped, selected };
}

/**
 * Registers the conformance kit's checks for a driver, as typescript-eslint's RuleTester does for
 * a rule: host info, the domain state machine, typed errors, resources as the capabilities
 * declare, CPU time, events, closed connections and migration (offered and unknown options,
 * failure details). Each test is named `ID: what it proves`; skipped, unselected and
 * inapplicable checks are pending tests naming the id and the reason. Every check uses its own
 * domain names and removes its domains and extra connections afterwards, also when it fails.
 *
 * @throws InvalidArgumentError `E_INVALID_ARGUMENT` for bad `skip`, `only` or `extraCases` (see {@link conformanceChecks}).
 */
export function runConformance(options: ConformanceOptions): void {
  const { checks, skipped, selected } = conformanceChecks(options);
  const fw = options.framework ?? mochaFramework();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const hasPeer = options.migrationPeer !== undefined;

  let h: Hypervisor | undefined;
  let closed: Promise<Hypervisor> | undefined;
  let peer: Promise<Omit<CheckPeer, 'migratable'>> | undefined;
  const opened: Hypervisor[] = [];

  function main(): Hypervisor {
    if (!h) throw new Error(`${options.name}: connect() did not open the connection under test`);
    return h;
  }

  function config(name: string): DomainConfig {
    const c = options.domainConfig(name);
    if (c.xml !== undefined)
      throw new InvalidArgumentError('domainConfig', 'must return a structured DomainConfig, not xml');
    return c;
  }

  function openPeer(owned: { h: Hypervisor; name: string }[]): Promise<CheckPeer> {
    const factory = options.migrationPeer;
    if (!factory) return Promise.reject(new Error('this conformance run has no migrationPeer'));
    peer ??= factory().then((given) => {
      opened.push(given.source, given.destination);
      const env = given.migrationOptions ?? {};
      for (const key of Object.keys(env) as (keyof MigrationOptions)[]) {
        if (!given.source.capabilities.migrationOptions.has(key))
          throw new InvalidArgumentError(
            'migrationPeer',
            `migrationOptions sets ${key}, which the source does not offer`,
          );
      }
      return { source: given.source, destination: given.destination, env, ready: given.ready ?? (async () => {}) };
    });
    return peer.then((p) => ({
      ...p,
      migratable: async () => {
        const name = uniqueDomainName();
        owned.push({ h: p.source, name }, { h: p.destination, name });
        await p.source.defineDomain(config(name));
        await p.source.startDomain(name);
        return name;
      },
    }));
  }

  async function runCheck(check: ConformanceCheck): Promise<void> {
    const owned: { h: Hypervisor; name: string }[] = [];
    const extra: Hypervisor[] = [];
    const fresh = (on: Hypervisor = main()): string => {
      const name = uniqueDomainName();
      owned.push({ h: on, name });
      return name;
    };
    const defined = async (on: Hypervisor = main()): Promise<string> => {
      const name = fresh(on);
      await on.defineDomain(config(name));
      return name;
    };
    const ctx: CheckContext = {
      h: main(),
      timeoutMs,
      hasPeer,
      fresh,
      config,
      defined,
      running: async (on = main()) => {
        const name = await defined(on);
        await on.startDomain(name);
        return name;
      },
      stateOf: async (on, name) => (await on.lookupDomain(name)).state,
      connect: async () => {
        const c = await options.connect();
        extra.push(c);
        return c;
      },
      closedConnection: () => {
        closed ??= options.connect().then(async (c) => {
          await c.close();
          return c;
        });
        return closed;
      },
      peer: () => openPeer(owned),
    };
    try {
      await check.run(ctx);
    } finally {
      for (const { h: on, name } of owned.reverse()) await removeDomain(on, name);
      for (const c of extra) await c.close().catch(() => undefined);
    }
  }

  fw.describe(`Hypervisor contract: ${options.name}`, () => {
    fw.before(timeoutMs, async () => {
      h = await options.connect();
    });
    fw.after(timeoutMs, async () => {
      if (h) await h.close();
      for (const c of opened) await c.close();
      if (closed) await (await closed.catch(() => undefined))?.close();
      if (options.cleanup) await options.cleanup();
    });

    const withCapability = checks.filter((c) => skipped.has(c.id) && c.capability !== undefined);
    if (withCapability.length > 0) {
      fw.describe('kit', () => {
        fw.it(
          'kit/skips-allowed: every skipped check is about a capability the driver does not declare',
          timeoutMs,
          async () => {
            const wrong = withCapability.filter((c) => c.capability && main().capabilities[c.capability]);
            if (wrong.length > 0) {
              throw new Error(
                `skipped checks whose capability the driver declares (it must pass them): ${wrong
                  .map((c) => `${c.id} (capabilities.${c.capability})`)
                  .join(', ')}`,
              );
            }
          },
        );
      });
    }

    const groups = [...new Set(checks.map((c) => checkGroup(c.id)))];
    for (const group of groups) {
      fw.describe(group, () => {
        for (const check of checks.filter((c) => checkGroup(c.id) === group)) {
          const title = `${check.id}: ${check.title}`;
          const reason = skipped.get(check.id);
          if (reason !== undefined) fw.pending(`${check.id} skipped: ${reason}`, reason);
          else if (!selected(check.id))
            fw.pending(`${check.id} not run: ${options.only?.reason}`, options.only?.reason ?? '');
          else if (check.needs === 'peer' && !hasPeer)
            fw.pending(`${check.id} not applicable: no migrationPeer`, 'no migrationPeer');
          else if (check.needs === 'no-peer' && hasPeer)
            fw.pending(`${check.id} not applicable: the run has a migrationPeer`, 'the run has a migrationPeer');
          else fw.it(title, timeoutMs, () => runCheck(check));
        }
      });
    }
  });
}
