/** Run state of a domain, named after libvirt's virDomainState. */
export type DomainState =
  | 'nostate'
  | 'running'
  | 'blocked'
  | 'paused'
  | 'shutdown'
  | 'shutoff'
  | 'crashed'
  | 'pmsuspended';

/** What a hypervisor reports about one domain. */
export interface DomainInfo {
  /** Domain name, unique per host. */
  readonly name: string;
  /** Domain UUID. */
  readonly uuid: string;
  /** Hypervisor id while running, -1 otherwise. */
  readonly id: number;
  /** Current state. */
  readonly state: DomainState;
  /** True when the domain has a persistent definition. */
  readonly persistent: boolean;
  /** Maximum memory in KiB. */
  readonly maxMemoryKiB: number;
  /** Current memory in KiB. */
  readonly memoryKiB: number;
  /** Number of virtual CPUs. */
  readonly vcpus: number;
  /** CPU time consumed so far, in nanoseconds. */
  readonly cpuTimeNs: number;
}

/** A disk attached to a domain built from a {@link DomainConfig}. */
export type DiskConfig =
  | {
      /** `file`: a disk image file. */
      readonly kind: 'file';
      /** Path to a local (or shared-filesystem) image. */
      readonly path: string;
      /** Image format. Default `raw`. */
      readonly format?: 'raw' | 'qcow2';
      /** Guest device name, e.g. `vda` / `xvda`. */
      readonly target?: string;
      /** Attach the disk read-only. */
      readonly readonly?: boolean;
    }
  | {
      /** `iscsi`: a LUN of an iSCSI target, reached by the hypervisor's host. */
      readonly kind: 'iscsi';
      /** Portal as `host:port`. */
      readonly portal: string;
      /** Target IQN. */
      readonly iqn: string;
      /** LUN number on the target. */
      readonly lun: number;
      /** Initiator IQN the guest's host presents. */
      readonly initiatorIqn?: string;
      /** CHAP user and the libvirt secret UUID holding its password (never the password itself). */
      readonly chap?: {
        /** CHAP user name. */
        readonly username: string;
        /** UUID of the libvirt secret holding the CHAP password. */
        readonly secretUuid: string;
      };
      /** Format of the data on the LUN. Default `raw`. */
      readonly format?: 'raw' | 'qcow2';
      /** Guest device name, e.g. `vda` / `xvda`. */
      readonly target?: string;
    };

/**
 * A hypervisor-neutral description of a guest. Drivers turn it into their domain XML;
 * `xml` bypasses the builder for callers that need full control.
 */
export interface DomainConfig {
  /** Domain name. */
  readonly name: string;
  /** Memory in MiB. */
  readonly memoryMiB: number;
  /** Virtual CPUs at boot. */
  readonly vcpus: number;
  /** Maximum vCPUs (defaults to `vcpus`). */
  readonly maxVcpus?: number;
  /** Direct kernel boot. */
  readonly kernel?: string;
  /** Initrd to boot with `kernel`. */
  readonly initrd?: string;
  /** Kernel command line for `kernel`. */
  readonly cmdline?: string;
  /** Disks in guest device order. */
  readonly disks?: readonly DiskConfig[];
  /** Where the serial console is written, if anywhere. */
  readonly serialLog?: string;
  /** CPU cap in percent of one physical CPU (100 = one full CPU), applied at definition when given. */
  readonly cpuCapPercent?: number;
  /** Raw domain XML; when set, the other fields except `name` are ignored. */
  readonly xml?: string;
}

/** Per-domain statistics from one all-domain stats call (libvirt's virConnectGetAllDomainStats). */
export interface DomainStats {
  /** Domain name. */
  readonly name: string;
  /** Current state. */
  readonly state: DomainState;
  /** CPU time in ns (`cpu.time`), when reported. */
  readonly cpuTimeNs?: number;
  /** Balloon current memory in KiB, when reported. */
  readonly balloonCurrentKiB?: number;
  /** Online vCPUs, when reported. */
  readonly vcpus?: number;
  /** Every field as reported, keyed as the hypervisor names them. */
  readonly fields: Readonly<Record<string, number | string | boolean | bigint>>;
}
