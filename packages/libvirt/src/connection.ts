import { InvalidArgumentError, isVirtmigError } from '@virtmig/core';
import { type BindingOptions, getBinding, type LibvirtBinding } from './binding.js';
import { Domain } from './domain-handle.js';
import type { Pointer } from './engine.js';
import { LibvirtError } from './errors.js';
import { EventLoop } from './event-loop.js';
import { ENUMS } from './generated/enums.js';
import { NativeHandle } from './handle.js';
import { readStruct, type TypedValue, unpackStats } from './memory.js';
import { Secret } from './secret-handle.js';

/** virNodeInfo, decoded. */
export interface NodeInfo {
  /** CPU model, e.g. `x86_64`. */
  readonly model: string;
  /** Memory size in KiB. */
  readonly memoryKiB: number;
  /** Number of active CPUs. */
  readonly cpus: number;
  /** Expected CPU frequency in MHz. */
  readonly mhz: number;
  /** Number of NUMA nodes (1 for uniform memory access). */
  readonly nodes: number;
  /** CPU sockets per NUMA node. */
  readonly sockets: number;
  /** Cores per socket. */
  readonly cores: number;
  /** Threads per core. */
  readonly threads: number;
}

/** One record of virConnectGetAllDomainStats. */
export interface DomainStatsRecord {
  /** Name of the domain. */
  readonly name: string;
  /** Its statistics by typed-parameter name (e.g. `state.state`, `cpu.time`). */
  readonly stats: Record<string, TypedValue>;
}

/** What virConnectCompareHypervisorCPU, virConnectBaselineHypervisorCPU and virConnectGetDomainCapabilities compare against; unset fields are libvirt's defaults for the host. */
export interface HypervisorCpuTarget {
  /** Path of the emulator binary, e.g. `/usr/bin/qemu-system-x86_64`. */
  readonly emulator?: string;
  /** Guest architecture, e.g. `x86_64`. */
  readonly arch?: string;
  /** Machine type, e.g. `pc-i440fx-7.2`. */
  readonly machine?: string;
  /** Virtualization type, the `<domain type>`, e.g. `kvm` or `qemu`. */
  readonly virttype?: string;
}

/** libvirt's version numbers (major * 1,000,000 + minor * 1,000 + micro). */
export interface Versions {
  /** virConnectGetVersion: the hypervisor's. */
  readonly hypervisor: number;
  /** virConnectGetLibVersion: the daemon's libvirt. */
  readonly libvirt: number;
}

/** Whether a named host object (network, interface, storage pool) exists and runs. */
export type ObjectState = 'active' | 'inactive' | 'absent';

/** Options for {@link Connection.open}. */
export interface OpenOptions extends BindingOptions {
  /** Open read-only (virConnectOpenReadOnly). */
  readonly readonly?: boolean;
}

const formatVersion = (v: number): string => `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;

/**
 * An open libvirt connection (virConnectPtr). While open it keeps libvirt's event loop running
 * on a worker thread, so keepalives and events flow; `close()` stops it when the last connection goes.
 */
export class Connection {
  private readonly handle: NativeHandle;
  private readonly closeHooks = new Set<() => void>();
  /** The domain event loop of this connection. */
  readonly events: EventLoop;

  private constructor(
    /** The binding this connection's calls go through. */
    readonly binding: LibvirtBinding,
    pointer: Pointer,
    /** The URI the connection was opened with. */
    readonly uri: string,
  ) {
    const events = EventLoop.for(binding);
    // The release runs when the pointer goes, by close() or by the finalizer of a dropped
    // connection, so a script that forgets close() does not hold the event loop forever.
    this.handle = new NativeHandle(binding, pointer, 'virConnectClose', `connection to ${uri}`, () => events.release());
    this.events = events;
    events.acquire();
  }

  /**
   * Opens `uri` on a worker thread (remote URIs may take a while).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `uri` is empty or contains NUL.
   * @throws {@link LibvirtError} `E_LIBVIRT` when libvirt cannot open it (no daemon, refused, bad credentials).
   */
  static async open(uri: string, options: OpenOptions = {}): Promise<Connection> {
    if (typeof uri !== 'string' || uri.length === 0 || uri.includes('\0')) {
      throw new InvalidArgumentError('uri', `must be a non-empty string, got ${JSON.stringify(uri)}`);
    }
    const binding = getBinding(options);
    // Registering the default event implementation must precede the first open, or libvirt's
    // remote driver never starts keepalives and event delivery for this connection.
    EventLoop.for(binding).register();
    const p = await binding.callAsync(options.readonly ? 'virConnectOpenReadOnly' : 'virConnectOpen', uri);
    return new Connection(binding, p, uri);
  }

  /**
   * The raw virConnectPtr (valid until `close()`).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   */
  get pointer(): Pointer {
    return this.handle.pointer;
  }

  /** True once `close()` was called (calls in flight may still be finishing). */
  get closed(): boolean {
    return this.handle.freed;
  }

  /**
   * Runs `fn` with the live virConnectPtr and keeps the connection open until `fn` settles, even
   * when `close()` is called meanwhile: what every worker-thread call on it goes through.
   * @throws ClosedError `E_CLOSED` when the connection is already closed.
   */
  use<T>(fn: (pointer: Pointer) => Promise<T>): Promise<T> {
    return this.handle.use(fn);
  }

  /**
   * Registers `hook` to run when `close()` is called, before the connection waits for its calls
   * in flight (migrate() aborts its job there). Returns the function that removes it.
   */
  onClose(hook: () => void): () => void {
    this.closeHooks.add(hook);
    return () => this.closeHooks.delete(hook);
  }

  /**
   * The host's name.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  hostname(): string {
    return this.binding.call('virConnectGetHostname', this.pointer) as string;
  }

  /** The hypervisor type, e.g. `QEMU`, `Test`, `Xen`. */
  type(): string {
    return this.binding.call('virConnectGetType', this.pointer) as string;
  }

  /**
   * The hypervisor's version as `major.minor.micro`.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  hypervisorVersion(): string {
    const out = this.binding.engine.alloc(8);
    this.binding.call('virConnectGetVersion', this.pointer, out);
    return formatVersion(Number(out.readBigUInt64LE(0)));
  }

  /**
   * The libvirt version of the daemon as `major.minor.micro`.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  libVersion(): string {
    const out = this.binding.engine.alloc(8);
    this.binding.call('virConnectGetLibVersion', this.pointer, out);
    return formatVersion(Number(out.readBigUInt64LE(0)));
  }

  /**
   * The host's hardware (virNodeGetInfo).
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  nodeInfo(): NodeInfo {
    const buf = this.binding.engine.alloc(64);
    this.binding.call('virNodeGetInfo', this.pointer, buf);
    const s = readStruct(this.binding, buf, 'virNodeInfo');
    return {
      model: s.model as string,
      memoryKiB: Number(s.memory),
      cpus: s.cpus as number,
      mhz: s.mhz as number,
      nodes: s.nodes as number,
      sockets: s.sockets as number,
      cores: s.cores as number,
      threads: s.threads as number,
    };
  }

  /**
   * The host's capabilities XML.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async capabilities(): Promise<string> {
    return (await this.use((p) => this.binding.callAsync('virConnectGetCapabilities', p))) as string;
  }

  /**
   * Whether the connection is still alive (virConnectIsAlive).
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  isAlive(): boolean {
    return (this.binding.call('virConnectIsAlive', this.pointer) as number) === 1;
  }

  /**
   * Both versions in one round trip to the daemon (on a worker thread, so a dead destination
   * costs no blocked event loop): virConnectGetVersion and virConnectGetLibVersion as libvirt's
   * numbers (major * 1,000,000 + minor * 1,000 + micro).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} the mapped code, else `E_LIBVIRT`, when the daemon does not answer.
   */
  async versions(): Promise<Versions> {
    const hv = this.binding.engine.alloc(8);
    const lib = this.binding.engine.alloc(8);
    await this.use(async (p) => {
      await this.binding.callAsync('virConnectGetLibVersion', p, lib);
      await this.binding.callAsync('virConnectGetVersion', p, hv);
    });
    return { hypervisor: Number(hv.readBigUInt64LE(0)), libvirt: Number(lib.readBigUInt64LE(0)) };
  }

  /**
   * Free memory of the host in bytes (virNodeGetFreeMemory: the kernel's MemFree, page cache not counted).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_UNSUPPORTED` when the driver cannot tell (else the mapped code or `E_LIBVIRT`).
   */
  async freeMemoryBytes(): Promise<number> {
    return Number(await this.use((p) => this.binding.callAsync('virNodeGetFreeMemory', p)));
  }

  /**
   * virConnectCompareHypervisorCPU: how `cpuXml` (a `<cpu>` element) compares with the CPU this
   * host's hypervisor can provide for `target`; a virCPUCompareResult (0 incompatible, 1
   * identical, 2 superset). With VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE in `flags` an
   * incompatible CPU raises instead, with libvirt's reason (the missing features).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_UNSUPPORTED` when the driver cannot compare (else the mapped code or `E_LIBVIRT`).
   */
  async compareHypervisorCpu(cpuXml: string, target: HypervisorCpuTarget = {}, flags = 0): Promise<number> {
    return (await this.use((p) =>
      this.binding.callAsync(
        'virConnectCompareHypervisorCPU',
        p,
        target.emulator ?? null,
        target.arch ?? null,
        target.machine ?? null,
        target.virttype ?? null,
        cpuXml,
        flags,
      ),
    )) as number;
  }

  /**
   * virConnectBaselineHypervisorCPU: the most capable `<cpu>` compatible with every CPU in
   * `cpuXmls` that this host's hypervisor can provide for `target`.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_UNSUPPORTED` when the driver cannot compute it (else the mapped code or `E_LIBVIRT`).
   */
  async baselineHypervisorCpu(
    cpuXmls: readonly string[],
    target: HypervisorCpuTarget = {},
    flags = 0,
  ): Promise<string> {
    const engine = this.binding.engine;
    // A const char ** of JS-owned strings.
    const strings = cpuXmls.map((x) => Buffer.from(`${x}\0`, 'utf8'));
    const array = engine.alloc(8 * Math.max(1, strings.length));
    strings.forEach((b, i) => {
      array.writeBigUInt64LE(engine.address(b), i * 8);
    });
    return this.use(async (p) => {
      const xml = (await this.binding.callAsync(
        'virConnectBaselineHypervisorCPU',
        p,
        target.emulator ?? null,
        target.arch ?? null,
        target.machine ?? null,
        target.virttype ?? null,
        array,
        strings.length,
        flags,
      )) as string;
      // Referenced after the call, so the strings stay reachable while the worker thread reads them.
      strings.splice(0);
      return xml;
    });
  }

  /**
   * virConnectGetDomainCapabilities: what this host's hypervisor offers a guest of `target`
   * (CPU modes, host-model CPU, devices) as XML.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_UNSUPPORTED` when the driver has no domain capabilities (else the mapped code or `E_LIBVIRT`).
   */
  async domainCapabilities(target: HypervisorCpuTarget = {}): Promise<string> {
    return (await this.use((p) =>
      this.binding.callAsync(
        'virConnectGetDomainCapabilities',
        p,
        target.emulator ?? null,
        target.arch ?? null,
        target.machine ?? null,
        target.virttype ?? null,
        0,
      ),
    )) as string;
  }

  /**
   * True when a storage pool of this host holds a volume at `path` (virStorageVolLookupByPath).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} the mapped code, else `E_LIBVIRT`, for failures other than "no such volume".
   */
  async hasStorageVolume(path: string): Promise<boolean> {
    return this.lookupExists('virStorageVolLookupByPath', 'virStorageVolFree', path);
  }

  /**
   * True when this host has a storage pool `pool` holding a volume `volume`.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} the mapped code, else `E_LIBVIRT`, for failures other than "no such pool/volume".
   */
  async hasPoolVolume(pool: string, volume: string): Promise<boolean> {
    let poolPtr: Pointer;
    try {
      poolPtr = await this.use((p) => this.binding.callAsync('virStoragePoolLookupByName', p, pool));
    } catch (e) {
      if (isVirtmigError(e, 'E_NOT_FOUND')) return false;
      throw e;
    }
    try {
      return await this.lookupExists('virStorageVolLookupByName', 'virStorageVolFree', volume, poolPtr);
    } finally {
      this.binding.call('virStoragePoolFree', poolPtr);
    }
  }

  /**
   * True when this host has a secret with that UUID (virSecretLookupByUUIDString), e.g. an iSCSI CHAP secret.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} the mapped code, else `E_LIBVIRT`, for failures other than "no such secret".
   */
  async hasSecret(uuid: string): Promise<boolean> {
    return this.lookupExists('virSecretLookupByUUIDString', 'virSecretFree', uuid);
  }

  /**
   * Whether the virtual network `name` exists and is active (virNetworkLookupByName, virNetworkIsActive).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_UNSUPPORTED` without a network driver (else the mapped code or `E_LIBVIRT`).
   */
  async networkState(name: string): Promise<ObjectState> {
    return this.objectState('virNetworkLookupByName', 'virNetworkIsActive', 'virNetworkFree', name);
  }

  /**
   * Whether the host interface `name` (e.g. a bridge) exists and is up, as libvirt's interface
   * driver sees it (virInterfaceLookupByName, virInterfaceIsActive).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_UNSUPPORTED` without an interface driver (else the mapped code or `E_LIBVIRT`).
   */
  async interfaceState(name: string): Promise<ObjectState> {
    return this.objectState('virInterfaceLookupByName', 'virInterfaceIsActive', 'virInterfaceFree', name);
  }

  private async lookupExists(lookup: string, free: string, key: string, parent?: Pointer): Promise<boolean> {
    let found: Pointer;
    try {
      found = await this.use((p) => this.binding.callAsync(lookup, parent ?? p, key));
    } catch (e) {
      if (isNoSuchObject(e)) return false;
      throw e;
    }
    this.binding.call(free, found);
    return true;
  }

  private async objectState(lookup: string, isActive: string, free: string, name: string): Promise<ObjectState> {
    let found: Pointer;
    try {
      found = await this.use((p) => this.binding.callAsync(lookup, p, name));
    } catch (e) {
      if (isNoSuchObject(e)) return 'absent';
      throw e;
    }
    try {
      return (this.binding.call(isActive, found) as number) === 1 ? 'active' : 'inactive';
    } finally {
      this.binding.call(free, found);
    }
  }

  /** Every domain (virConnectListAllDomains); the caller frees each. */
  async listAllDomains(flags = 0): Promise<Domain[]> {
    const out = this.binding.engine.alloc(8);
    const n = (await this.use((p) => this.binding.callAsync('virConnectListAllDomains', p, out, flags))) as number;
    const arr = this.binding.readPointer(out, 0, 'virDomainPtr *', n);
    try {
      const domains: Domain[] = [];
      for (let i = 0; i < n; i++)
        domains.push(new Domain(this.binding, this.binding.readPointer(arr, i * 8, 'virDomainPtr')));
      return domains;
    } finally {
      this.binding.free(arr);
    }
  }

  /**
   * The domain called `name`; the caller frees it.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_NOT_FOUND` when there is no such domain (else the mapped code or `E_LIBVIRT`).
   */
  async lookupDomain(name: string): Promise<Domain> {
    return new Domain(this.binding, await this.use((p) => this.binding.callAsync('virDomainLookupByName', p, name)));
  }

  /** virDomainLookupByName on this thread (hot path for local drivers). */
  lookupDomainSync(name: string): Domain {
    return new Domain(this.binding, this.binding.call('virDomainLookupByName', this.pointer, name));
  }

  /**
   * Defines a persistent domain from `xml` (virDomainDefineXMLFlags); the caller frees it.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_INVALID_ARGUMENT` when libvirt rejects the XML (else the mapped code or `E_LIBVIRT`).
   */
  async defineXml(xml: string, flags = 0): Promise<Domain> {
    return new Domain(
      this.binding,
      await this.use((p) => this.binding.callAsync('virDomainDefineXMLFlags', p, xml, flags)),
    );
  }

  /**
   * Creates and starts a transient domain from `xml` (virDomainCreateXML); the caller frees it.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_INVALID_ARGUMENT` when libvirt rejects the XML (else the mapped code or `E_LIBVIRT`).
   */
  async createXml(xml: string, flags = 0): Promise<Domain> {
    return new Domain(this.binding, await this.use((p) => this.binding.callAsync('virDomainCreateXML', p, xml, flags)));
  }

  /**
   * Defines (or redefines, by UUID) a secret from `xml` (virSecretDefineXML); the caller frees it.
   * The XML goes to libvirt as given: {@link LibvirtHypervisor.defineSecret} builds and checks it.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_INVALID_ARGUMENT` when libvirt rejects the XML, `E_UNSUPPORTED` when the driver keeps no secrets (else the mapped code or `E_LIBVIRT`).
   */
  async defineSecretXml(xml: string, flags = 0): Promise<Secret> {
    return new Secret(this.binding, await this.use((p) => this.binding.callAsync('virSecretDefineXML', p, xml, flags)));
  }

  /**
   * The secret used by `usageId` of virSecretUsageType `usageType` (virSecretLookupByUsage); the caller frees it.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_NOT_FOUND` when no secret has that usage (else the mapped code or `E_LIBVIRT`).
   */
  async lookupSecretByUsage(usageType: number, usageId: string): Promise<Secret> {
    return new Secret(
      this.binding,
      await this.use((p) => this.binding.callAsync('virSecretLookupByUsage', p, usageType, usageId)),
    );
  }

  /**
   * The secret with UUID `uuid` in text form (virSecretLookupByUUIDString); the caller frees it.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_NOT_FOUND` when no secret has that UUID (else the mapped code or `E_LIBVIRT`).
   */
  async lookupSecretByUuid(uuid: string): Promise<Secret> {
    return new Secret(
      this.binding,
      await this.use((p) => this.binding.callAsync('virSecretLookupByUUIDString', p, uuid)),
    );
  }

  /**
   * Every secret (virConnectListAllSecrets with virConnectListAllSecretsFlags `flags`); the caller frees each.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the connection is closed.
   * @throws {@link LibvirtError} `E_UNSUPPORTED` when the driver keeps no secrets (else the mapped code or `E_LIBVIRT`).
   */
  async listAllSecrets(flags = 0): Promise<Secret[]> {
    const out = this.binding.engine.alloc(8);
    const n = (await this.use((p) => this.binding.callAsync('virConnectListAllSecrets', p, out, flags))) as number;
    const arr = this.binding.readPointer(out, 0, 'virSecretPtr *', n);
    try {
      const secrets: Secret[] = [];
      for (let i = 0; i < n; i++)
        secrets.push(new Secret(this.binding, this.binding.readPointer(arr, i * 8, 'virSecretPtr')));
      return secrets;
    } finally {
      this.binding.free(arr);
    }
  }

  /** virConnectGetAllDomainStats: every domain's statistics in one call. */
  async allDomainStats(stats = 0, flags = 0): Promise<DomainStatsRecord[]> {
    const out = this.binding.engine.alloc(8);
    const n = (await this.use((p) =>
      this.binding.callAsync('virConnectGetAllDomainStats', p, stats, out, flags),
    )) as number;
    return this.decodeStatsRecords(out, n);
  }

  /** The same on this thread (used by the benchmark to compare like with like). */
  allDomainStatsSync(stats = 0, flags = 0): DomainStatsRecord[] {
    const out = this.binding.engine.alloc(8);
    const n = this.binding.call('virConnectGetAllDomainStats', this.pointer, stats, out, flags) as number;
    return this.decodeStatsRecords(out, n);
  }

  private decodeStatsRecords(out: Buffer, n: number): DomainStatsRecord[] {
    const list = this.binding.readPointer(out, 0, 'virDomainStatsRecordPtr *', n);
    try {
      return unpackStats(this.binding.pack('virtmig_pack_stats', list, n));
    } finally {
      this.binding.call('virDomainStatsRecordListFree', list);
    }
  }

  /**
   * Closes the connection: new calls get `E_CLOSED` at once, the close hooks run, and the
   * virConnectPtr is released once the calls in flight settle (they complete or fail with a typed
   * error). The event loop stops with the last connection. Idempotent; resolves once released.
   */
  close(): Promise<void> {
    if (!this.handle.freed) {
      this.events.removeConnection(this);
      for (const hook of [...this.closeHooks]) {
        try {
          hook();
        } catch {
          // One failing hook must not keep the connection open or skip the others.
        }
      }
      this.closeHooks.clear();
      this.handle.free();
    }
    return this.handle.released();
  }
}

// libvirt names "no such interface" with a code virtmig does not map onto E_NOT_FOUND.
function isNoSuchObject(e: unknown): boolean {
  return (
    isVirtmigError(e, 'E_NOT_FOUND') ||
    (e instanceof LibvirtError &&
      (e.libvirtCodeName === 'VIR_ERR_NO_INTERFACE' || e.libvirtCodeName === 'VIR_ERR_NO_SECRET'))
  );
}

/** virConnectListAllDomains flags. */
export const LIST_FLAGS = ENUMS.virConnectListAllDomainsFlags;
