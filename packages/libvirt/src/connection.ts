import { InvalidArgumentError } from '@virtmig/core';
import { type BindingOptions, getBinding, type LibvirtBinding } from './binding.js';
import { Domain } from './domain-handle.js';
import type { Pointer } from './engine.js';
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

/** virConnectListAllDomains flags. */
export const LIST_FLAGS = ENUMS.virConnectListAllDomainsFlags;
