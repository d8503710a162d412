import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  type DomainConfig,
  type DomainEvent,
  type Hypervisor,
  type HypervisorCapabilities,
  isDirtyRateCapable,
  isEventCapable,
  isMigrationJobCapable,
  isSecretCapable,
  type MigrationControl,
  type MigrationFailureDetails,
  type MigrationJob,
  type MigrationJobCapable,
  type MigrationOptions,
  type MigrationProgress,
  PREFLIGHT_CHECK_NAMES,
  type PreflightError,
  type PreflightReport,
  type SecretCapable,
  type SecretConfig,
} from '@virtmig/core';
import { eventually, rejectsWithCode, uniqueDomainName } from './conformance-helpers.js';

/** The boolean capabilities a check can be about (see {@link ConformanceCheck.capability}). */
export type ConformanceCapability = {
  [K in keyof HypervisorCapabilities]: HypervisorCapabilities[K] extends boolean ? K : never;
}[keyof HypervisorCapabilities];

/** A migration peer as a check sees it (see `ConformanceOptions.migrationPeer`). */
export interface CheckPeer {
  /** The host domains migrate from. */
  readonly source: Hypervisor;
  /** The host they migrate to. */
  readonly destination: Hypervisor;
  /** The environment's options, to spread into every migration. */
  readonly env: MigrationOptions;
  /** Resolves once a domain just started on `source` can be migrated. */
  readonly ready: (name: string) => Promise<void>;
  /** A running domain on `source` whose name is removed on both peers after the check. */
  migratable(): Promise<string>;
}

/** What a check gets: the connection under test and helpers that clean up after it. */
export interface CheckContext {
  /** The main connection under test. */
  readonly h: Hypervisor;
  /** Per-check timeout in ms; polls inside a check should use at most half of it. */
  readonly timeoutMs: number;
  /** Reserves a fresh domain name on `on` (default `h`), removed after the check. */
  fresh(on?: Hypervisor): string;
  /** The driver's structured config for `name`. */
  config(name: string): DomainConfig;
  /** Defines a fresh domain on `on` and returns its name. */
  defined(on?: Hypervisor): Promise<string>;
  /** Defines and starts a fresh domain on `on` and returns its name. */
  running(on?: Hypervisor): Promise<string>;
  /** The state of domain `name` on `on`, e.g. `running`. */
  stateOf(on: Hypervisor, name: string): Promise<string>;
  /** Another connection to the host under test, closed after the check. */
  connect(): Promise<Hypervisor>;
  /** One connection of the suite that has been closed. */
  closedConnection(): Promise<Hypervisor>;
  /** True when the run was given a `migrationPeer`. */
  readonly hasPeer: boolean;
  /** The migration peer, opened once per suite; only when {@link CheckContext.hasPeer}. */
  peer(): Promise<CheckPeer>;
}

/**
 * One conformance check: data, so a run can select, skip and list checks by id. Driver packages
 * add their own with `extraCases` in the same shape.
 */
export interface ConformanceCheck {
  /** Stable id `group/name` (lowercase, digits, `-`, and one `/`), used by `skip` and `only`. */
  readonly id: string;
  /** What the check proves, as a sentence. */
  readonly title: string;
  /**
   * The capability this check is about. Skipping it is allowed only when the driver does not
   * declare the capability; a driver that declares it must pass the check.
   */
  readonly capability?: ConformanceCapability;
  /** `peer`: needs `migrationPeer`; `no-peer`: runs only without one. Default: always. */
  readonly needs?: 'peer' | 'no-peer';
  /** Runs the check; rejects (an assertion error) when the driver fails it. */
  run(ctx: CheckContext): Promise<void>;
}

/**
 * A sample value for each migration option: the table the unoffered-option check walks. The
 * mapped type makes the compiler reject a table that misses a {@link MigrationOptions} field.
 */
export const SAMPLE_MIGRATION_OPTIONS: {
  readonly [K in keyof MigrationOptions]-?: () => NonNullable<MigrationOptions[K]>;
} = Object.freeze({
  live: () => true,
  postCopy: () => true,
  maxDowntimeMs: () => 300,
  bandwidthMiBps: () => 100,
  autoConverge: () => true,
  compression: () => ['xbzrle'],
  parallelConnections: () => 2,
  tls: () => true,
  persistDestination: () => true,
  undefineSource: () => true,
  migrateUri: () => 'tcp://127.0.0.1:49152',
  peerUri: () => 'test:///default',
  tunnelled: () => true,
  preflight: () => false,
  timeoutMs: () => 600_000,
  signal: () => new AbortController().signal,
  onProgress: () => () => undefined,
});

const OPTION_KEYS = Object.keys(SAMPLE_MIGRATION_OPTIONS) as (keyof MigrationOptions)[];
const VERSION = /^\d+\.\d+\.\d+$/;

type Call = (c: Hypervisor, name: string, ctx: CheckContext) => Promise<unknown>;

const MISSING_DOMAIN_CALLS: Record<string, Call> = {
  lookupDomain: (c, n) => c.lookupDomain(n),
  domainXml: (c, n) => c.domainXml(n),
  undefineDomain: (c, n) => c.undefineDomain(n),
  startDomain: (c, n) => c.startDomain(n),
  shutdownDomain: (c, n) => c.shutdownDomain(n),
  destroyDomain: (c, n) => c.destroyDomain(n),
  suspendDomain: (c, n) => c.suspendDomain(n),
  resumeDomain: (c, n) => c.resumeDomain(n),
  setVcpus: (c, n) => c.setVcpus(n, 1),
  setMemory: (c, n) => c.setMemory(n, 64),
  setCpuCap: (c, n) => c.setCpuCap(n, 50),
  getCpuCap: (c, n) => c.getCpuCap(n),
  preflight: (c, n, ctx) => c.preflight(n, ctx.h),
};

const CLOSED_CALLS: Record<string, Call> = {
  hostInfo: (c) => c.hostInfo(),
  capabilitiesXml: (c) => c.capabilitiesXml(),
  listDomains: (c) => c.listDomains(),
  lookupDomain: (c, n) => c.lookupDomain(n),
  defineDomain: (c, n, ctx) => c.defineDomain(ctx.config(n)),
  domainXml: (c, n) => c.domainXml(n),
  undefineDomain: (c, n) => c.undefineDomain(n),
  startDomain: (c, n) => c.startDomain(n),
  shutdownDomain: (c, n) => c.shutdownDomain(n),
  destroyDomain: (c, n) => c.destroyDomain(n),
  suspendDomain: (c, n) => c.suspendDomain(n),
  resumeDomain: (c, n) => c.resumeDomain(n),
  setVcpus: (c, n) => c.setVcpus(n, 1),
  setMemory: (c, n) => c.setMemory(n, 64),
  setCpuCap: (c, n) => c.setCpuCap(n, 50),
  getCpuCap: (c, n) => c.getCpuCap(n),
  allDomainStats: (c) => c.allDomainStats(),
  preflight: (c, n, ctx) => c.preflight(n, ctx.h),
  migrate: (c, n, ctx) => c.migrate(n, ctx.h),
};

function kebab(method: string): string {
  return method.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}

async function names(h: Hypervisor): Promise<Set<string>> {
  return new Set((await h.listDomains()).map((d) => d.name));
}

async function assertNothingDefined(h: Hypervisor, before: Set<string>, name: string | undefined): Promise<void> {
  const after = (await h.listDomains()).map((d) => d.name).filter((n) => !before.has(n));
  assert.deepEqual(after, [], 'a rejected config defined a domain');
  if (name) await rejectsWithCode(() => h.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain after a rejected define');
}

/** A config with room for one more vCPU than it starts with. */
function growable(ctx: CheckContext, name: string): DomainConfig {
  const base = ctx.config(name);
  return { ...base, maxVcpus: Math.max(base.maxVcpus ?? base.vcpus, base.vcpus + 1) };
}

/** The destination for option refusals: the peer's when there is one, else a second connection. */
async function refusalTarget(ctx: CheckContext, withPeer: boolean) {
  if (withPeer) {
    const p = await ctx.peer();
    return { source: p.source, destination: p.destination, env: p.env, name: await p.migratable(), separate: true };
  }
  return { source: ctx.h, destination: await ctx.connect(), env: {}, name: await ctx.running(), separate: false };
}

const HOST: ConformanceCheck[] = [
  {
    id: 'host/info',
    title: 'hostInfo reports positive CPUs, memory and topology, a hostname and x.y.z versions',
    async run({ h }) {
      const info = await h.hostInfo();
      assert.equal(typeof info.hostname, 'string');
      assert.ok(info.hostname.length > 0, 'hostname is empty');
      for (const field of ['cpus', 'nodes', 'sockets', 'coresPerSocket', 'threadsPerCore', 'memoryKiB'] as const) {
        assert.ok(
          Number.isInteger(info[field]) && info[field] >= 1,
          `${field} must be an integer >= 1, got ${info[field]}`,
        );
      }
      assert.ok(Number.isFinite(info.mhz) && info.mhz >= 0, `mhz must be >= 0, got ${info.mhz}`);
      assert.ok(info.hypervisorType.length > 0, 'hypervisorType is empty');
      assert.match(info.hypervisorVersion, VERSION);
      assert.match(info.libvirtVersion, VERSION);
    },
  },
  {
    id: 'host/capabilities-xml',
    title: 'capabilitiesXml returns a <capabilities> document with a <host> element',
    async run({ h }) {
      const xml = await h.capabilitiesXml();
      assert.match(xml, /^\s*(<\?xml[^>]*\?>\s*)?<capabilities[\s>]/);
      assert.match(xml, /<host[\s>]/);
      assert.match(xml, /<\/capabilities>\s*$/);
    },
  },
  {
    id: 'host/connection-properties',
    title:
      'an open connection has a uri, a driver name, closed === false and boolean capabilities naming known options',
    async run({ h }) {
      assert.ok(typeof h.uri === 'string' && h.uri.includes('://'), `uri ${String(h.uri)}`);
      assert.ok(typeof h.driver === 'string' && h.driver.length > 0, 'driver is empty');
      assert.equal(h.closed, false);
      const caps = h.capabilities;
      for (const key of ['migration', 'cpuCap', 'vcpuHotplug', 'memoryBalloon', 'events', 'secrets'] as const) {
        assert.equal(typeof caps[key], 'boolean', `capabilities.${key}`);
      }
      assert.ok(caps.migrationOptions instanceof Set, 'capabilities.migrationOptions must be a Set');
      for (const key of caps.migrationOptions)
        assert.ok(key in SAMPLE_MIGRATION_OPTIONS, `capabilities.migrationOptions lists unknown option ${String(key)}`);
    },
  },
];

const LIFECYCLE: ConformanceCheck[] = [
  {
    id: 'lifecycle/define',
    title: 'defineDomain returns a persistent, shut-off domain with the configured vCPUs and memory',
    async run(ctx) {
      const name = ctx.fresh();
      const c = ctx.config(name);
      const info = await ctx.h.defineDomain(c);
      assert.equal(info.name, name);
      assert.equal(info.state, 'shutoff');
      assert.equal(info.persistent, true);
      assert.equal(info.id, -1);
      assert.equal(info.vcpus, c.vcpus);
      assert.equal(info.maxMemoryKiB, c.memoryMiB * 1024);
      assert.ok(info.uuid.length > 0, 'uuid is empty');
    },
  },
  {
    id: 'lifecycle/lookup-list',
    title: 'lookupDomain finds a defined domain and listDomains includes it',
    async run(ctx) {
      const name = await ctx.defined();
      const info = await ctx.h.lookupDomain(name);
      assert.equal(info.name, name);
      assert.equal(info.state, 'shutoff');
      const list = await ctx.h.listDomains();
      assert.ok(Array.isArray(list));
      const listed = list.find((d) => d.name === name);
      assert.ok(listed, `listDomains does not include ${name}`);
      assert.equal(listed.uuid, info.uuid);
    },
  },
  {
    id: 'lifecycle/domain-xml',
    title: 'domainXml of a defined domain is a <domain> document naming it',
    async run(ctx) {
      const name = await ctx.defined();
      const xml = await ctx.h.domainXml(name);
      assert.match(xml, /<domain[\s>]/);
      assert.ok(xml.includes(`<name>${name}</name>`), 'the XML does not name the domain');
    },
  },
  {
    id: 'lifecycle/define-start',
    title: 'startDomain makes a defined domain running with an id >= 0',
    async run(ctx) {
      const name = await ctx.defined();
      await ctx.h.startDomain(name);
      const info = await ctx.h.lookupDomain(name);
      assert.equal(info.state, 'running');
      assert.ok(info.id >= 0, `id ${info.id}`);
    },
  },
  {
    id: 'lifecycle/suspend',
    title: 'suspendDomain makes a running domain paused',
    async run(ctx) {
      const name = await ctx.running();
      await ctx.h.suspendDomain(name);
      assert.equal(await ctx.stateOf(ctx.h, name), 'paused');
    },
  },
  {
    id: 'lifecycle/resume',
    title: 'resumeDomain makes a paused domain running again',
    async run(ctx) {
      const name = await ctx.running();
      await ctx.h.suspendDomain(name);
      await ctx.h.resumeDomain(name);
      assert.equal(await ctx.stateOf(ctx.h, name), 'running');
    },
  },
  {
    id: 'lifecycle/destroy',
    title: 'destroyDomain makes a running domain shut off with id -1',
    async run(ctx) {
      const name = await ctx.running();
      await ctx.h.destroyDomain(name);
      const info = await ctx.h.lookupDomain(name);
      assert.equal(info.state, 'shutoff');
      assert.equal(info.id, -1);
    },
  },
  {
    id: 'lifecycle/undefine',
    title: 'undefineDomain removes a shut-off domain so lookupDomain fails with E_NOT_FOUND',
    async run(ctx) {
      const name = await ctx.defined();
      await ctx.h.undefineDomain(name);
      await rejectsWithCode(() => ctx.h.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain after undefineDomain');
      assert.ok(
        !(await ctx.h.listDomains()).some((d) => d.name === name),
        'listDomains still lists the undefined domain',
      );
    },
  },
  {
    id: 'lifecycle/full-cycle',
    title:
      'define → start → suspend → resume → destroy → undefine passes through shutoff, running, paused, running, shutoff, gone',
    async run(ctx) {
      const { h } = ctx;
      const name = ctx.fresh();
      await h.defineDomain(ctx.config(name));
      assert.equal(await ctx.stateOf(h, name), 'shutoff');
      await h.startDomain(name);
      assert.equal(await ctx.stateOf(h, name), 'running');
      await h.suspendDomain(name);
      assert.equal(await ctx.stateOf(h, name), 'paused');
      await h.resumeDomain(name);
      assert.equal(await ctx.stateOf(h, name), 'running');
      await h.destroyDomain(name);
      assert.equal(await ctx.stateOf(h, name), 'shutoff');
      await h.undefineDomain(name);
      await rejectsWithCode(() => h.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain after the cycle');
    },
  },
  {
    id: 'lifecycle/start-running-refused',
    title: 'startDomain on a running domain fails with E_STATE and leaves it running',
    async run(ctx) {
      const name = await ctx.running();
      await rejectsWithCode(() => ctx.h.startDomain(name), 'E_STATE', 'second startDomain');
      assert.equal(await ctx.stateOf(ctx.h, name), 'running');
    },
  },
  {
    id: 'lifecycle/destroy-shutoff-refused',
    title: 'destroyDomain on a shut-off domain fails with E_STATE',
    async run(ctx) {
      const name = await ctx.defined();
      await rejectsWithCode(() => ctx.h.destroyDomain(name), 'E_STATE', 'destroyDomain of a shut-off domain');
      assert.equal(await ctx.stateOf(ctx.h, name), 'shutoff');
    },
  },
  {
    id: 'lifecycle/shutdown',
    title: 'shutdownDomain is accepted for a running domain and refused with E_STATE for a shut-off one',
    async run(ctx) {
      const name = await ctx.running();
      await ctx.h.shutdownDomain(name);
      const off = await ctx.defined();
      await rejectsWithCode(() => ctx.h.shutdownDomain(off), 'E_STATE', 'shutdownDomain of a shut-off domain');
    },
  },
  {
    id: 'lifecycle/undefine-running-transient',
    title: 'undefineDomain of a running domain leaves it running as a transient domain that vanishes when destroyed',
    async run(ctx) {
      const name = await ctx.running();
      await ctx.h.undefineDomain(name);
      const info = await ctx.h.lookupDomain(name);
      assert.equal(info.state, 'running');
      assert.equal(info.persistent, false);
      await ctx.h.destroyDomain(name);
      await rejectsWithCode(
        () => ctx.h.lookupDomain(name),
        'E_NOT_FOUND',
        'lookupDomain of a destroyed transient domain',
      );
    },
  },
];

const MISSING: ConformanceCheck[] = Object.entries(MISSING_DOMAIN_CALLS).map(([method, call]) => ({
  id: `missing-domain/${kebab(method)}`,
  title: `${method} of a missing domain fails with E_NOT_FOUND`,
  async run(ctx) {
    // A driver without CPU caps may refuse the cap methods before looking the domain up.
    const codes =
      method.endsWith('CpuCap') && !ctx.h.capabilities.cpuCap ? ['E_NOT_FOUND', 'E_UNSUPPORTED'] : ['E_NOT_FOUND'];
    await rejectsWithCode(() => call(ctx.h, ctx.fresh(), ctx), codes, method);
  },
}));

const INVALID: ConformanceCheck[] = [
  {
    id: 'invalid-input/define-bad-name',
    title: 'defineDomain with an invalid name fails with E_INVALID_ARGUMENT and defines nothing',
    async run(ctx) {
      const before = await names(ctx.h);
      const base = ctx.config(ctx.fresh());
      for (const bad of ['', 'bad name', '../escape', `x${'y'.repeat(300)}`, 'a<b>']) {
        await rejectsWithCode(
          () => ctx.h.defineDomain({ ...base, name: bad }),
          'E_INVALID_ARGUMENT',
          `defineDomain(name ${JSON.stringify(bad.slice(0, 20))})`,
        );
      }
      await assertNothingDefined(ctx.h, before, undefined);
    },
  },
  {
    id: 'invalid-input/define-zero-vcpus',
    title: 'defineDomain with 0 vCPUs fails with E_INVALID_ARGUMENT and defines nothing',
    async run(ctx) {
      const before = await names(ctx.h);
      const name = ctx.fresh();
      await rejectsWithCode(
        () => ctx.h.defineDomain({ ...ctx.config(name), vcpus: 0 }),
        'E_INVALID_ARGUMENT',
        'defineDomain(vcpus 0)',
      );
      await assertNothingDefined(ctx.h, before, name);
    },
  },
  {
    id: 'invalid-input/define-negative-memory',
    title: 'defineDomain with negative memory fails with E_INVALID_ARGUMENT and defines nothing',
    async run(ctx) {
      const before = await names(ctx.h);
      const name = ctx.fresh();
      await rejectsWithCode(
        () => ctx.h.defineDomain({ ...ctx.config(name), memoryMiB: -128 }),
        'E_INVALID_ARGUMENT',
        'defineDomain(memoryMiB -128)',
      );
      await assertNothingDefined(ctx.h, before, name);
    },
  },
  {
    id: 'invalid-input/set-vcpus-zero',
    title: 'setVcpus to 0 fails with E_INVALID_ARGUMENT and leaves the vCPU count unchanged',
    async run(ctx) {
      const name = await ctx.defined();
      const before = await ctx.h.lookupDomain(name);
      await rejectsWithCode(() => ctx.h.setVcpus(name, 0), 'E_INVALID_ARGUMENT', 'setVcpus(0)');
      assert.equal((await ctx.h.lookupDomain(name)).vcpus, before.vcpus);
    },
  },
  {
    id: 'invalid-input/set-memory-negative',
    title: 'setMemory to a negative size fails with E_INVALID_ARGUMENT and leaves memory unchanged',
    async run(ctx) {
      const name = await ctx.defined();
      const before = await ctx.h.lookupDomain(name);
      await rejectsWithCode(() => ctx.h.setMemory(name, -1), 'E_INVALID_ARGUMENT', 'setMemory(-1)');
      const after = await ctx.h.lookupDomain(name);
      assert.equal(after.memoryKiB, before.memoryKiB);
      assert.equal(after.maxMemoryKiB, before.maxMemoryKiB);
    },
  },
  {
    id: 'invalid-input/set-cpu-cap-negative',
    title:
      'setCpuCap to a negative percentage fails with E_INVALID_ARGUMENT (or E_UNSUPPORTED without capabilities.cpuCap) and changes nothing',
    capability: 'cpuCap',
    async run(ctx) {
      const name = await ctx.running();
      const before = await ctx.h.getCpuCap(name);
      await rejectsWithCode(
        () => ctx.h.setCpuCap(name, -1),
        ctx.h.capabilities.cpuCap ? 'E_INVALID_ARGUMENT' : ['E_INVALID_ARGUMENT', 'E_UNSUPPORTED'],
        'setCpuCap(-1)',
      );
      assert.equal(await ctx.h.getCpuCap(name), before);
    },
  },
];

const RESOURCES: ConformanceCheck[] = [
  {
    id: 'resources/set-vcpus-shutoff',
    title: 'setVcpus on a shut-off domain changes its vCPU count',
    async run(ctx) {
      const name = ctx.fresh();
      const c = growable(ctx, name);
      await ctx.h.defineDomain(c);
      await ctx.h.setVcpus(name, c.vcpus + 1);
      assert.equal((await ctx.h.lookupDomain(name)).vcpus, c.vcpus + 1);
    },
  },
  {
    id: 'resources/set-memory-shutoff',
    title: 'setMemory on a shut-off domain changes its memory',
    async run(ctx) {
      const name = await ctx.defined();
      const target = Math.max(1, Math.floor(ctx.config(name).memoryMiB / 2));
      await ctx.h.setMemory(name, target);
      assert.equal((await ctx.h.lookupDomain(name)).memoryKiB, target * 1024);
    },
  },
  {
    id: 'resources/vcpu-hotplug',
    title:
      'setVcpus on a running domain follows capabilities.vcpuHotplug (changes the count, or fails with E_UNSUPPORTED)',
    capability: 'vcpuHotplug',
    async run(ctx) {
      const { h } = ctx;
      const name = ctx.fresh();
      const c = growable(ctx, name);
      await h.defineDomain(c);
      await h.startDomain(name);
      if (h.capabilities.vcpuHotplug) {
        await h.setVcpus(name, c.vcpus + 1);
        await eventually(
          async () => (await h.lookupDomain(name)).vcpus === c.vcpus + 1,
          ctx.timeoutMs / 2,
          'live vCPU change',
        );
      } else {
        await rejectsWithCode(() => h.setVcpus(name, c.vcpus + 1), 'E_UNSUPPORTED', 'setVcpus on a running domain');
        assert.equal((await h.lookupDomain(name)).vcpus, c.vcpus);
      }
    },
  },
  {
    id: 'resources/memory-balloon',
    title:
      'setMemory on a running domain follows capabilities.memoryBalloon (changes current memory, or fails with E_UNSUPPORTED)',
    capability: 'memoryBalloon',
    async run(ctx) {
      const { h } = ctx;
      const name = await ctx.running();
      const target = Math.max(1, Math.floor(ctx.config(name).memoryMiB / 2));
      const before = await h.lookupDomain(name);
      if (h.capabilities.memoryBalloon) {
        await h.setMemory(name, target);
        await eventually(
          async () => (await h.lookupDomain(name)).memoryKiB === target * 1024,
          ctx.timeoutMs / 2,
          'live memory change',
        );
      } else {
        await rejectsWithCode(() => h.setMemory(name, target), 'E_UNSUPPORTED', 'setMemory on a running domain');
        assert.equal((await h.lookupDomain(name)).memoryKiB, before.memoryKiB);
      }
    },
  },
  {
    id: 'resources/cpu-cap',
    title: 'setCpuCap follows capabilities.cpuCap (getCpuCap returns 50 then 0, or setCpuCap fails with E_UNSUPPORTED)',
    capability: 'cpuCap',
    async run(ctx) {
      const { h } = ctx;
      const name = await ctx.running();
      if (h.capabilities.cpuCap) {
        await h.setCpuCap(name, 50);
        assert.equal(await h.getCpuCap(name), 50);
        await h.setCpuCap(name, 0);
        assert.equal(await h.getCpuCap(name), 0);
      } else {
        await rejectsWithCode(() => h.setCpuCap(name, 50), 'E_UNSUPPORTED', 'setCpuCap without capabilities.cpuCap');
      }
    },
  },
];

const STATISTICS: ConformanceCheck[] = [
  {
    id: 'statistics/all-domain-stats',
    title: 'allDomainStats includes a running domain with state running',
    async run(ctx) {
      const name = await ctx.running();
      const mine = (await ctx.h.allDomainStats()).find((s) => s.name === name);
      assert.ok(mine, `allDomainStats does not include ${name}`);
      assert.equal(mine.state, 'running');
      assert.equal(typeof mine.fields, 'object');
    },
  },
  {
    id: 'statistics/cpu-time-increases',
    title: 'allDomainStats reports increasing cpuTimeNs for a running domain',
    async run(ctx) {
      const name = await ctx.running();
      const sample = async (): Promise<number> => {
        const cpu = (await ctx.h.allDomainStats()).find((s) => s.name === name)?.cpuTimeNs;
        assert.ok(typeof cpu === 'number' && cpu >= 0, `cpuTimeNs of ${name}: ${String(cpu)}`);
        return cpu;
      };
      const first = await sample();
      await eventually(async () => (await sample()) > first, ctx.timeoutMs / 2, 'cpuTimeNs increase');
    },
  },
  {
    id: 'statistics/cpu-time-monotonic',
    title: 'cpuTimeNs from lookupDomain never decreases while a domain runs, pauses and resumes',
    async run(ctx) {
      const { h } = ctx;
      const name = await ctx.running();
      const samples: number[] = [];
      const take = async (): Promise<void> => {
        samples.push((await h.lookupDomain(name)).cpuTimeNs);
        await new Promise((resolve) => setTimeout(resolve, 20));
        samples.push((await h.lookupDomain(name)).cpuTimeNs);
      };
      await take();
      await h.suspendDomain(name);
      await take();
      await h.resumeDomain(name);
      await take();
      for (let i = 1; i < samples.length; i++) {
        assert.ok((samples[i] ?? 0) >= (samples[i - 1] ?? 0), `cpuTimeNs went down: ${samples.join(' → ')}`);
      }
    },
  },
];

// Dirty-rate measurement is an optional interface, not a capability flag: a driver that offers
// it must measure with the modes it declares, and one that declares none must say why.
const DIRTY_RATE: ConformanceCheck[] = [
  {
    id: 'dirty-rate/measures-running',
    title:
      'measureDirtyRate gives a running domain a finite rate >= 0 in page-sampling mode, or E_UNSUPPORTED with a reason when the driver declares no such mode',
    async run(ctx) {
      const { h } = ctx;
      if (!isDirtyRateCapable(h)) return;
      const name = await ctx.running();
      if (h.dirtyRateModes.has('page-sampling')) {
        const m = await h.measureDirtyRate(name, { periodSeconds: 1 });
        assert.equal(m.domain, name);
        assert.equal(m.mode, 'page-sampling');
        assert.equal(m.periodSeconds, 1);
        assert.ok(Number.isFinite(m.bytesPerSecond) && m.bytesPerSecond >= 0, `bytesPerSecond ${m.bytesPerSecond}`);
      } else {
        const e = await rejectsWithCode(() => h.measureDirtyRate(name), 'E_UNSUPPORTED', 'measureDirtyRate, no modes');
        const reason = (e as { details?: { reason?: unknown } }).details?.reason;
        assert.ok(
          typeof reason === 'string' && reason.length > 0,
          `E_UNSUPPORTED without details.reason: ${e.message}`,
        );
      }
    },
  },
  {
    id: 'dirty-rate/not-running-refused',
    title: 'measureDirtyRate of a shut-off domain is E_STATE',
    async run(ctx) {
      const { h } = ctx;
      if (!isDirtyRateCapable(h)) return;
      const name = await ctx.defined();
      await rejectsWithCode(() => h.measureDirtyRate(name), 'E_STATE', 'measureDirtyRate of a shut-off domain');
    },
  },
  {
    id: 'dirty-rate/bad-period-refused',
    title: 'measureDirtyRate with a period of 0 s is E_INVALID_ARGUMENT',
    async run(ctx) {
      const { h } = ctx;
      if (!isDirtyRateCapable(h)) return;
      const name = await ctx.running();
      await rejectsWithCode(
        () => h.measureDirtyRate(name, { periodSeconds: 0 }),
        'E_INVALID_ARGUMENT',
        'measureDirtyRate with periodSeconds 0',
      );
    },
  },
];

const EVENTS: ConformanceCheck[] = [
  {
    id: 'events/started',
    title:
      'capabilities.events matches the driver: a started event arrives for startDomain, or no onDomainEvent is offered',
    capability: 'events',
    async run(ctx) {
      const { h } = ctx;
      if (!h.capabilities.events) {
        assert.equal(isEventCapable(h), false, 'capabilities.events is false but the driver offers onDomainEvent');
        return;
      }
      assert.ok(isEventCapable(h), 'capabilities.events is true but the driver has no onDomainEvent');
      const name = await ctx.defined();
      const seen: DomainEvent[] = [];
      const unsubscribe = h.onDomainEvent((e) => seen.push(e));
      try {
        await h.startDomain(name);
        await eventually(
          async () => seen.some((e) => e.domain === name && e.kind === 'started'),
          ctx.timeoutMs / 2,
          'started event',
        );
      } finally {
        unsubscribe();
      }
    },
  },
];

const CLOSED: ConformanceCheck[] = [
  {
    id: 'closed-connection/close-twice',
    title: 'close() sets closed and can be called again',
    async run(ctx) {
      const closed = await ctx.closedConnection();
      assert.equal(closed.closed, true);
      await closed.close();
      assert.equal(closed.closed, true);
    },
  },
  ...Object.entries(CLOSED_CALLS).map(
    ([method, call]): ConformanceCheck => ({
      id: `closed-connection/${kebab(method)}`,
      title: `${method} on a closed connection fails with E_CLOSED`,
      async run(ctx) {
        const closed = await ctx.closedConnection();
        await rejectsWithCode(() => call(closed, ctx.fresh(), ctx), 'E_CLOSED', method);
      },
    }),
  ),
];

type SecretHost = Hypervisor & SecretCapable;

const SECRET_CALLS: Record<string, (h: SecretHost, usageId: string) => Promise<unknown>> = {
  defineSecret: (h, usageId) => h.defineSecret({ usageType: 'iscsi', usageId }),
  setSecretValue: (h) => h.setSecretValue(randomUUID(), 'conformance-value'),
  lookupSecretByUsage: (h, usageId) => h.lookupSecretByUsage('iscsi', usageId),
  lookupSecret: (h) => h.lookupSecret(randomUUID()),
  listSecrets: (h) => h.listSecrets(),
  undefineSecret: (h) => h.undefineSecret(randomUUID()),
};

/** A usage id no other check (or concurrent run) uses. */
const freshUsage = (): string => `virtmig-conformance-${uniqueDomainName()}`;

/**
 * Runs `fn` with the connection as a {@link SecretCapable} and a fresh usage id, then removes any
 * secret of that usage (also when `fn` fails). `fn` runs only when the host keeps secrets; with
 * `refusals`, a driver that declares no secrets must refuse every secret call with E_UNSUPPORTED,
 * and one that is not SecretCapable must not declare them.
 */
async function withSecrets(
  h: Hypervisor,
  fn: (s: SecretHost, usageId: string) => Promise<void>,
  refusals = false,
): Promise<void> {
  if (!isSecretCapable(h)) {
    if (refusals)
      assert.equal(h.capabilities.secrets, false, 'capabilities.secrets is true but the driver is not SecretCapable');
    return;
  }
  const usageId = freshUsage();
  if (!h.capabilities.secrets) {
    if (!refusals) return;
    for (const [method, call] of Object.entries(SECRET_CALLS))
      await rejectsWithCode(() => call(h, usageId), 'E_UNSUPPORTED', `${method} without capabilities.secrets`);
    return;
  }
  try {
    await fn(h, usageId);
  } finally {
    for (const usage of [usageId, `${usageId}-2`]) {
      const left = await h.lookupSecretByUsage('iscsi', usage).catch(() => undefined);
      if (left) await h.undefineSecret(left.uuid).catch(() => undefined);
    }
  }
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const SECRETS: ConformanceCheck[] = [
  {
    id: 'secrets/round-trip',
    title:
      'defineSecret, setSecretValue, lookupSecretByUsage, lookupSecret, listSecrets and undefineSecret follow capabilities.secrets (or each fails with E_UNSUPPORTED)',
    capability: 'secrets',
    async run(ctx) {
      await withSecrets(
        ctx.h,
        async (h, usageId) => {
          const info = await h.defineSecret({ usageType: 'iscsi', usageId, description: 'virtmig conformance' });
          assert.match(info.uuid, UUID_TEXT);
          assert.deepEqual(info, { uuid: info.uuid, usageType: 'iscsi', usageId });
          await h.setSecretValue(info.uuid, 'conformance-value');
          await h.setSecretValue(info.uuid, new Uint8Array([1, 2, 3, 0, 255]));
          assert.deepEqual(await h.lookupSecretByUsage('iscsi', usageId), info);
          assert.deepEqual(await h.lookupSecret(info.uuid), info);
          assert.ok(
            (await h.listSecrets()).some((s) => s.uuid === info.uuid),
            'listSecrets does not include the defined secret',
          );
          const other = await ctx.connect();
          assert.ok(isSecretCapable(other));
          assert.deepEqual(await other.lookupSecret(info.uuid), info, 'a second connection does not see the secret');
          assert.deepEqual(
            await h.defineSecret({ usageType: 'iscsi', usageId, uuid: info.uuid }),
            info,
            'redefining by UUID changed the secret',
          );
          await h.undefineSecret(info.uuid);
          await rejectsWithCode(() => h.lookupSecret(info.uuid), 'E_NOT_FOUND', 'lookupSecret after undefineSecret');
          await rejectsWithCode(
            () => h.lookupSecretByUsage('iscsi', usageId),
            'E_NOT_FOUND',
            'lookupSecretByUsage after undefineSecret',
          );
          assert.ok(!(await h.listSecrets()).some((s) => s.uuid === info.uuid), 'listSecrets still has it');
        },
        true,
      );
    },
  },
  {
    id: 'secrets/given-uuid',
    title: 'defineSecret with a UUID defines the secret under that UUID',
    capability: 'secrets',
    async run(ctx) {
      await withSecrets(ctx.h, async (h, usageId) => {
        const uuid = randomUUID();
        assert.equal((await h.defineSecret({ usageType: 'iscsi', usageId, uuid })).uuid, uuid);
        assert.equal((await h.lookupSecretByUsage('iscsi', usageId)).uuid, uuid);
      });
    },
  },
  {
    id: 'secrets/usage-taken',
    title:
      'defineSecret refuses a usage another secret holds, and a new usage for an existing UUID, with E_INVALID_ARGUMENT, leaving the first secret as it was',
    capability: 'secrets',
    async run(ctx) {
      await withSecrets(ctx.h, async (h, usageId) => {
        const first = await h.defineSecret({ usageType: 'iscsi', usageId });
        await rejectsWithCode(
          () => h.defineSecret({ usageType: 'iscsi', usageId }),
          'E_INVALID_ARGUMENT',
          'defineSecret of a taken usage',
        );
        await rejectsWithCode(
          () => h.defineSecret({ usageType: 'iscsi', usageId: `${usageId}-2`, uuid: first.uuid }),
          'E_INVALID_ARGUMENT',
          'defineSecret of an existing UUID with another usage',
        );
        assert.deepEqual(await h.lookupSecretByUsage('iscsi', usageId), first);
        await rejectsWithCode(
          () => h.lookupSecretByUsage('iscsi', `${usageId}-2`),
          'E_NOT_FOUND',
          'the refused usage was defined',
        );
      });
    },
  },
  {
    id: 'secrets/missing',
    title:
      'setSecretValue, lookupSecret, undefineSecret and lookupSecretByUsage of a missing secret fail with E_NOT_FOUND',
    capability: 'secrets',
    async run(ctx) {
      await withSecrets(ctx.h, async (h, usageId) => {
        const uuid = randomUUID();
        await rejectsWithCode(() => h.setSecretValue(uuid, 'conformance-value'), 'E_NOT_FOUND', 'setSecretValue');
        await rejectsWithCode(() => h.lookupSecret(uuid), 'E_NOT_FOUND', 'lookupSecret');
        await rejectsWithCode(() => h.undefineSecret(uuid), 'E_NOT_FOUND', 'undefineSecret');
        await rejectsWithCode(() => h.lookupSecretByUsage('iscsi', usageId), 'E_NOT_FOUND', 'lookupSecretByUsage');
      });
    },
  },
  {
    id: 'secrets/invalid-arguments',
    title:
      'bad secret configs, UUIDs, usages and values fail with E_INVALID_ARGUMENT before anything runs, whether or not the host keeps secrets',
    async run({ h }) {
      if (!isSecretCapable(h)) return;
      // A seam over libvirt's test driver declares secrets it cannot keep: nothing to count there.
      const count = async () =>
        h.capabilities.secrets ? (await h.listSecrets().catch(() => undefined))?.length : undefined;
      const before = await count();
      const usageId = freshUsage();
      const configs: unknown[] = [
        null,
        {},
        { usageType: 'nfs', usageId },
        { usageType: 'iscsi', usageId: '' },
        { usageType: 'iscsi', usageId: 'two\nlines' },
        { usageType: 'iscsi', usageId: 'x'.repeat(2000) },
        { usageType: 'volume', usageId: 'relative/path' },
        { usageType: 'iscsi', usageId, uuid: 'not-a-uuid' },
        { usageType: 'iscsi', usageId, private: 'yes' },
        { usageType: 'iscsi', usageId, ephemeral: 1 },
        { usageType: 'iscsi', usageId, description: 'a\nb' },
        { usageType: 'iscsi', usageId, privat: true },
      ];
      for (const c of configs)
        await rejectsWithCode(
          () => h.defineSecret(c as SecretConfig),
          'E_INVALID_ARGUMENT',
          `defineSecret(${JSON.stringify(c)?.slice(0, 60)})`,
        );
      for (const bad of ['', 'not-a-uuid', '123', null])
        for (const call of [
          () => h.lookupSecret(bad as string),
          () => h.undefineSecret(bad as string),
          () => h.setSecretValue(bad as string, 'conformance-value'),
        ])
          await rejectsWithCode(call, 'E_INVALID_ARGUMENT', `a secret call with UUID ${JSON.stringify(bad)}`);
      for (const value of ['', new Uint8Array(0), new Uint8Array(65537), 42, null])
        await rejectsWithCode(
          () => h.setSecretValue(randomUUID(), value as string),
          'E_INVALID_ARGUMENT',
          `setSecretValue with ${typeof value} ${String((value as { length?: number })?.length ?? value)}`,
        );
      await rejectsWithCode(
        () => h.lookupSecretByUsage('nfs' as 'iscsi', usageId),
        'E_INVALID_ARGUMENT',
        'lookupSecretByUsage',
      );
      assert.equal(await count(), before, 'a refused call defined a secret');
    },
  },
  {
    id: 'secrets/value-not-in-errors',
    title: 'a secret value never appears in the message, details or stack of an error about it',
    async run({ h }) {
      if (!isSecretCapable(h)) return;
      const marker = `conformance-secret-${randomUUID()}`;
      const attempts: [string, () => Promise<unknown>][] = [
        ['setSecretValue of a missing secret', () => h.setSecretValue(randomUUID(), marker)],
        ['setSecretValue of a malformed UUID', () => h.setSecretValue('nope', marker)],
        ['setSecretValue of an oversized value', () => h.setSecretValue(randomUUID(), marker.repeat(2000))],
      ];
      for (const [what, call] of attempts) {
        const e = await rejectsWithCode(call, ['E_NOT_FOUND', 'E_INVALID_ARGUMENT', 'E_UNSUPPORTED'], what);
        const seen = `${e.message}\n${e.stack}\n${JSON.stringify((e as { details?: unknown }).details)}\n${String((e as { cause?: unknown }).cause)}`;
        assert.ok(!seen.includes(marker), `${what}: the error shows the value`);
      }
    },
  },
  {
    id: 'secrets/closed-connection',
    title: 'every secret call on a closed connection fails with E_CLOSED',
    async run(ctx) {
      const closed = await ctx.closedConnection();
      if (!isSecretCapable(closed)) return;
      for (const [method, call] of Object.entries(SECRET_CALLS))
        await rejectsWithCode(() => call(closed, freshUsage()), 'E_CLOSED', method);
    },
  },
];

/** Asserts the {@link MigrationFailureDetails} of an E_MIGRATION_FAILED error of a failure that left the guest running on the source. */
function assertFailureDetails(e: Error, name: string, source: Hypervisor, destination: Hypervisor): void {
  const details = (e as { details?: Partial<MigrationFailureDetails> }).details ?? {};
  const expected: MigrationFailureDetails = {
    domain: name,
    sourceUri: source.uri,
    destinationUri: destination.uri,
    sourceState: 'running',
    domainOnDestination: false,
  };
  for (const key of Object.keys(expected) as (keyof MigrationFailureDetails)[]) {
    assert.equal(details[key], expected[key], `E_MIGRATION_FAILED details.${key}`);
  }
}

/** Fills the destination's name slot with another domain, so the migration of `name` must fail. */
async function takenOnDestination(ctx: CheckContext, p: CheckPeer): Promise<{ name: string; uuid: string }> {
  const name = await p.migratable();
  await p.destination.defineDomain(ctx.config(name));
  await p.destination.startDomain(name);
  return { name, uuid: (await p.destination.lookupDomain(name)).uuid };
}

/** `env` with the preflight off where the driver offers that, so the migration's own refusal is what runs. */
function withoutPreflight(h: Hypervisor, env: MigrationOptions): MigrationOptions {
  return h.capabilities.migrationOptions.has('preflight') ? { ...env, preflight: false } : env;
}

/** Asserts a report's shape: every check once, in order, with a status, a one-line reason and a duration. */
function assertReportShape(r: PreflightReport, name: string, source: Hypervisor, destination: Hypervisor): void {
  assert.equal(r.domain, name);
  assert.equal(r.sourceUri, source.uri);
  assert.equal(r.destinationUri, destination.uri);
  assert.deepEqual(
    r.checks.map((c) => c.name),
    [...PREFLIGHT_CHECK_NAMES],
    'one entry per check, in PREFLIGHT_CHECK_NAMES order',
  );
  for (const c of r.checks) {
    assert.ok(['pass', 'fail', 'skip'].includes(c.status), `${c.name}: status ${c.status}`);
    assert.ok(c.reason.length > 0 && !c.reason.includes('\n'), `${c.name}: reason must be one non-empty line`);
    assert.ok(Number.isFinite(c.durationMs) && c.durationMs >= 0, `${c.name}: durationMs ${c.durationMs}`);
  }
  assert.equal(
    r.ok,
    r.checks.every((c) => c.status !== 'fail'),
    'ok is "no check failed"',
  );
  assert.ok(Number.isFinite(r.durationMs) && r.durationMs >= 0, `durationMs ${r.durationMs}`);
}

const PREFLIGHT: ConformanceCheck[] = [
  {
    id: 'preflight/name-taken-same-host',
    title:
      'preflight onto a second connection to the same host reports every check and fails name-free, changing nothing',
    needs: 'no-peer',
    async run(ctx) {
      const other = await ctx.connect();
      const name = await ctx.running();
      const before = await ctx.h.lookupDomain(name);
      let r: PreflightReport;
      try {
        r = await ctx.h.preflight(name, other);
      } catch (e) {
        // A driver whose preflight needs a separate host refuses the same one as bad input.
        if ((e as { code?: unknown }).code === 'E_INVALID_ARGUMENT') return;
        throw e;
      }
      assertReportShape(r, name, ctx.h, other);
      assert.equal(r.ok, false);
      assert.equal(r.checks.find((c) => c.name === 'name-free')?.status, 'fail', 'name-free');
      const after = await ctx.h.lookupDomain(name);
      assert.equal(after.state, 'running');
      assert.equal(after.id, before.id, 'the domain was restarted by a preflight');
    },
  },
  {
    id: 'preflight/passes-to-peer',
    title: 'preflight of a migratable domain to the peer passes, with every check reported and nothing started',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await ctx.peer();
      const name = await p.migratable();
      const r = await p.source.preflight(name, p.destination);
      assertReportShape(r, name, p.source, p.destination);
      assert.equal(
        r.ok,
        true,
        `failed: ${r.checks
          .filter((c) => c.status === 'fail')
          .map((c) => `${c.name}: ${c.reason}`)
          .join('; ')}`,
      );
      assert.equal(await ctx.stateOf(p.source, name), 'running');
      await rejectsWithCode(() => p.destination.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain on the destination');
    },
  },
  {
    id: 'preflight/invalid-reserve',
    title: 'preflight with a negative memoryReserveMiB fails with E_INVALID_ARGUMENT',
    async run(ctx) {
      const other = await ctx.connect();
      const name = await ctx.running();
      await rejectsWithCode(
        () => ctx.h.preflight(name, other, { memoryReserveMiB: -1 }),
        'E_INVALID_ARGUMENT',
        'preflight with memoryReserveMiB -1',
      );
    },
  },
];

const MIGRATION: ConformanceCheck[] = [
  {
    id: 'migration/declared-without-peer',
    title: 'capabilities.migration is false when no migration peer is configured',
    capability: 'migration',
    needs: 'no-peer',
    async run({ h }) {
      assert.equal(
        h.capabilities.migration,
        false,
        'the driver declares migration but the suite was given no migrationPeer',
      );
    },
  },
  {
    id: 'migration/refused-without-capability',
    title: 'migrate fails with E_UNSUPPORTED when capabilities.migration is false',
    needs: 'no-peer',
    async run(ctx) {
      if (ctx.h.capabilities.migration) return;
      const other = await ctx.connect();
      const name = await ctx.running();
      await rejectsWithCode(
        () => ctx.h.migrate(name, other),
        'E_UNSUPPORTED',
        'migrate without capabilities.migration',
      );
      assert.equal(await ctx.stateOf(ctx.h, name), 'running');
    },
  },
  {
    id: 'migration/declared-on-both-peers',
    title: 'capabilities.migration is true on both peers',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const { source, destination } = await ctx.peer();
      assert.equal(source.capabilities.migration, true);
      assert.equal(destination.capabilities.migration, true);
    },
  },
  {
    id: 'migration/moves-running-domain',
    title: 'migrate moves a running domain: sane result, running on the destination, gone or shut off on the source',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await ctx.peer();
      const { source, destination } = p;
      const name = await p.migratable();
      await p.ready(name);
      const result = await source.migrate(name, destination, p.env);
      assert.equal(result.domain, name);
      assert.equal(result.sourceUri, source.uri);
      assert.equal(result.destinationUri, destination.uri);
      assert.ok(Number.isFinite(result.totalTimeMs) && result.totalTimeMs > 0, `totalTimeMs ${result.totalTimeMs}`);
      const started = Date.parse(result.startedAt);
      const ended = Date.parse(result.endedAt);
      assert.ok(
        Number.isFinite(started) && Number.isFinite(ended) && ended >= started,
        `startedAt ${result.startedAt}, endedAt ${result.endedAt}`,
      );
      if (result.downtimeMs !== undefined) {
        assert.ok(result.downtimeMs >= 0 && result.downtimeMs <= result.totalTimeMs, `downtimeMs ${result.downtimeMs}`);
      }
      if (result.iterations !== undefined)
        assert.ok(Number.isInteger(result.iterations) && result.iterations >= 0, `iterations ${result.iterations}`);
      if (result.dataTransferredBytes !== undefined) assert.ok(result.dataTransferredBytes >= 0);
      assert.equal(result.postCopy, false, 'postCopy was not requested');
      assert.ok(Array.isArray(result.stages.precopyRounds));
      for (const span of result.stages.precopyRounds)
        assert.ok(span.startMs >= 0 && span.endMs >= span.startMs, `round ${JSON.stringify(span)}`);
      assert.equal(typeof result.raw, 'object');
      assert.equal(await ctx.stateOf(destination, name), 'running');
      try {
        assert.equal(await ctx.stateOf(source, name), 'shutoff', 'the source still runs the migrated domain');
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'E_NOT_FOUND') throw e;
      }
    },
  },
  {
    id: 'migration/missing-domain',
    title: 'migrate of a missing domain fails with E_NOT_FOUND',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await ctx.peer();
      await rejectsWithCode(
        () => p.source.migrate(ctx.fresh(p.source), p.destination, p.env),
        'E_NOT_FOUND',
        'migrate',
      );
    },
  },
  {
    id: 'migration/failure-keeps-guest',
    title:
      'a failed migration (the name is taken on the destination) throws E_MIGRATION_FAILED and leaves the guest running and manageable on the source',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await ctx.peer();
      const { source, destination } = p;
      const taken = await takenOnDestination(ctx, p);
      await rejectsWithCode(
        () => source.migrate(taken.name, destination, withoutPreflight(source, p.env)),
        'E_MIGRATION_FAILED',
        'migrate onto a taken name',
      );
      assert.equal(await ctx.stateOf(source, taken.name), 'running');
      assert.equal(
        (await destination.lookupDomain(taken.name)).uuid,
        taken.uuid,
        'the destination domain was replaced',
      );
      // Still fully manageable on the source: no migration job or lock left behind.
      await source.suspendDomain(taken.name);
      assert.equal(await ctx.stateOf(source, taken.name), 'paused');
      await source.resumeDomain(taken.name);
      assert.equal(await ctx.stateOf(source, taken.name), 'running');
    },
  },
  {
    id: 'migration/failure-details',
    title:
      'E_MIGRATION_FAILED carries MigrationFailureDetails: domain, both URIs, sourceState running and domainOnDestination false',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await ctx.peer();
      const taken = await takenOnDestination(ctx, p);
      const e = await rejectsWithCode(
        () => p.source.migrate(taken.name, p.destination, withoutPreflight(p.source, p.env)),
        'E_MIGRATION_FAILED',
        'migrate onto a taken name',
      );
      assertFailureDetails(e, taken.name, p.source, p.destination);
    },
  },
  {
    id: 'migration/preflight-refusal',
    title:
      'migrate runs the preflight first: a taken name is refused with E_PREFLIGHT naming name-free, the guest running on the source and the destination domain untouched',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await ctx.peer();
      const taken = await takenOnDestination(ctx, p);
      const e = (await rejectsWithCode(
        () => p.source.migrate(taken.name, p.destination, p.env),
        'E_PREFLIGHT',
        'migrate onto a taken name',
      )) as PreflightError;
      assert.equal(e.check, 'name-free');
      assert.equal(e.report.ok, false);
      assert.equal(await ctx.stateOf(p.source, taken.name), 'running');
      assert.equal(
        (await p.destination.lookupDomain(taken.name)).uuid,
        taken.uuid,
        'the destination domain was replaced',
      );
    },
  },
  {
    id: 'migration/aborted-signal',
    title:
      'migrate with an aborted signal fails with E_ABORTED (or E_UNSUPPORTED without the signal option) and leaves the guest running on the source',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await ctx.peer();
      const name = await p.migratable();
      const controller = new AbortController();
      controller.abort();
      const code = p.source.capabilities.migrationOptions.has('signal') ? 'E_ABORTED' : 'E_UNSUPPORTED';
      await rejectsWithCode(
        () => p.source.migrate(name, p.destination, { ...p.env, signal: controller.signal }),
        code,
        'migrate with an aborted signal',
      );
      assert.equal(await ctx.stateOf(p.source, name), 'running');
      await rejectsWithCode(() => p.destination.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain on the destination');
    },
  },
  {
    id: 'migration/unoffered-option-refused',
    title:
      'migrate refuses every option missing from capabilities.migrationOptions with E_UNSUPPORTED before anything runs',
    async run(ctx) {
      const t = await refusalTarget(ctx, ctx.h.capabilities.migration && ctx.hasPeer);
      const unoffered = OPTION_KEYS.filter((k) => !t.source.capabilities.migrationOptions.has(k));
      // One guest for every refusal: a refused option must leave it exactly as it was, so the
      // same domain (same id) is still running after all of them; small hosts fit it too.
      const before = await t.source.lookupDomain(t.name);
      for (const key of unoffered) {
        const opts = { ...t.env, [key]: SAMPLE_MIGRATION_OPTIONS[key]() } as MigrationOptions;
        await rejectsWithCode(
          () => t.source.migrate(t.name, t.destination, opts),
          'E_UNSUPPORTED',
          `migrate with unoffered option ${key}`,
        );
        const after = await t.source.lookupDomain(t.name);
        assert.equal(after.state, 'running', `state after refusing ${key}`);
        assert.equal(after.id, before.id, `the domain was restarted while refusing ${key}`);
        if (t.separate) {
          await rejectsWithCode(
            () => t.destination.lookupDomain(t.name),
            'E_NOT_FOUND',
            `lookupDomain on the destination after refusing ${key}`,
          );
        }
      }
    },
  },
  {
    id: 'migration/unknown-option-refused',
    title: 'migrate refuses a key that is not a MigrationOptions field with E_INVALID_ARGUMENT before anything runs',
    async run(ctx) {
      const t = await refusalTarget(ctx, ctx.h.capabilities.migration && ctx.hasPeer);
      const before = await t.source.lookupDomain(t.name);
      await rejectsWithCode(
        () => t.source.migrate(t.name, t.destination, { ...t.env, notAMigrationOption: true } as MigrationOptions),
        'E_INVALID_ARGUMENT',
        'migrate with an unknown option',
      );
      const after = await t.source.lookupDomain(t.name);
      assert.equal(after.state, 'running');
      assert.equal(after.id, before.id, 'the domain was restarted while refusing an unknown option');
    },
  },
];

const CONTROLS: readonly MigrationControl[] = ['setMaxDowntime', 'setBandwidth', 'startPostCopy', 'abort'];

/** Calls one control of a job with a valid argument. */
const CONTROL_CALLS: { readonly [K in MigrationControl]: (job: MigrationJob) => Promise<void> } = {
  setMaxDowntime: (job) => job.setMaxDowntime(500),
  setBandwidth: (job) => job.setBandwidth(100),
  startPostCopy: (job) => job.startPostCopy(),
  abort: (job) => job.abort(),
};

/** The migration peer's source as a job-capable host, or undefined when the driver has no jobs. */
async function jobPeer(
  ctx: CheckContext,
): Promise<(CheckPeer & { jobs: Hypervisor & MigrationJobCapable }) | undefined> {
  const p = await ctx.peer();
  return isMigrationJobCapable(p.source) ? { ...p, jobs: p.source } : undefined;
}

/** Lets a job end whichever way it ends, so the check's cleanup finds no migration in flight. */
async function settled(job: MigrationJob): Promise<void> {
  await job.result.catch(() => undefined);
}

const MIGRATION_JOB: ConformanceCheck[] = [
  {
    id: 'migration-job/controls-declared',
    title: 'a job-capable driver declares its migration controls as a set of known control names',
    async run({ h }) {
      if (!isMigrationJobCapable(h)) return;
      assert.ok(h.migrationControls instanceof Set, 'migrationControls is a Set');
      for (const c of h.migrationControls) assert.ok(CONTROLS.includes(c), `unknown control ${String(c)}`);
    },
  },
  {
    id: 'migration-job/result-and-stats',
    title:
      'startMigration gives a job whose result is what migrate gives, whose stats iterator ends with the job, and whose controls then fail with E_STATE (or E_UNSUPPORTED when not declared)',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await jobPeer(ctx);
      if (p === undefined) return;
      const name = await p.migratable();
      await p.ready(name);
      const job = await p.jobs.startMigration(name, p.destination, p.env);
      assert.equal(job.domain, name);
      const samples: MigrationProgress[] = [];
      const reading = (async () => {
        for await (const s of job.stats()) samples.push(s);
      })();
      const result = await job.result;
      await reading;
      assert.equal(job.finished, true);
      assert.equal(result.domain, name);
      assert.equal(result.sourceUri, p.source.uri);
      assert.equal(result.destinationUri, p.destination.uri);
      assert.equal(result.postCopy, false);
      for (let i = 1; i < samples.length; i++)
        assert.ok(
          (samples[i] as MigrationProgress).elapsedMs >= (samples[i - 1] as MigrationProgress).elapsedMs,
          'stats in time order',
        );
      for (const s of samples) assert.ok(s.dataProcessedBytes >= 0 && s.dataRemainingBytes >= 0, JSON.stringify(s));
      for (const r of result.rounds ?? []) {
        assert.ok(Number.isInteger(r.iteration) && r.iteration >= 1, `round ${JSON.stringify(r)}`);
        assert.ok(r.endMs >= r.startMs && r.transferredBytes >= 0, `round ${JSON.stringify(r)}`);
        if (r.dirtyRateBps !== undefined) assert.ok(r.dirtyRateBps >= 0, `round ${JSON.stringify(r)}`);
      }
      assert.equal(await ctx.stateOf(p.destination, name), 'running');
      for (const c of CONTROLS) {
        const code = p.jobs.migrationControls.has(c) ? 'E_STATE' : 'E_UNSUPPORTED';
        // startPostCopy without options.postCopy is E_UNSUPPORTED whatever the state.
        const expected = c === 'startPostCopy' ? 'E_UNSUPPORTED' : code;
        await rejectsWithCode(() => CONTROL_CALLS[c](job), expected, `${c} after the job ended`);
      }
      const ended = await job.stats().next();
      assert.equal(ended.done, true, 'a stats iterator of an ended job ends at once');
    },
  },
  {
    id: 'migration-job/abort-keeps-guest',
    title:
      'abort on a running job rejects its result with E_ABORTED and leaves the guest running on the source and none on the destination (E_UNSUPPORTED when abort is not declared)',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await jobPeer(ctx);
      if (p === undefined) return;
      const name = await p.migratable();
      await p.ready(name);
      const job = await p.jobs.startMigration(name, p.destination, p.env);
      if (!p.jobs.migrationControls.has('abort')) {
        await rejectsWithCode(() => job.abort(), 'E_UNSUPPORTED', 'abort without the control');
        await settled(job);
        return;
      }
      await job.abort();
      await rejectsWithCode(() => job.result, 'E_ABORTED', 'the result of an aborted job');
      assert.equal(await ctx.stateOf(p.source, name), 'running');
      await rejectsWithCode(() => p.destination.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain on the destination');
    },
  },
  {
    id: 'migration-job/post-copy-needs-option',
    title: 'startPostCopy on a job started without options.postCopy fails with E_UNSUPPORTED',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await jobPeer(ctx);
      if (p === undefined) return;
      const name = await p.migratable();
      await p.ready(name);
      const job = await p.jobs.startMigration(name, p.destination, p.env);
      try {
        await rejectsWithCode(() => job.startPostCopy(), 'E_UNSUPPORTED', 'startPostCopy without options.postCopy');
      } finally {
        await settled(job);
      }
    },
  },
  {
    id: 'migration-job/bad-values-refused',
    title: 'setBandwidth and setMaxDowntime refuse values out of range with E_INVALID_ARGUMENT (when declared)',
    capability: 'migration',
    needs: 'peer',
    async run(ctx) {
      const p = await jobPeer(ctx);
      if (p === undefined) return;
      const name = await p.migratable();
      await p.ready(name);
      const job = await p.jobs.startMigration(name, p.destination, p.env);
      try {
        if (p.jobs.migrationControls.has('setBandwidth'))
          for (const v of [0, -1, Number.NaN])
            await rejectsWithCode(() => job.setBandwidth(v), 'E_INVALID_ARGUMENT', `setBandwidth(${v})`);
        if (p.jobs.migrationControls.has('setMaxDowntime'))
          for (const v of [0, -5, Number.POSITIVE_INFINITY])
            await rejectsWithCode(() => job.setMaxDowntime(v), 'E_INVALID_ARGUMENT', `setMaxDowntime(${v})`);
      } finally {
        await settled(job);
      }
    },
  },
];

/** Every built-in check, in run order. */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = Object.freeze([
  ...HOST,
  ...LIFECYCLE,
  ...MISSING,
  ...INVALID,
  ...RESOURCES,
  ...STATISTICS,
  ...DIRTY_RATE,
  ...EVENTS,
  ...SECRETS,
  ...CLOSED,
  ...PREFLIGHT,
  ...MIGRATION,
  ...MIGRATION_JOB,
]);

// A successful migration (or one caught running), and a dirty-rate measurement: the test driver
// implements neither (a driver that declares dirty-rate modes over it gets libvirt's "not supported").
const TEST_DRIVER_CANNOT = new Set([
  'migration/moves-running-domain',
  'migration-job/result-and-stats',
  'migration-job/abort-keeps-guest',
  'dirty-rate/measures-running',
]);

/**
 * The checks a driver on two libvirt test-driver hosts (`test:///default` and
 * `secondTestDriverHostUri()`, behind a stubbed binding) can honestly serve, for `only`: all but
 * the successful migration and the dirty-rate measurement, which the test driver cannot do, and
 * the checks that need a host keeping secrets (the test driver has no secret driver; the input and
 * closed-connection secret checks still run). Every migration failure path (missing domain, taken
 * name and its failure details, aborted signal, refused options) ends before a transfer. The
 * checks for drivers without migration are left out (the drivers declare it).
 */
export const TEST_DRIVER_PAIR_CHECK_IDS: readonly string[] = Object.freeze(
  CONFORMANCE_CHECKS.filter(
    (c) => c.needs !== 'no-peer' && !TEST_DRIVER_CANNOT.has(c.id) && c.capability !== 'secrets',
  ).map((c) => c.id),
);
