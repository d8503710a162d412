import type { WorkloadName } from '@virtmig/core';

/** A source/destination pair of libvirt hosts; trials on one pair run one after the other. */
export interface HostPairSpec {
  /** libvirt URI of the host guests are started on. */
  readonly source: string;
  /** libvirt URI of the host they migrate to. */
  readonly destination: string;
  /** Migration data URI (e.g. `tcp://10.0.0.2`), when the destination needs one. */
  readonly migrateUri?: string;
  /**
   * The destination's libvirt URI as the source host reaches it (e.g. `xen+tls://xen-b/system`):
   * where a `tunnelled` migration goes, peer-to-peer.
   */
  readonly peerUri?: string;
  /** Driver options for both connections, e.g. `{ domainType: 'qemu' }` for QEMU hosts without working KVM. */
  readonly connectOptions?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Shared storage for the guests: none, or one iSCSI LUN both hosts reach. With `portal`, `iqn`
 * and `lun` the LUN is an existing target's; without them (only with `hosts: lab`) the runner
 * serves the lab's shared disk (`LabStorage` from @virtmig/iscsi) and leaves it up afterwards.
 */
export type StorageSpec =
  | {
      /** `none`: local disks only. */
      readonly kind: 'none';
    }
  | {
      /** `iscsi`: one LUN both hosts log in to. */
      readonly kind: 'iscsi';
      /** Portal as `host:port`; given together with `iqn` and `lun`, or none of them (the lab's disk). */
      readonly portal?: string;
      /** Target IQN of an existing LUN; given together with `portal` and `lun`. */
      readonly iqn?: string;
      /** LUN number on that target; given together with `portal` and `iqn`. */
      readonly lun?: number;
      /** The lab's disk with one-way CHAP (a generated secret, a libvirt secret on both hosts). */
      readonly chap?: boolean;
    };

/** One workload of the experiment and how long each run of it inside the guest lasts. */
export interface WorkloadSpec {
  /** Which workload runs in the guest. */
  readonly name: WorkloadName;
  /**
   * What trials and records call it (default: `name`); distinct per spec, so one workload can
   * run with several option sets, e.g. the dirtier at several rates (`dirtier-8`, `dirtier-32`).
   */
  readonly label: string;
  /** Seconds per workload run in the guest (the guest restarts it in a loop). */
  readonly seconds: number;
  /** Workload options by key, e.g. `{ n: 200 }` for linpack. */
  readonly options: Readonly<Record<string, number>>;
}

/** The experiment matrix: every combination is a cell, each cell runs `trials` times. */
export interface MatrixSpec {
  /** Guest RAM sizes in MiB. */
  readonly ramMiB: readonly number[];
  /** Guest vCPU counts. */
  readonly vcpus: readonly number[];
  /** CPU caps in percent of one CPU (0 = uncapped). */
  readonly capPercent: readonly number[];
  /** Host cores the host offers during a trial (the denominator of host CPU percentages). */
  readonly hostCores: readonly number[];
  /** Trials per cell. */
  readonly trials: number;
}

/** Which trials migrate, and how. */
export interface MigrationSpec {
  /** Whether any trial migrates. */
  readonly enabled: boolean;
  /** Only cells matching every listed dimension migrate (all cells when absent). */
  readonly cells?: {
    /** RAM sizes (MiB) that migrate. */
    readonly ramMiB?: readonly number[];
    /** vCPU counts that migrate. */
    readonly vcpus?: readonly number[];
    /** CPU caps (percent) that migrate. */
    readonly capPercent?: readonly number[];
  };
  /** Live (pre-copy) migration; `false` pauses the guest for the whole transfer. */
  readonly live: boolean;
  /** Maximum tolerated downtime in milliseconds, when set. */
  readonly maxDowntimeMs?: number;
  /** Bandwidth limit in MiB/s, when set. */
  readonly bandwidthMiBps?: number;
  /** Let the hypervisor throttle the guest's vCPUs until pre-copy converges. */
  readonly autoConverge?: boolean;
  /** `true`, or milliseconds after the RAM transfer began. */
  readonly postCopyAfterMs?: number;
  /** Compression methods, e.g. `["xbzrle"]`, when set. */
  readonly compression?: readonly string[];
  /** Parallel migration connections, when set. */
  readonly parallelConnections?: number;
  /**
   * Peer-to-peer and tunnelled: the data goes inside the source host's own libvirt connection to
   * the pair's `peerUri` (encrypted when that is a `+tls` URI) instead of on `migrateUri`.
   */
  readonly tunnelled?: boolean;
  /** Milliseconds a migration may take before it is aborted. */
  readonly timeoutMs: number;
}

/** The guest each trial boots. */
export interface GuestSpec {
  /** `lab`: the image scripts/guest/build-guest makes (heartbeats and workload output on the serial console); `none`: no kernel, for drivers that simulate guests. */
  readonly image: 'lab' | 'none';
  /** Explicit kernel and initrd, overriding the built image. */
  readonly kernel?: string;
  /** Explicit initrd, used with `kernel`. */
  readonly initrd?: string;
  /** How long to wait for the first heartbeat and workload line. */
  readonly bootTimeoutMs: number;
}

/** Selection policies `recommend` knows. */
export type PolicyName = 'study' | 'mmt' | 'mc' | 'random' | 'balance';

/** A validated experiment spec with every default filled in. */
export interface ExperimentSpec {
  /** Experiment id written into every trial record. */
  readonly name: string;
  /** Driver name the URIs must use (e.g. `qemu`, `fake`, `test`). */
  readonly driver: string;
  /**
   * Host pairs. `lab` is resolved from `scripts/lab/lab status --json` at run time (the local
   * QEMU lab), `xenlab` from `scripts/xenlab/xenlab status --json` (the nested Xen testbed).
   */
  readonly hosts: 'lab' | 'xenlab' | readonly HostPairSpec[];
  /** Shared storage for the guests. */
  readonly storage: StorageSpec;
  /** The guest each trial boots. */
  readonly guest: GuestSpec;
  /** The workloads, each run in every matrix cell. */
  readonly workloads: readonly WorkloadSpec[];
  /** The experiment matrix. */
  readonly matrix: MatrixSpec;
  /** Which trials migrate, and how. */
  readonly migration: MigrationSpec;
  /** How often the host samples CPU use. */
  readonly sampling: {
    /** Milliseconds between CPU samples. */
    readonly intervalMs: number;
  };
  /** How long each trial warms up and then measures. */
  readonly durations: {
    /** Milliseconds a trial runs before measuring starts. */
    readonly warmupMs: number;
    /** Milliseconds measured per trial. */
    readonly measureMs: number;
  };
  /** How `recommend` selects migrations from the results. */
  readonly policy: {
    /** Host CPU use in percent above which a host counts as overloaded. */
    readonly thresholdPercent: number;
    /** Which policy picks the VM to migrate. */
    readonly selection: PolicyName;
  };
}
