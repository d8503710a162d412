/** A VM as the selection policies see it. */
export interface VmSnapshot {
  /** Domain name, unique in the cluster. */
  readonly name: string;
  /** Memory in MiB. */
  readonly ramMiB: number;
  /** Current CPU use in percent of one CPU (100 = one core busy). */
  readonly cpuPercent: number;
  /** CPU use history in percent of one CPU, oldest first (used by max-correlation). */
  readonly cpuHistory?: readonly number[];
  /** Expected total migration time in ms (measured means or the pre-copy model; used by the study's policy). */
  readonly expectedTotalTimeMs?: number;
  /** Expected downtime in ms (the study's tie-break). */
  readonly expectedDowntimeMs?: number;
}

/** A host and the VMs running on it. */
export interface HostSnapshot {
  /** Host name, unique in the cluster. */
  readonly name: string;
  /** Physical cores: the host's capacity is cores x 100 % of one CPU. */
  readonly cores: number;
  /**
   * Memory the host's guests may use, in MiB. When given, a destination must also hold the
   * moved VM's RAM next to its VMs' (the sum of their `ramMiB`); when absent, only CPU counts.
   */
  readonly memoryMiB?: number;
  /** The VMs running on the host. */
  readonly vms: readonly VmSnapshot[];
}

/** Every host a policy may move VMs between. */
export interface ClusterSnapshot {
  /** The hosts. */
  readonly hosts: readonly HostSnapshot[];
}

/** Options every policy takes. */
export interface PolicyOptions {
  /**
   * A host whose domains use more than this percentage of its capacity is overloaded and
   * a destination must stay below it after the move (default 65, the study's threshold).
   */
  readonly thresholdPercent?: number;
  /**
   * Names of VMs that count toward their host's load but that the policy may not choose (the
   * balancing loop pins VMs that are cooling down, migrating or guarded against ping-pong).
   */
  readonly pinned?: readonly string[];
}

/** A policy's answer: migrate one VM, or do nothing, always with a reason a person can read. */
export type Recommendation =
  | {
      /** `migrate`: move `vm` from `source` to `destination`. */
      readonly kind: 'migrate';
      /** Name of the policy that decided. */
      readonly policy: string;
      /** Domain name of the VM to move. */
      readonly vm: string;
      /** Host it runs on. */
      readonly source: string;
      /** Host to move it to. */
      readonly destination: string;
      /** Why, for people. */
      readonly reason: string;
    }
  | {
      /** `no-migration`: leave everything where it is. */
      readonly kind: 'no-migration';
      /** Name of the policy that decided. */
      readonly policy: string;
      /** Why, for people. */
      readonly reason: string;
    };

/** A selection policy: a pure function of the cluster's state (and its options). */
export type SelectionPolicy<O extends PolicyOptions = PolicyOptions> = (
  cluster: ClusterSnapshot,
  options?: O,
) => Recommendation;
