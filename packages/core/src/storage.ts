/** CHAP credentials. Secrets are held in memory only and never printed. */
export interface ChapCredentials {
  readonly username: string;
  readonly password: string;
}

/** An iSCSI portal. */
export interface Portal {
  readonly host: string;
  readonly port: number;
}

/** A logical unit of a target. */
export interface LunInfo {
  readonly lun: number;
  /** Backing file or device. */
  readonly backingStore: string;
  readonly sizeBytes: number;
}

/** What a target adapter reports about one target. */
export interface TargetInfo {
  readonly iqn: string;
  /** Target id where the implementation numbers targets (tgt's tid). */
  readonly tid?: number;
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
  createTarget(iqn: string): Promise<void>;
  deleteTarget(iqn: string): Promise<void>;
  /** Adds a file-backed LUN (the file is created with `sizeBytes` when it does not exist). */
  addLun(iqn: string, lun: number, backingFile: string, sizeBytes?: number): Promise<void>;
  removeLun(iqn: string, lun: number): Promise<void>;
  allowInitiator(iqn: string, initiatorIqn: string): Promise<void>;
  /** One-way CHAP: the initiator authenticates to the target. */
  setChap(iqn: string, credentials: ChapCredentials): Promise<void>;
  /** Mutual CHAP: the target authenticates back to the initiator. */
  setMutualChap(iqn: string, credentials: ChapCredentials): Promise<void>;
  listTargets(): Promise<TargetInfo[]>;
  /** Removes every target this adapter created. */
  teardown(): Promise<void>;
}

/** A LUN as an initiator sees it. */
export interface DiscoveredTarget {
  readonly iqn: string;
  readonly portal: Portal;
}

/** Reaches iSCSI targets (open-iscsi via iscsiadm, libiscsi, ...). */
export interface StorageInitiator {
  readonly kind: string;
  /** The initiator name presented to targets. */
  readonly initiatorIqn: string;
  discover(portal: Portal): Promise<DiscoveredTarget[]>;
  /** Capacity of a LUN in bytes. */
  capacity(portal: Portal, iqn: string, lun: number, chap?: ChapCredentials): Promise<number>;
}

/** An initiator that can log in and expose a block device (kernel initiators). */
export interface LoginCapable {
  login(portal: Portal, iqn: string, chap?: ChapCredentials): Promise<void>;
  logout(portal: Portal, iqn: string): Promise<void>;
}
