import assert from 'node:assert/strict';
import {
  type DomainConfig,
  type DomainEvent,
  type Hypervisor,
  isEventCapable,
  type MigrationOptions,
} from '@virtmig/core';
import { eventually, rejectsWithCode, removeDomain, uniqueDomainName } from './conformance-helpers.js';

/** What {@link runConformance} needs to exercise a driver. */
export interface ConformanceOptions {
  /** Names the suite: `Hypervisor contract: NAME`. */
  readonly name: string;
  /** Opens a new connection to the host under test; called several times (one connection per group). */
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
}

/** What {@link ConformanceOptions.migrationPeer} returns. */
export interface MigrationPeer {
  readonly source: Hypervisor;
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

/** A sample value for each migration option, for the check that unoffered options are refused. */
const SAMPLE_OPTION: { readonly [K in keyof MigrationOptions]-?: () => MigrationOptions[K] } = {
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
  timeoutMs: () => 600_000,
  signal: () => new AbortController().signal,
  onProgress: () => () => undefined,
};

const VERSION = /^\d+\.\d+\.\d+$/;

type MochaGlobals = Pick<typeof globalThis, 'describe' | 'it' | 'before' | 'after' | 'afterEach'>;

function mochaGlobals(): MochaGlobals {
  const g = globalThis as Partial<MochaGlobals>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function') {
    throw new Error('runConformance registers mocha tests: call it at the top level of a file that mocha loads');
  }
  return g as MochaGlobals;
}

/**
 * Registers mocha `describe`/`it` blocks that prove a driver honours the {@link Hypervisor}
 * contract: host info, the domain state machine, typed errors (E_NOT_FOUND, E_STATE,
 * E_INVALID_ARGUMENT, E_UNSUPPORTED, E_CLOSED), resource round trips as the capabilities
 * declare, CPU time, events and migration. Call it from a test file of the driver package,
 * as typescript-eslint's RuleTester is called. Every test uses its own domain names and
 * removes its domains afterwards, also when it fails.
 */
export function runConformance(options: ConformanceOptions): void {
  const { describe, it, before, after, afterEach } = mochaGlobals();
  const timeoutMs = options.timeoutMs ?? 10_000;

  describe(`Hypervisor contract: ${options.name}`, function () {
    this.timeout(timeoutMs);
    let h: Hypervisor;
    const owned: { h: Hypervisor; name: string }[] = [];

    /** Reserves a fresh name on `on` (default: the main connection) and removes it after the test. */
    function fresh(on: Hypervisor = h): string {
      const name = uniqueDomainName();
      owned.push({ h: on, name });
      return name;
    }

    function config(name: string): DomainConfig {
      const c = options.domainConfig(name);
      if (c.xml !== undefined)
        throw new Error('runConformance: domainConfig() must return a structured DomainConfig, not xml');
      return c;
    }

    async function defined(on: Hypervisor = h): Promise<string> {
      const name = fresh(on);
      await on.defineDomain(config(name));
      return name;
    }

    async function running(on: Hypervisor = h): Promise<string> {
      const name = await defined(on);
      await on.startDomain(name);
      return name;
    }

    async function stateOf(on: Hypervisor, name: string): Promise<string> {
      return (await on.lookupDomain(name)).state;
    }

    before(async () => {
      h = await options.connect();
    });
    afterEach(async () => {
      for (const { h: on, name } of owned.splice(0)) await removeDomain(on, name);
    });
    after(async () => {
      if (h) await h.close();
      if (options.cleanup) await options.cleanup();
    });

    describe('host', () => {
      it('hostInfo reports positive CPUs, memory and topology, a hostname and x.y.z versions', async () => {
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
      });

      it('capabilitiesXml returns a <capabilities> document with a <host> element', async () => {
        const xml = await h.capabilitiesXml();
        assert.match(xml, /^\s*(<\?xml[^>]*\?>\s*)?<capabilities[\s>]/);
        assert.match(xml, /<host[\s>]/);
        assert.match(xml, /<\/capabilities>\s*$/);
      });

      it('an open connection has a uri, a driver name, closed === false and boolean capabilities', () => {
        assert.ok(typeof h.uri === 'string' && h.uri.includes('://'), `uri ${String(h.uri)}`);
        assert.ok(typeof h.driver === 'string' && h.driver.length > 0, 'driver is empty');
        assert.equal(h.closed, false);
        const caps = h.capabilities;
        for (const key of ['migration', 'cpuCap', 'vcpuHotplug', 'memoryBalloon', 'events'] as const) {
          assert.equal(typeof caps[key], 'boolean', `capabilities.${key}`);
        }
        assert.ok(caps.migrationOptions instanceof Set, 'capabilities.migrationOptions must be a Set');
        for (const key of caps.migrationOptions)
          assert.ok(key in SAMPLE_OPTION, `capabilities.migrationOptions lists unknown option ${String(key)}`);
      });
    });

    describe('domain lifecycle', () => {
      it('defineDomain returns a persistent, shut-off domain with the configured vCPUs and memory', async () => {
        const name = fresh();
        const c = config(name);
        const info = await h.defineDomain(c);
        assert.equal(info.name, name);
        assert.equal(info.state, 'shutoff');
        assert.equal(info.persistent, true);
        assert.equal(info.id, -1);
        assert.equal(info.vcpus, c.vcpus);
        assert.equal(info.maxMemoryKiB, c.memoryMiB * 1024);
        assert.ok(info.uuid.length > 0, 'uuid is empty');
      });

      it('lookupDomain finds a defined domain and listDomains includes it', async () => {
        const name = await defined();
        const info = await h.lookupDomain(name);
        assert.equal(info.name, name);
        assert.equal(info.state, 'shutoff');
        const list = await h.listDomains();
        assert.ok(Array.isArray(list));
        const listed = list.find((d) => d.name === name);
        assert.ok(listed, `listDomains does not include ${name}`);
        assert.equal(listed.uuid, info.uuid);
      });

      it('domainXml of a defined domain is a <domain> document naming it', async () => {
        const name = await defined();
        const xml = await h.domainXml(name);
        assert.match(xml, /<domain[\s>]/);
        assert.ok(xml.includes(`<name>${name}</name>`), 'the XML does not name the domain');
      });

      it('startDomain makes a defined domain running with an id >= 0', async () => {
        const name = await defined();
        await h.startDomain(name);
        const info = await h.lookupDomain(name);
        assert.equal(info.state, 'running');
        assert.ok(info.id >= 0, `id ${info.id}`);
      });

      it('suspendDomain makes a running domain paused', async () => {
        const name = await running();
        await h.suspendDomain(name);
        assert.equal(await stateOf(h, name), 'paused');
      });

      it('resumeDomain makes a paused domain running again', async () => {
        const name = await running();
        await h.suspendDomain(name);
        await h.resumeDomain(name);
        assert.equal(await stateOf(h, name), 'running');
      });

      it('destroyDomain makes a running domain shut off with id -1', async () => {
        const name = await running();
        await h.destroyDomain(name);
        const info = await h.lookupDomain(name);
        assert.equal(info.state, 'shutoff');
        assert.equal(info.id, -1);
      });

      it('undefineDomain removes a shut-off domain so lookupDomain fails with E_NOT_FOUND', async () => {
        const name = await defined();
        await h.undefineDomain(name);
        await rejectsWithCode(() => h.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain after undefineDomain');
        assert.ok(
          !(await h.listDomains()).some((d) => d.name === name),
          'listDomains still lists the undefined domain',
        );
      });

      it('define → start → suspend → resume → destroy → undefine passes through shutoff, running, paused, running, shutoff, gone', async () => {
        const name = fresh();
        await h.defineDomain(config(name));
        assert.equal(await stateOf(h, name), 'shutoff');
        await h.startDomain(name);
        assert.equal(await stateOf(h, name), 'running');
        await h.suspendDomain(name);
        assert.equal(await stateOf(h, name), 'paused');
        await h.resumeDomain(name);
        assert.equal(await stateOf(h, name), 'running');
        await h.destroyDomain(name);
        assert.equal(await stateOf(h, name), 'shutoff');
        await h.undefineDomain(name);
        await rejectsWithCode(() => h.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain after the cycle');
      });

      it('startDomain on a running domain fails with E_STATE and leaves it running', async () => {
        const name = await running();
        await rejectsWithCode(() => h.startDomain(name), 'E_STATE', 'second startDomain');
        assert.equal(await stateOf(h, name), 'running');
      });

      it('destroyDomain on a shut-off domain fails with E_STATE', async () => {
        const name = await defined();
        await rejectsWithCode(() => h.destroyDomain(name), 'E_STATE', 'destroyDomain of a shut-off domain');
        assert.equal(await stateOf(h, name), 'shutoff');
      });

      it('shutdownDomain is accepted for a running domain and refused with E_STATE for a shut-off one', async () => {
        const name = await running();
        await h.shutdownDomain(name);
        const off = await defined();
        await rejectsWithCode(() => h.shutdownDomain(off), 'E_STATE', 'shutdownDomain of a shut-off domain');
      });

      it('undefineDomain of a running domain leaves it running as a transient domain that vanishes when destroyed', async () => {
        const name = await running();
        await h.undefineDomain(name);
        const info = await h.lookupDomain(name);
        assert.equal(info.state, 'running');
        assert.equal(info.persistent, false);
        await h.destroyDomain(name);
        await rejectsWithCode(
          () => h.lookupDomain(name),
          'E_NOT_FOUND',
          'lookupDomain of a destroyed transient domain',
        );
      });
    });

    describe('missing domains', () => {
      const byName: Record<string, (h: Hypervisor, name: string) => Promise<unknown>> = {
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
      };
      for (const [method, call] of Object.entries(byName)) {
        it(`${method} of a missing domain fails with E_NOT_FOUND`, async () => {
          // A driver without CPU caps may refuse the cap methods before looking the domain up.
          const codes =
            method.endsWith('CpuCap') && !h.capabilities.cpuCap ? ['E_NOT_FOUND', 'E_UNSUPPORTED'] : ['E_NOT_FOUND'];
          await rejectsWithCode(() => call(h, fresh()), codes, method);
        });
      }
    });

    describe('invalid input', () => {
      async function assertNothingDefined(before: Set<string>, name: string | undefined): Promise<void> {
        const after = (await h.listDomains()).map((d) => d.name).filter((n) => !before.has(n));
        assert.deepEqual(after, [], 'a rejected config defined a domain');
        if (name)
          await rejectsWithCode(() => h.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain after a rejected define');
      }

      async function names(): Promise<Set<string>> {
        return new Set((await h.listDomains()).map((d) => d.name));
      }

      it('defineDomain with an invalid name fails with E_INVALID_ARGUMENT and defines nothing', async () => {
        const before = await names();
        const base = config(fresh());
        for (const bad of ['', 'bad name', '../escape', `x${'y'.repeat(300)}`, 'a<b>']) {
          await rejectsWithCode(
            () => h.defineDomain({ ...base, name: bad }),
            'E_INVALID_ARGUMENT',
            `defineDomain(name ${JSON.stringify(bad.slice(0, 20))})`,
          );
        }
        await assertNothingDefined(before, undefined);
      });

      it('defineDomain with 0 vCPUs fails with E_INVALID_ARGUMENT and defines nothing', async () => {
        const before = await names();
        const name = fresh();
        await rejectsWithCode(
          () => h.defineDomain({ ...config(name), vcpus: 0 }),
          'E_INVALID_ARGUMENT',
          'defineDomain(vcpus 0)',
        );
        await assertNothingDefined(before, name);
      });

      it('defineDomain with negative memory fails with E_INVALID_ARGUMENT and defines nothing', async () => {
        const before = await names();
        const name = fresh();
        await rejectsWithCode(
          () => h.defineDomain({ ...config(name), memoryMiB: -128 }),
          'E_INVALID_ARGUMENT',
          'defineDomain(memoryMiB -128)',
        );
        await assertNothingDefined(before, name);
      });

      it('setVcpus to 0 fails with E_INVALID_ARGUMENT and leaves the vCPU count unchanged', async () => {
        const name = await defined();
        const before = await h.lookupDomain(name);
        await rejectsWithCode(() => h.setVcpus(name, 0), 'E_INVALID_ARGUMENT', 'setVcpus(0)');
        assert.equal((await h.lookupDomain(name)).vcpus, before.vcpus);
      });

      it('setMemory to a negative size fails with E_INVALID_ARGUMENT and leaves memory unchanged', async () => {
        const name = await defined();
        const before = await h.lookupDomain(name);
        await rejectsWithCode(() => h.setMemory(name, -1), 'E_INVALID_ARGUMENT', 'setMemory(-1)');
        const after = await h.lookupDomain(name);
        assert.equal(after.memoryKiB, before.memoryKiB);
        assert.equal(after.maxMemoryKiB, before.maxMemoryKiB);
      });

      it('setCpuCap to a negative percentage fails with E_INVALID_ARGUMENT (or E_UNSUPPORTED without capabilities.cpuCap) and changes nothing', async () => {
        const name = await running();
        const before = await h.getCpuCap(name);
        await rejectsWithCode(
          () => h.setCpuCap(name, -1),
          h.capabilities.cpuCap ? 'E_INVALID_ARGUMENT' : ['E_INVALID_ARGUMENT', 'E_UNSUPPORTED'],
          'setCpuCap(-1)',
        );
        assert.equal(await h.getCpuCap(name), before);
      });
    });

    describe('resources', () => {
      it('setVcpus on a shut-off domain changes its vCPU count', async () => {
        const name = fresh();
        const base = config(name);
        await h.defineDomain({ ...base, maxVcpus: Math.max(base.maxVcpus ?? base.vcpus, base.vcpus + 1) });
        await h.setVcpus(name, base.vcpus + 1);
        assert.equal((await h.lookupDomain(name)).vcpus, base.vcpus + 1);
      });

      it('setMemory on a shut-off domain changes its memory', async () => {
        const name = await defined();
        const target = Math.max(1, Math.floor(config(name).memoryMiB / 2));
        await h.setMemory(name, target);
        assert.equal((await h.lookupDomain(name)).memoryKiB, target * 1024);
      });

      it('setVcpus on a running domain follows capabilities.vcpuHotplug (changes the count, or fails with E_UNSUPPORTED)', async () => {
        const name = fresh();
        const base = config(name);
        await h.defineDomain({ ...base, maxVcpus: Math.max(base.maxVcpus ?? base.vcpus, base.vcpus + 1) });
        await h.startDomain(name);
        if (h.capabilities.vcpuHotplug) {
          await h.setVcpus(name, base.vcpus + 1);
          await eventually(
            async () => (await h.lookupDomain(name)).vcpus === base.vcpus + 1,
            timeoutMs / 2,
            'live vCPU change',
          );
        } else {
          await rejectsWithCode(
            () => h.setVcpus(name, base.vcpus + 1),
            'E_UNSUPPORTED',
            'setVcpus on a running domain',
          );
          assert.equal((await h.lookupDomain(name)).vcpus, base.vcpus);
        }
      });

      it('setMemory on a running domain follows capabilities.memoryBalloon (changes current memory, or fails with E_UNSUPPORTED)', async () => {
        const name = await running();
        const target = Math.max(1, Math.floor(config(name).memoryMiB / 2));
        const before = await h.lookupDomain(name);
        if (h.capabilities.memoryBalloon) {
          await h.setMemory(name, target);
          await eventually(
            async () => (await h.lookupDomain(name)).memoryKiB === target * 1024,
            timeoutMs / 2,
            'live memory change',
          );
        } else {
          await rejectsWithCode(() => h.setMemory(name, target), 'E_UNSUPPORTED', 'setMemory on a running domain');
          assert.equal((await h.lookupDomain(name)).memoryKiB, before.memoryKiB);
        }
      });

      it('setCpuCap follows capabilities.cpuCap (getCpuCap returns 50 then 0, or setCpuCap fails with E_UNSUPPORTED)', async () => {
        const name = await running();
        if (h.capabilities.cpuCap) {
          await h.setCpuCap(name, 50);
          assert.equal(await h.getCpuCap(name), 50);
          await h.setCpuCap(name, 0);
          assert.equal(await h.getCpuCap(name), 0);
        } else {
          await rejectsWithCode(() => h.setCpuCap(name, 50), 'E_UNSUPPORTED', 'setCpuCap without capabilities.cpuCap');
        }
      });
    });

    describe('statistics', () => {
      it('allDomainStats includes a running domain with state running', async () => {
        const name = await running();
        const stats = await h.allDomainStats();
        const mine = stats.find((s) => s.name === name);
        assert.ok(mine, `allDomainStats does not include ${name}`);
        assert.equal(mine.state, 'running');
        assert.equal(typeof mine.fields, 'object');
      });

      it('allDomainStats reports increasing cpuTimeNs for a running domain', async () => {
        const name = await running();
        const sample = async (): Promise<number> => {
          const cpu = (await h.allDomainStats()).find((s) => s.name === name)?.cpuTimeNs;
          assert.ok(typeof cpu === 'number' && cpu >= 0, `cpuTimeNs of ${name}: ${String(cpu)}`);
          return cpu;
        };
        const first = await sample();
        await eventually(async () => (await sample()) > first, timeoutMs / 2, 'cpuTimeNs increase');
      });

      it('cpuTimeNs from lookupDomain never decreases while a domain runs, pauses and resumes', async () => {
        const name = await running();
        const samples: number[] = [];
        const take = async (): Promise<void> => {
          samples.push((await h.lookupDomain(name)).cpuTimeNs);
        };
        await take();
        await new Promise((resolve) => setTimeout(resolve, 20));
        await take();
        await h.suspendDomain(name);
        await take();
        await new Promise((resolve) => setTimeout(resolve, 20));
        await take();
        await h.resumeDomain(name);
        await take();
        await new Promise((resolve) => setTimeout(resolve, 20));
        await take();
        for (let i = 1; i < samples.length; i++) {
          assert.ok((samples[i] ?? 0) >= (samples[i - 1] ?? 0), `cpuTimeNs went down: ${samples.join(' → ')}`);
        }
      });
    });

    describe('events', () => {
      it('capabilities.events matches the driver: a started event arrives for startDomain, or no onDomainEvent is offered', async () => {
        if (!h.capabilities.events) {
          assert.equal(isEventCapable(h), false, 'capabilities.events is false but the driver offers onDomainEvent');
          return;
        }
        assert.ok(isEventCapable(h), 'capabilities.events is true but the driver has no onDomainEvent');
        const name = await defined();
        const seen: DomainEvent[] = [];
        const unsubscribe = h.onDomainEvent((e) => seen.push(e));
        try {
          await h.startDomain(name);
          await eventually(
            async () => seen.some((e) => e.domain === name && e.kind === 'started'),
            timeoutMs / 2,
            'started event',
          );
        } finally {
          unsubscribe();
        }
      });
    });

    describe('closed connection', () => {
      let closed: Hypervisor;
      before(async () => {
        closed = await options.connect();
        await closed.close();
      });

      it('close() sets closed and can be called again', async () => {
        assert.equal(closed.closed, true);
        await closed.close();
        assert.equal(closed.closed, true);
      });

      const calls: Record<string, (c: Hypervisor, name: string) => Promise<unknown>> = {
        hostInfo: (c) => c.hostInfo(),
        capabilitiesXml: (c) => c.capabilitiesXml(),
        listDomains: (c) => c.listDomains(),
        lookupDomain: (c, n) => c.lookupDomain(n),
        defineDomain: (c, n) => c.defineDomain(config(n)),
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
        migrate: (c, n) => c.migrate(n, h),
      };
      for (const [method, call] of Object.entries(calls)) {
        it(`${method} on a closed connection fails with E_CLOSED`, async () => {
          await rejectsWithCode(() => call(closed, fresh()), 'E_CLOSED', method);
        });
      }
    });

    describe('migration', () => {
      const peer = options.migrationPeer;
      if (!peer) {
        it('capabilities.migration is false when no migration peer is configured', () => {
          assert.equal(
            h.capabilities.migration,
            false,
            'the driver declares migration but the suite was given no migrationPeer',
          );
        });

        it('migrate fails with E_UNSUPPORTED when capabilities.migration is false', async () => {
          const other = await options.connect();
          try {
            const name = await running();
            await rejectsWithCode(
              () => h.migrate(name, other),
              'E_UNSUPPORTED',
              'migrate without capabilities.migration',
            );
            assert.equal(await stateOf(h, name), 'running');
          } finally {
            await other.close();
          }
        });
        return;
      }

      let source: Hypervisor;
      let destination: Hypervisor;
      let env: MigrationOptions = {};
      let ready: (name: string) => Promise<void> = async () => {};
      before(async () => {
        const given = await peer();
        ({ source, destination } = given);
        env = given.migrationOptions ?? {};
        if (given.ready) ready = given.ready;
        for (const key of Object.keys(env) as (keyof MigrationOptions)[]) {
          if (!source.capabilities.migrationOptions.has(key))
            throw new Error(`migrationPeer's migrationOptions sets ${key}, which the source does not offer`);
        }
      });
      after(async () => {
        await source?.close();
        await destination?.close();
      });

      /** A running domain on the source whose name is also cleaned up on the destination. */
      async function migratable(): Promise<string> {
        const name = await running(source);
        owned.push({ h: destination, name });
        return name;
      }

      it('capabilities.migration is true on both peers', () => {
        assert.equal(source.capabilities.migration, true);
        assert.equal(destination.capabilities.migration, true);
      });

      it('migrate moves a running domain: sane result, running on the destination, gone or shut off on the source', async () => {
        const name = await migratable();
        await ready(name);
        const result = await source.migrate(name, destination, env);
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
          assert.ok(
            result.downtimeMs >= 0 && result.downtimeMs <= result.totalTimeMs,
            `downtimeMs ${result.downtimeMs}`,
          );
        }
        if (result.iterations !== undefined)
          assert.ok(Number.isInteger(result.iterations) && result.iterations >= 0, `iterations ${result.iterations}`);
        if (result.dataTransferredBytes !== undefined) assert.ok(result.dataTransferredBytes >= 0);
        assert.equal(result.postCopy, false, 'postCopy was not requested');
        assert.ok(Array.isArray(result.stages.precopyRounds));
        for (const span of result.stages.precopyRounds)
          assert.ok(span.startMs >= 0 && span.endMs >= span.startMs, `round ${JSON.stringify(span)}`);
        assert.equal(typeof result.raw, 'object');
        assert.equal(await stateOf(destination, name), 'running');
        try {
          assert.equal(await stateOf(source, name), 'shutoff', 'the source still runs the migrated domain');
        } catch (e) {
          if ((e as { code?: unknown }).code !== 'E_NOT_FOUND') throw e;
        }
      });

      it('migrate of a missing domain fails with E_NOT_FOUND', async () => {
        await rejectsWithCode(() => source.migrate(fresh(source), destination, env), 'E_NOT_FOUND', 'migrate');
      });

      it('a failed migration (the name is taken on the destination) throws E_MIGRATION_FAILED and leaves the guest running and manageable on the source', async () => {
        const name = await migratable();
        await destination.defineDomain(config(name));
        await destination.startDomain(name);
        const before = await destination.lookupDomain(name);
        await rejectsWithCode(
          () => source.migrate(name, destination, env),
          'E_MIGRATION_FAILED',
          'migrate onto a taken name',
        );
        assert.equal(await stateOf(source, name), 'running');
        assert.equal((await destination.lookupDomain(name)).uuid, before.uuid, 'the destination domain was replaced');
        // Still fully manageable on the source: no migration job or lock left behind.
        await source.suspendDomain(name);
        assert.equal(await stateOf(source, name), 'paused');
        await source.resumeDomain(name);
        assert.equal(await stateOf(source, name), 'running');
      });

      it('migrate with an aborted signal fails with E_ABORTED (or E_UNSUPPORTED without the signal option) and leaves the guest running on the source', async () => {
        const name = await migratable();
        const controller = new AbortController();
        controller.abort();
        const code = source.capabilities.migrationOptions.has('signal') ? 'E_ABORTED' : 'E_UNSUPPORTED';
        await rejectsWithCode(
          () => source.migrate(name, destination, { ...env, signal: controller.signal }),
          code,
          'migrate with an aborted signal',
        );
        assert.equal(await stateOf(source, name), 'running');
        await rejectsWithCode(() => destination.lookupDomain(name), 'E_NOT_FOUND', 'lookupDomain on the destination');
      });

      it('migrate refuses every option missing from capabilities.migrationOptions with E_UNSUPPORTED before anything runs', async () => {
        const unoffered = (Object.keys(SAMPLE_OPTION) as (keyof MigrationOptions)[]).filter(
          (k) => !source.capabilities.migrationOptions.has(k),
        );
        // One guest for every refusal: a refused option must leave it exactly as it was, so the
        // same domain (same id) is still running after all of them; small hosts fit it too.
        const name = await migratable();
        const before = await source.lookupDomain(name);
        for (const key of unoffered) {
          const opts = { ...env, [key]: SAMPLE_OPTION[key]() } as MigrationOptions;
          await rejectsWithCode(
            () => source.migrate(name, destination, opts),
            'E_UNSUPPORTED',
            `migrate with unoffered option ${key}`,
          );
          const after = await source.lookupDomain(name);
          assert.equal(after.state, 'running', `state after refusing ${key}`);
          assert.equal(after.id, before.id, `the domain was restarted while refusing ${key}`);
          await rejectsWithCode(
            () => destination.lookupDomain(name),
            'E_NOT_FOUND',
            `lookupDomain on the destination after refusing ${key}`,
          );
        }
      });
    });
  });
}
