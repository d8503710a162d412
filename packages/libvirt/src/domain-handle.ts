import type { LibvirtBinding } from './binding.js';
import type { Connection } from './connection.js';
import type { Pointer } from './engine.js';
import { NativeHandle } from './handle.js';
import { readStruct, readTypedParams, type TypedParam, TypedParamList, type TypedValue } from './memory.js';

/** virDomainInfo, decoded. */
export interface RawDomainInfo {
  /** virDomainState value. */
  readonly state: number;
  readonly maxMemKiB: number;
  readonly memoryKiB: number;
  readonly vcpus: number;
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
    readonly binding: LibvirtBinding,
    pointer: Pointer,
  ) {
    this.handle = new NativeHandle(binding, pointer, 'virDomainFree', 'domain');
  }

  /** The raw virDomainPtr (valid until `free()`). */
  get pointer(): Pointer {
    return this.handle.pointer;
  }

  get freed(): boolean {
    return this.handle.freed;
  }

  name(): string {
    return this.binding.call('virDomainGetName', this.pointer) as string;
  }

  uuid(): string {
    const buf = this.binding.engine.alloc(UUID_STRING_BUFLEN);
    this.binding.call('virDomainGetUUIDString', this.pointer, buf);
    return buf.toString('utf8', 0, 36);
  }

  id(): number {
    const id = this.binding.call('virDomainGetID', this.pointer) as number;
    return id === 0xffffffff ? -1 : id;
  }

  isPersistent(): boolean {
    return (this.binding.call('virDomainIsPersistent', this.pointer) as number) === 1;
  }

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

  async xml(flags = 0): Promise<string> {
    return (await this.handle.use((p) => this.binding.callAsync('virDomainGetXMLDesc', p, flags))) as string;
  }

  async create(flags = 0): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainCreateWithFlags', p, flags));
  }

  async destroy(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainDestroy', p));
  }

  async shutdown(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainShutdown', p));
  }

  async suspend(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainSuspend', p));
  }

  async resume(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainResume', p));
  }

  async undefine(flags = 0): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainUndefineFlags', p, flags));
  }

  async setVcpus(n: number, flags: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainSetVcpusFlags', p, n, flags));
  }

  async setMemory(kib: number, flags: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainSetMemoryFlags', p, kib, flags));
  }

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

  /** Job statistics (VIR_DOMAIN_JOB_STATS_COMPLETED in `flags` for the last completed job). */
  async jobStats(flags = 0): Promise<{ type: number; stats: Record<string, TypedValue> }> {
    const type = this.binding.engine.alloc(4);
    const params = this.binding.engine.alloc(8);
    const n = this.binding.engine.alloc(4);
    await this.handle.use((p) => this.binding.callAsync('virDomainGetJobStats', p, type, params, n, flags));
    const p = this.binding.engine.readPointer(params, 0);
    const count = n.readInt32LE(0);
    try {
      return { type: type.readInt32LE(0), stats: readTypedParams(this.binding, p, count) };
    } finally {
      this.binding.call('virTypedParamsFree', p, count);
    }
  }

  async abortJob(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainAbortJob', p));
  }

  async migrateStartPostCopy(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainMigrateStartPostCopy', p, 0));
  }

  async migrateSetMaxDowntime(ms: number): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virDomainMigrateSetMaxDowntime', p, ms, 0));
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
