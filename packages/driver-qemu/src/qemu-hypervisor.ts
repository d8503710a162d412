import {
  assertUriPolicy,
  type ConnectOptions,
  type DirtyRateMode,
  type DomainConfig,
  type DriverRegistry,
  defaultRegistry,
  type Hypervisor,
  type HypervisorCapabilities,
  InvalidArgumentError,
  type MigrationJob,
  type MigrationOptions,
  type MigrationResult,
  type ParsedUri,
  type PostCopyCapable,
} from '@virtmig/core';
import { type BindingOptions, Connection, type Domain, ENUMS, LibvirtHypervisor } from '@virtmig/libvirt';
import { QEMU_CAPABILITIES } from './capabilities.js';
import { type QemuDomainConfig, qemuDomainXml, serialLogOf } from './domain-xml.js';
import { type HeartbeatReport, HeartbeatWatcher } from './heartbeat.js';
import { assertQemuMigrationOptions } from './migration-options.js';
import { bandwidthOf, bandwidthParams, bandwidthToCap, capToBandwidth } from './scheduler.js';
import { parseQemuUri } from './uri.js';

const AFFECT = ENUMS.virDomainModificationImpact;

/** Options for {@link QemuHypervisor.open} and {@link registerQemuDriver}. */
export interface QemuDriverOptions extends ConnectOptions {
  /** FFI engine: `koffi` (default) or `ffi-napi`. */
  readonly engine?: BindingOptions['engine'];
  /** `<domain type>` for configs that do not choose: `kvm` (default) or `qemu` (TCG, e.g. the lab's `domainType`). */
  readonly domainType?: 'kvm' | 'qemu';
  /**
   * Whether guests can balloon (default true). Set false when guests have no virtio_balloon driver
   * (the lab's guest loads no modules): live memory changes are then refused with `E_UNSUPPORTED`
   * instead of being accepted by QEMU and never carried out by the guest.
   */
  readonly memoryBalloon?: boolean;
}

/** {@link MigrationOptions} plus host-side heartbeat timing. */
export interface QemuMigrationOptions extends MigrationOptions {
  /**
   * Time the guest's unavailability from its `HB <seq> <ms>` serial heartbeat, as the lines reach
   * the host: a log path, or `true` for the `<serial type='file'>` path in the domain XML. The log
   * must be readable on this machine (the lab's hosts share one filesystem).
   */
  readonly heartbeat?: boolean | string;
}

/** A {@link MigrationResult} with the heartbeat's view next to libvirt's downtime. */
export interface QemuMigrationResult extends MigrationResult {
  /** Downtime as the guest's heartbeats show it, when heartbeat measuring was on. */
  readonly heartbeat?: HeartbeatReport;
}

/** How long to wait for the first heartbeat before and after a migration. */
const HEARTBEAT_WAIT_MS = 5_000;

/**
 * A QEMU/KVM host through libvirt's QEMU driver. The CPU cap is the cgroup CPU bandwidth of the
 * vCPU threads (`vcpu_quota`/`vcpu_period`, see {@link capToBandwidth}); migrations use every
 * QEMU migration feature libvirt exposes, post-copy included.
 */
export class QemuHypervisor extends LibvirtHypervisor implements PostCopyCapable {
  /** What the QEMU driver supports; `memoryBalloon` as the options say. */
  readonly capabilities: HypervisorCapabilities;
  readonly supportsPostCopy = true as const;
  /** The `<domain type>` used for configs that do not set `qemu.domainType`. */
  readonly domainType: 'kvm' | 'qemu';

  /** Wraps an open libvirt connection (normally made by {@link QemuHypervisor.open}). */
  constructor(connection: Connection, options: Pick<QemuDriverOptions, 'domainType' | 'memoryBalloon'> = {}) {
    super(connection, 'qemu');
    this.domainType = options.domainType ?? 'kvm';
    this.capabilities = Object.freeze({ ...QEMU_CAPABILITIES, memoryBalloon: options.memoryBalloon ?? true });
  }

  /**
   * Opens `qemu:///system`, `qemu+unix:///system?socket=...`, `qemu+ssh://host/system`, `qemu+tls://...` or `qemu+tcp://...`.
   * @throws {@link @virtmig/core!InvalidUriError} `E_INVALID_URI` when `uri` is not one of those (see {@link parseQemuUri}).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `options.domainType` is not `kvm` or `qemu`.
   * @throws {@link @virtmig/libvirt!LibvirtError} `E_LIBVIRT` when libvirt cannot open the connection.
   */
  static async open(uri = 'qemu:///system', options: QemuDriverOptions = {}): Promise<QemuHypervisor> {
    assertUriPolicy(parseQemuUri(uri), options);
    if (options.domainType !== undefined && options.domainType !== 'kvm' && options.domainType !== 'qemu') {
      throw new InvalidArgumentError('domainType', `must be kvm or qemu, got ${JSON.stringify(options.domainType)}`);
    }
    const conn = await Connection.open(uri, {
      ...(options.engine !== undefined ? { engine: options.engine } : {}),
      ...(options.readonly ? { readonly: true } : {}),
    });
    return new QemuHypervisor(conn, options);
  }

  protected buildDomainXml(config: DomainConfig): string {
    return qemuDomainXml(config as QemuDomainConfig, { domainType: this.domainType });
  }

  /** Defines a domain from a {@link QemuDomainConfig}. */
  override defineDomain(config: QemuDomainConfig): ReturnType<LibvirtHypervisor['defineDomain']> {
    return super.defineDomain(config);
  }

  /** QEMU's calc-dirty-rate modes; which ones a given domain can use is checked per domain. */
  override readonly dirtyRateModes: ReadonlySet<DirtyRateMode> = new Set<DirtyRateMode>([
    'page-sampling',
    'dirty-bitmap',
    'dirty-ring',
  ]);

  /**
   * Refuses the log-based modes on a TCG guest (`<domain type='qemu'>`): QEMU 7.2's dirty-bitmap
   * calculation killed the lab's TCG guests (the QEMU process crashed, the guest was gone), and
   * dirty-ring needs KVM's dirty ring. Page sampling works under TCG and KVM alike.
   */
  protected override async dirtyRateRefusal(d: Domain, mode: DirtyRateMode): Promise<string | undefined> {
    if (mode === 'page-sampling') return undefined;
    const type = /<domain\b[^>]*\btype=['"]([^'"]+)['"]/.exec(await d.xml())?.[1];
    if (type === 'qemu') {
      return mode === 'dirty-ring'
        ? 'dirty-ring needs KVM, and this is a TCG guest (domain type qemu)'
        : 'QEMU crashes a TCG guest (domain type qemu) in dirty-bitmap mode; use page-sampling';
    }
    return undefined;
  }

  protected override async applyCpuCap(d: Domain, percent: number, live: boolean): Promise<void> {
    const vcpus = d.infoSync().vcpus;
    const bandwidth = capToBandwidth(percent, vcpus);
    const flags = live
      ? AFFECT.VIR_DOMAIN_AFFECT_LIVE | (d.isPersistent() ? AFFECT.VIR_DOMAIN_AFFECT_CONFIG : 0)
      : AFFECT.VIR_DOMAIN_AFFECT_CONFIG;
    await d.setSchedulerParameters(bandwidthParams(bandwidth), flags);
  }

  protected override async readCpuCap(d: Domain): Promise<number> {
    // AFFECT_CURRENT: the running cgroup for an active domain, <cputune> for an inactive one.
    return bandwidthToCap(
      bandwidthOf(await d.schedulerParameters(AFFECT.VIR_DOMAIN_AFFECT_CURRENT)),
      d.infoSync().vcpus,
    );
  }

  /**
   * Starts a live migration and returns its job (see `LibvirtHypervisor.startMigration`), after
   * checking every option's value.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when an option's value is invalid.
   * @throws {@link @virtmig/core!MigrationError} `E_MIGRATION_FAILED` when the destination already has another domain of that name.
   */
  override async startMigration(
    name: string,
    destination: Hypervisor,
    options: MigrationOptions = {},
  ): Promise<MigrationJob> {
    assertQemuMigrationOptions(options);
    return super.startMigration(name, destination, options);
  }

  /**
   * Live-migrates with libvirt (see `startLibvirtMigration`), after checking every option's value.
   * With `heartbeat`, the guest's serial heartbeat is followed during the migration and its
   * host-side gap and sequence continuity come back in `result.heartbeat`.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when an option's value is invalid, or
   * `heartbeat` is `true` and the domain has no serial log file.
   * @throws {@link @virtmig/core!MigrationError} `E_MIGRATION_FAILED` when libvirt's migration fails (the guest stays on the source).
   */
  override async migrate(
    name: string,
    destination: Hypervisor,
    options: QemuMigrationOptions = {},
  ): Promise<QemuMigrationResult> {
    const { heartbeat, ...rest } = options;
    assertQemuMigrationOptions(rest);
    if (heartbeat === undefined || heartbeat === false) return super.migrate(name, destination, rest);
    let path: string | undefined;
    if (typeof heartbeat === 'string') path = heartbeat;
    else if (heartbeat === true) path = serialLogOf(await this.domainXml(name));
    else throw new InvalidArgumentError('options.heartbeat', 'must be a boolean or a log path');
    if (path === undefined || !path.startsWith('/')) {
      throw new InvalidArgumentError('options.heartbeat', `domain "${name}" has no serial log file to follow`);
    }
    const watcher = new HeartbeatWatcher(path);
    await watcher.start(true);
    try {
      await watcher.waitFor((w) => w.beats.length > 0, HEARTBEAT_WAIT_MS).catch(() => undefined);
      const from = Math.max(0, watcher.beats.length - 1);
      const result = await super.migrate(name, destination, rest);
      const after = watcher.beats.length;
      await watcher.waitFor((w) => w.beats.length > after, HEARTBEAT_WAIT_MS).catch(() => undefined);
      await watcher.stop();
      return watcher.beats.length > from ? { ...result, heartbeat: watcher.report(from) } : result;
    } finally {
      await watcher.stop();
    }
  }
}

/**
 * Registers the `qemu` scheme (qemu://, qemu+unix://, qemu+ssh://, qemu+tls://, qemu+tcp://) in a registry (the default one when omitted).
 * @throws {@link @virtmig/core!DuplicateDriverError} `E_DUPLICATE_DRIVER` when `qemu` is already registered there.
 */
export function registerQemuDriver(registry: DriverRegistry = defaultRegistry, options: QemuDriverOptions = {}): void {
  registry.register('qemu', (uri: ParsedUri, connectOptions: ConnectOptions) =>
    QemuHypervisor.open(uri.uri, { ...options, ...connectOptions }),
  );
}
