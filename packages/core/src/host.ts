/** What a hypervisor reports about its host. */
export interface HostInfo {
  /** The host's name. */
  readonly hostname: string;
  /** CPU model string. */
  readonly model: string;
  /** Logical CPUs. */
  readonly cpus: number;
  /** CPU frequency in MHz. */
  readonly mhz: number;
  /** NUMA nodes. */
  readonly nodes: number;
  /** CPU sockets per NUMA node. */
  readonly sockets: number;
  /** Cores per socket. */
  readonly coresPerSocket: number;
  /** Threads per core. */
  readonly threadsPerCore: number;
  /** Memory in KiB. */
  readonly memoryKiB: number;
  /** Hypervisor type as libvirt names it, e.g. `QEMU`, `Xen`, `Test`. */
  readonly hypervisorType: string;
  /** Hypervisor version as `major.minor.release`. */
  readonly hypervisorVersion: string;
  /** libvirt library version as `major.minor.release`. */
  readonly libvirtVersion: string;
}
