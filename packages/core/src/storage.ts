/** CHAP credentials. Secrets are held in memory only and never printed. */
export interface ChapCredentials {
  /** CHAP user name. */
  readonly username: string;
  /** CHAP secret. */
  readonly password: string;
}

/** An iSCSI portal. */
export interface Portal {
  /** Host name or IP address. */
  readonly host: string;
  /** TCP port (3260 by default for iSCSI). */
  readonly port: number;
}

/** A logical unit of a target. */
export interface LunInfo {
  /** LUN number (0 is the controller on tgt). */
  readonly lun: number;
  /** Backing file or device. */
  readonly backingStore: string;
  /** Size in bytes. */
  readonly sizeBytes: number;
}

/** What a target adapter reports about one target. */
export interface TargetInfo {
  /** The target's IQN. */
  readonly iqn: string;
  /** Target id where the implementation numbers targets (tgt's tid). */
  readonly tid?: number;
  /** Its logical units. */
  readonly luns: readonly LunInfo[];
  /** Initiator IQNs allowed (ACL). */
  readonly allowedInitiators: readonly string[];
  /** Initiator addresses allowed. */
  readonly allowedAddresses: readonly string[];
  /** Incoming CHAP user names (never passwords). */
  readonly chapUsers: readonly string[];
  /** Outgoing (mutual) CHAP user, if set. */
  readonly mutualChapUser?: string;
}

/** Creates and serves iSCSI targets (LIO via targetcli, tgt via tgtadm, ...). */
export interface StorageTarget {
  /** Adapter name, e.g. `tgtadm`, `targetcli`. */
  readonly kind: string;
  /**
   * Creates the target `iqn`.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument is malformed (nothing runs); adapters reject with `E_COMMAND_FAILED` when their tool fails.
   */
  createTarget(iqn: string): Promise<void>;
  /**
   * Deletes the target `iqn` with its LUNs.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument is malformed (nothing runs); adapters reject with `E_COMMAND_FAILED` when their tool fails.
   */
  deleteTarget(iqn: string): Promise<void>;
  /** Adds a file-backed LUN (the file is created with `sizeBytes` when it does not exist). */
  addLun(iqn: string, lun: number, backingFile: string, sizeBytes?: number): Promise<void>;
  /**
   * Removes LUN `lun` from target `iqn`.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument is malformed (nothing runs); adapters reject with `E_COMMAND_FAILED` when their tool fails.
   */
  removeLun(iqn: string, lun: number): Promise<void>;
  /**
   * Adds `initiatorIqn` to the target's ACL.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument is malformed (nothing runs); adapters reject with `E_COMMAND_FAILED` when their tool fails.
   */
  allowInitiator(iqn: string, initiatorIqn: string): Promise<void>;
  /** One-way CHAP: the initiator authenticates to the target. */
  setChap(iqn: string, credentials: ChapCredentials): Promise<void>;
  /** Mutual CHAP: the target authenticates back to the initiator. */
  setMutualChap(iqn: string, credentials: ChapCredentials): Promise<void>;
  /**
   * Every target the adapter sees, with LUNs, ACL and CHAP users.
   * @throws Adapters reject with `E_COMMAND_FAILED` when their tool fails, `E_PARSE` when its output is not understood.
   */
  listTargets(): Promise<TargetInfo[]>;
  /** Removes every target this adapter created. */
  teardown(): Promise<void>;
}

/** A LUN as an initiator sees it. */
export interface DiscoveredTarget {
  /** The target's IQN. */
  readonly iqn: string;
  /** Portal it was discovered on. */
  readonly portal: Portal;
}

/** Reaches iSCSI targets (open-iscsi via iscsiadm, libiscsi, ...). */
export interface StorageInitiator {
  /** Adapter name, e.g. `iscsiadm`, `libiscsi`. */
  readonly kind: string;
  /** The initiator name presented to targets. */
  readonly initiatorIqn: string;
  /**
   * Targets the portal offers (SendTargets discovery).
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument is malformed (nothing runs); adapters reject with `E_COMMAND_FAILED` when their tool fails.
   */
  discover(portal: Portal): Promise<DiscoveredTarget[]>;
  /** Capacity of a LUN in bytes. */
  capacity(portal: Portal, iqn: string, lun: number, chap?: ChapCredentials): Promise<number>;
}

/** An initiator that can log in and expose a block device (kernel initiators). */
export interface LoginCapable {
  /**
   * Logs in to target `iqn`, so the kernel exposes its LUNs as block devices.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument is malformed (nothing runs); adapters reject with `E_COMMAND_FAILED` when their tool fails.
   */
  login(portal: Portal, iqn: string, chap?: ChapCredentials): Promise<void>;
  /**
   * Logs out of target `iqn`.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument is malformed (nothing runs); adapters reject with `E_COMMAND_FAILED` when their tool fails.
   */
  logout(portal: Portal, iqn: string): Promise<void>;
}
