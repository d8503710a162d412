import type { LibvirtBinding } from './binding.js';
import type { Connection } from './connection.js';
import type { Pointer } from './engine.js';
import { NativeHandle } from './handle.js';
import { readStruct, readTypedParams, type TypedParam, TypedParamList, type TypedValue } from './memory.js';

/** virDomainInfo, decoded. */
export interface RawDomainInfo {
  /** virDomainState value. */
  readonly state: number;
  /** Maximum memory in KiB. */
  readonly maxMemKiB: number;
  /** Current memory in KiB. */
  readonly memoryKiB: number;
  /** Number of virtual CPUs. */
  readonly vcpus: number;
  /** CPU time used, in nanoseconds. */
  readonly cpuTimeNs: number;
}

const UUID_STRING_BUFLEN = 37;

/**
 * An idiomatic wrapper of one virDomainPtr. Methods that can block in the hypervisor are async
 * (worker thread); cheap local getters are sync. Call `free()` when done (a finalizer is the
 * safety net).
 */
export class Domain {
  private readonly handle: NativeHandle;

  constructor(
    /** The binding this domain's calls go through. */
    readonly binding: LibvirtBinding,
    pointer: Pointer,
  ) {
    this.handle = new NativeHandle(binding, pointer, 'virDomainFree', 'domain');
  }

  /** The raw virDomainPtr (valid until `free()`). */
  get pointer(): Pointer {
    return this.handle.pointer;
  }

  /** Whether `free()` was called. */
  get freed(): boolean {
    return this.handle.freed;
  }

  /**
   * Runs `fn` with the live pointer, which stays valid until `fn` settles even if `free()` is
   * called meanwhile: for calls that take a domain among other handles (virDomainOpenConsole).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   */
  use<T>(fn: (pointer: Pointer) => Promise<T>): Promise<T> {
    return this.handle.use(fn);
  }

  /**
   * The domain's name.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  name(): string {
    return this.binding.call('virDomainGetName', this.pointer) as string;
  }

  /**
   * The domain's UUID as a string.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  uuid(): string {
    const buf = this.binding.engine.alloc(UUID_STRING_BUFLEN);
    this.binding.call('virDomainGetUUIDString', this.pointer, buf);
    return buf.toString('utf8', 0, 36);
  }

  /**
   * The domain's id while it runs, else -1.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  id(): number {
    const id = this.binding.call('virDomainGetID', this.pointer) as number;
    return id === 0xffffffff ? -1 : id;
  }

  /**
   * Whether the domain has a persistent definition.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  isPersistent(): boolean {
    return (this.binding.call('virDomainIsPersistent', this.pointer) as number) === 1;
  }

  /**
   * Whether the domain is running (or paused).
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  isActive(): boolean {
    return (this.binding.call('virDomainIsActive', this.pointer) as number) === 1;
  }

  /** virDomainGetInfo on this thread: the hot path for sampling. */
  infoSync(): RawDomainInfo {
    const buf = this.binding.engine.alloc(40);
    this.binding.call('virDomainGetInfo', this.pointer, buf);
    const s = readStruct(this.binding, buf, 'virDomainInfo');
    return {
      state: s.state as number,
      maxMemKiB: Number(s.maxMem),
      memoryKiB: Number(s.memory),
      vcpus: s.nrVirtCpu as number,
      cpuTimeNs: Number(s.cpuTime),
    };
  }

  /**
   * The domain's XML description (virDomainGetXMLDesc with `flags`).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async xml(flags = 0): Promise<string> {
    return (await this.handle.use((p) => this.binding.callAsync('virDomainGetXMLDesc', p, flags))) as string;
  }

  /**
   * Starts the defined domain (virDomainCreateWithFlags).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async create(flags = 0): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainCreateWithFlags', p, flags));
  }

  /**
   * Stops the domain at once (virDomainDestroy).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async destroy(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainDestroy', p));
  }

  /**
   * Asks the guest to shut down (virDomainShutdown); returns before it has.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async shutdown(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainShutdown', p));
  }

  /**
   * Pauses the domain.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async suspend(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainSuspend', p));
  }

  /**
   * Resumes a paused domain.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async resume(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainResume', p));
  }

  /**
   * Removes the domain's persistent definition (virDomainUndefineFlags).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async undefine(flags = 0): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainUndefineFlags', p, flags));
  }

  /**
   * Sets the vCPU count (virDomainSetVcpusFlags, `flags` from virDomainVcpuFlags).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async setVcpus(n: number, flags: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainSetVcpusFlags', p, n, flags));
  }

  /**
   * Sets the memory in KiB (virDomainSetMemoryFlags).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async setMemory(kib: number, flags: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainSetMemoryFlags', p, kib, flags));
  }

  /**
   * Sets the maximum memory in KiB (virDomainSetMaxMemory).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async setMaxMemory(kib: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainSetMaxMemory', p, kib));
  }

  /** Scheduler parameters (e.g. Xen credit `cap`/`weight`, QEMU `vcpu_quota`/`vcpu_period`). */
  async schedulerParameters(flags = 0): Promise<Record<string, TypedValue>> {
    const nparams = this.binding.engine.alloc(4);
    // Only the parameter count is needed; the returned type name is freed by call().
    this.binding.call('virDomainGetSchedulerType', this.pointer, nparams);
    const n = nparams.readInt32LE(0);
    const buf = this.binding.engine.alloc(96 * Math.max(n, 1));
    nparams.writeInt32LE(n, 0);
    await this.handle.use((p) =>
      this.binding.callAsync('virDomainGetSchedulerParametersFlags', p, buf, nparams, flags),
    );
    return readTypedParams(this.binding, buf, nparams.readInt32LE(0));
  }

  /**
   * Sets scheduler parameters (virDomainSetSchedulerParametersFlags).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async setSchedulerParameters(params: readonly TypedParam[], flags = 0): Promise<void> {
    const list = new TypedParamList(this.binding, params);
    try {
      await this.handle.use((p) =>
        this.binding.callAsync('virDomainSetSchedulerParametersFlags', p, list.pointer, list.length, flags),
      );
    } finally {
      list.free();
    }
  }

  /**
   * Starts a dirty-rate measurement of `seconds` (virDomainStartDirtyRateCalc, `flags` from
   * virDomainDirtyRateCalcFlags); the result appears later in the `dirtyrate` stats group.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_UNSUPPORTED`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async startDirtyRateCalc(seconds: number, flags: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainStartDirtyRateCalc', p, seconds, flags));
  }

  /** Job statistics (VIR_DOMAIN_JOB_STATS_COMPLETED in `flags` for the last completed job). */
  async jobStats(flags = 0): Promise<{
    /** virDomainJobType value. */
    type: number;
    /** The job's typed parameters by name (e.g. `memory_remaining`). */
    stats: Record<string, TypedValue>;
  }> {
    const type = this.binding.engine.alloc(4);
    const params = this.binding.engine.alloc(8);
    const n = this.binding.engine.alloc(4);
    await this.handle.use((p) => this.binding.callAsync('virDomainGetJobStats', p, type, params, n, flags));
    const count = n.readInt32LE(0);
    const p = this.binding.readPointer(params, 0, 'virTypedParameterPtr', count);
    try {
      return { type: type.readInt32LE(0), stats: readTypedParams(this.binding, p, count) };
    } finally {
      this.binding.call('virTypedParamsFree', p, count);
    }
  }

  /**
   * Aborts the domain's current job, e.g. a migration (virDomainAbortJob).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async abortJob(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainAbortJob', p));
  }

  /**
   * Switches a running migration to post-copy (virDomainMigrateStartPostCopy).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async migrateStartPostCopy(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainMigrateStartPostCopy', p, 0));
  }

  /**
   * Sets the maximum tolerated downtime of a migration in milliseconds.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async migrateSetMaxDowntime(ms: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainMigrateSetMaxDowntime', p, ms, 0));
  }

  /**
   * Sets the bandwidth limit of a running migration in MiB/s (virDomainMigrateSetMaxSpeed).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` when the domain was already freed.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND`, `E_STATE`, ..., else `E_LIBVIRT`) when libvirt fails.
   */
  async migrateSetMaxSpeed(mibps: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainMigrateSetMaxSpeed', p, mibps, 0));
  }

  /**
   * virDomainMigrate3 to an open destination connection, on a worker thread; both this domain and
   * the destination stay alive until the call settles. Returns the domain on the destination.
   * @throws ClosedError `E_CLOSED` when this domain is freed or the destination closed.
   */
  async migrate3(dest: Connection, params: readonly TypedParam[], flags: number): Promise<Domain> {
    const list = new TypedParamList(this.binding, params);
    try {
      const p = await this.handle.use((p) =>
        dest.use((destConn) =>
          this.binding.callAsync('virDomainMigrate3', p, destConn, list.pointer, list.length, flags),
        ),
      );
      return new Domain(this.binding, p as Pointer);
    } finally {
      list.free();
    }
  }

  /** virDomainMigrateToURI3 (peer-to-peer when `flags` has VIR_MIGRATE_PEER2PEER), on a worker thread. */
  async migrateToUri3(destUri: string, params: readonly TypedParam[], flags: number): Promise<void> {
    const list = new TypedParamList(this.binding, params);
    try {
      await this.handle.use((p) =>
        this.binding.callAsync('virDomainMigrateToURI3', p, destUri, list.pointer, list.length, flags),
      );
    } finally {
      list.free();
    }
  }

  /** Frees the virDomainPtr. Idempotent. */
  free(): void {
    this.handle.free();
  }
}

/** libvirt's names for virDomainState values, in order. */
export const DOMAIN_STATES = [
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
] as const;
