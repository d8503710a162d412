/*
 * What a run's hosts and tools were, as the runner (@virtmig/bench) captures and stores it and
 * the report (@virtmig/analysis) prints it: defined here once, as neither package may import the other.
 */

/**
 * How guests execute on a host: `kvm` (hardware virtualisation), `tcg` (QEMU's emulator),
 * `xen` (the Xen hypervisor), `simulated` (a driver with no real guests: `fake`, libvirt's
 * `test`), or `unknown`.
 */
export type Accelerator = 'kvm' | 'tcg' | 'xen' | 'simulated' | 'unknown';

/** One host of a run, as its hypervisor connection reported it when the run (or a resume) began. */
export interface HostEnvironment {
  /** Index of the host pair in the run's spec, from 0. */
  readonly pair: number;
  /** Which end of the pair. */
  readonly role: 'source' | 'destination';
  /** The URI the runner connected to. */
  readonly uri: string;
  /** Driver name, e.g. `qemu`, `xen`, `fake`. */
  readonly driver: string;
  /** The host's name. */
  readonly hostname: string;
  /** Hypervisor type as libvirt names it, e.g. `QEMU`, `Xen`. */
  readonly hypervisorType: string;
  /** Hypervisor version (QEMU's, Xen's) as `major.minor.release`. */
  readonly hypervisorVersion: string;
  /** libvirt library version as `major.minor.release`. */
  readonly libvirtVersion: string;
  /** CPU model string. */
  readonly cpuModel: string;
  /** Logical CPUs. */
  readonly cpus: number;
  /** CPU frequency in MHz. */
  readonly cpuMhz: number;
  /** Host memory in KiB. */
  readonly memoryKiB: number;
  /** How guests execute there. */
  readonly accelerator: Accelerator;
  /** Kernel release of the host, when known (a host on the runner's machine); null otherwise. */
  readonly kernel: string | null;
}

/** A limit on the migration link (the lab's `shape` setting, `tc netem` rate and delay). */
export interface LinkShaping {
  /** Rate as tc writes it, e.g. `1gbit`. */
  readonly rate: string;
  /** Added delay as tc writes it, e.g. `0ms`. */
  readonly delay: string;
}

/** Everything a run recorded about where it ran. */
export interface RunEnvironment {
  /** True when no host ran real guests (every host's accelerator is `simulated`). */
  readonly simulated: boolean;
  /** virtmig's version (its packages' version). */
  readonly virtmigVersion: string;
  /** The git commit virtmig ran from (with `-dirty` for uncommitted changes), or null outside a git checkout. */
  readonly virtmigCommit: string | null;
  /** The machine the runner ran on. */
  readonly runner: {
    /** Its host name. */
    readonly hostname: string;
    /** Its kernel release. */
    readonly kernel: string;
    /** Node's platform and architecture, e.g. `linux x64`. */
    readonly platform: string;
    /** Node's version, e.g. `v22.11.0`. */
    readonly nodeVersion: string;
  };
  /** The migration link's limit: `unknown` when the runner cannot tell (hosts outside a lab), `none` when unshaped. */
  readonly linkShaping: LinkShaping | 'none' | 'unknown';
  /** Every host of every pair, in pair then source/destination order. */
  readonly hosts: readonly HostEnvironment[];
}

/** A run environment as stored, with the id every exported row carries. */
export interface StoredEnvironment {
  /** Content hash of the environment: identical environments share an id. */
  readonly environmentId: string;
  /** When it was first captured, ISO-8601. */
  readonly capturedAt: string;
  /** What was captured. */
  readonly environment: RunEnvironment;
}
