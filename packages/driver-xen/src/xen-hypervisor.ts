import {
  assertUriPolicy,
  type ConnectOptions,
  type DomainConfig,
  type DomainEvent,
  type DomainInfo,
  type DriverRegistry,
  defaultRegistry,
  type Hypervisor,
  type HypervisorCapabilities,
  InvalidArgumentError,
  type MigrationOptions,
  type MigrationResult,
  type ParsedUri,
  StateError,
  UnsupportedError,
} from '@virtmig/core';
import { type BindingOptions, Connection, type Domain, ENUMS, LibvirtHypervisor } from '@virtmig/libvirt';
import { XEN_CAPABILITIES } from './capabilities.js';
import { libxlUnsupported, type XenDomainConfig, xenDomainXml } from './domain-xml.js';
import { measureDowntimeFromEvents, withMeasuredDowntime } from './downtime.js';
import { assertCreditCap, type CreditSettings, creditParams, creditSettings } from './scheduler.js';
import { parseXenUri } from './uri.js';

/** Options for {@link XenHypervisor.open} and {@link registerXenDriver}. */
export interface XenDriverOptions extends ConnectOptions {
  /** FFI engine: `koffi` (default) or `ffi-napi`. */
  readonly engine?: BindingOptions['engine'];
  /**
   * Whether running domUs can change memory (default true). Set false when the guests' kernels
   * have no working balloon driver: libxl then sets a memory target the guest never reaches, and
   * libxl_domain_info fails for that domain afterwards (measured on the xenlab's PV domUs), so
   * live memory changes are refused with `E_UNSUPPORTED` instead.
   */
  readonly memoryBalloon?: boolean;
}

/** {@link MigrationOptions} plus a heartbeat source for guest-observed downtime. */
export interface XenMigrationOptions extends MigrationOptions {
  /**
   * Returns the guest's console log so far (local file, `ssh cat`, ...); read just before and just
   * after the migration. When the guest prints `HB <seq> <ms>` lines, the largest gap becomes the
   * downtime (`downtimeSource: 'heartbeat'`).
   */
  readonly heartbeatLog?: () => Promise<string>;
}

/** The only scheduler whose parameters libvirt's libxl driver reads or writes. */
const CREDIT = 'credit';
/** How long to wait for the destination's `resumed` event after virDomainMigrate3 returns. */
const EVENT_GRACE_MS = 1000;

/**
 * A Xen host through libvirt's libxl driver. The CPU cap is the credit scheduler's `cap` (percent
 * of one physical CPU, 0 = none), set with virDomainSetSchedulerParametersFlags on running
 * domains; libxl reports no migration downtime, so {@link migrate} measures it from lifecycle
 * events or from the guest's heartbeat.
 */
export class XenHypervisor extends LibvirtHypervisor {
  /** What the Xen driver supports; `memoryBalloon` as the options say. */
  readonly capabilities: HypervisorCapabilities;
  // libxlDomainUndefineFlags accepts VIR_DOMAIN_UNDEFINE_MANAGED_SAVE only ("unsupported flags (0x2)").
  protected override readonly undefineFlags = ENUMS.virDomainUndefineFlagsValues.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;

  /** Wraps an open libvirt connection (normally made by {@link XenHypervisor.open}). */
  constructor(connection: Connection, options: Pick<XenDriverOptions, 'memoryBalloon'> = {}) {
    super(connection, 'xen');
    this.capabilities = Object.freeze({ ...XEN_CAPABILITIES, memoryBalloon: options.memoryBalloon ?? true });
  }

  /**
   * Opens `xen:///system`, `xen+ssh://host/system`, `xen+tls://host/system` or `xen+tcp://host/system`.
   * @throws {@link @virtmig/core!InvalidUriError} `E_INVALID_URI` when `uri` is not one of those (see {@link parseXenUri}).
   * @throws {@link @virtmig/libvirt!LibvirtError} `E_LIBVIRT` when libvirt cannot open the connection.
   */
  static async open(uri = 'xen:///system', options: XenDriverOptions = {}): Promise<XenHypervisor> {
    assertUriPolicy(parseXenUri(uri), options);
    const conn = await Connection.open(uri, {
      ...(options.engine !== undefined ? { engine: options.engine } : {}),
      ...(options.readonly ? { readonly: true } : {}),
    });
    return new XenHypervisor(conn, options);
  }

  protected buildDomainXml(config: DomainConfig): string {
    return xenDomainXml(config as XenDomainConfig);
  }

  /**
   * None: libvirt's libxl driver has no virDomainStartDirtyRateCalc (calc-dirty-rate is a QEMU
   * monitor command), and Xen's own log-dirty mode is reachable only during a migration.
   */
  protected override async dirtyRateRefusal(): Promise<string> {
    return "libvirt's libxl driver implements no virDomainStartDirtyRateCalc (it is a QEMU monitor command) and libxl exposes Xen's log-dirty tracking only inside a migration";
  }

  /**
   * Defines a domain from a {@link XenDomainConfig}.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` for a config libxl would refuse at start.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when a field of `config` is invalid.
   */
  override async defineDomain(config: XenDomainConfig): Promise<DomainInfo> {
    const reason = typeof config === 'object' && config !== null ? libxlUnsupported(config) : undefined;
    if (reason) throw new UnsupportedError(reason, this.driver);
    return super.defineDomain(config);
  }

  /**
   * The scheduler Xen runs the domain under (`credit`, `credit2`, ...); the domain must be running.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the domain is not running.
   */
  async schedulerType(name: string): Promise<string> {
    return this.withDomain(name, (d) => this.schedulerOf(d));
  }

  /**
   * Credit-scheduler cap and weight of a running domain.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the domain is not running.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when the domain runs under another scheduler than credit.
   */
  async creditSettings(name: string): Promise<CreditSettings> {
    return this.withDomain(name, async (d) => {
      await this.requireCredit(d, 'credit-scheduler settings');
      return creditSettings(await d.schedulerParameters());
    });
  }

  /**
   * Sets the credit-scheduler cap and/or weight of a running domain in one call.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when neither is given or one is out of range.
   * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when no domain is called `name`.
   * @throws {@link @virtmig/core!StateError} `E_STATE` when the domain is not running.
   * @throws {@link @virtmig/core!UnsupportedError} `E_UNSUPPORTED` when the domain runs under another scheduler than credit.
   */
  async setCreditSettings(name: string, settings: Partial<CreditSettings>): Promise<void> {
    const params = creditParams(settings);
    if (params.length === 0) throw new InvalidArgumentError('settings', 'give cap, weight or both');
    await this.withDomain(name, async (d) => {
      await this.requireCredit(d, 'credit-scheduler settings');
      await d.setSchedulerParameters(params, 0);
    });
  }

  protected override async applyCpuCap(d: Domain, percent: number, live: boolean): Promise<void> {
    assertCreditCap(percent);
    if (!live) throw this.notRunning(d);
    await this.requireCredit(d, 'CPU caps');
    // libxl's driver accepts no flags here (virCheckFlags(0)): changes are always live-only.
    await d.setSchedulerParameters(creditParams({ cap: percent }), 0);
  }

  protected override async readCpuCap(d: Domain): Promise<number> {
    await this.requireCredit(d, 'CPU caps');
    return creditSettings(await d.schedulerParameters()).cap;
  }

  /**
   * Live-migrates through libxl and fills `downtimeMs`, which libxl never reports: from the
   * heartbeat gap when `heartbeatLog` is given, else from the suspended (source) and resumed
   * (destination) events.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when an option's value is invalid.
   * @throws {@link @virtmig/core!MigrationError} `E_MIGRATION_FAILED` when libxl's migration fails (the guest stays on the source).
   */
  override async migrate(
    name: string,
    destination: Hypervisor,
    options: XenMigrationOptions = {},
  ): Promise<MigrationResult> {
    const { heartbeatLog, ...rest } = options;
    if (heartbeatLog !== undefined && typeof heartbeatLog !== 'function') {
      throw new InvalidArgumentError('options.heartbeatLog', 'must be a function returning the console log');
    }
    const events: DomainEvent[] = [];
    const record = (e: DomainEvent): void => {
      if (e.domain === name) events.push(e);
    };
    const unsubscribe = [this.onDomainEvent(record)];
    if (destination instanceof LibvirtHypervisor && !destination.closed)
      unsubscribe.push(destination.onDomainEvent(record));
    let result: MigrationResult;
    let before: string | undefined;
    try {
      before = heartbeatLog ? await heartbeatLog() : undefined;
      result = await super.migrate(name, destination, rest);
      if (result.downtimeMs === undefined)
        await settle(() => measureDowntimeFromEvents(events) !== undefined, EVENT_GRACE_MS);
    } finally {
      for (const u of unsubscribe) u();
    }
    const heartbeat = heartbeatLog && before !== undefined ? { before, after: await heartbeatLog() } : undefined;
    return withMeasuredDowntime(result, { events, ...(heartbeat ? { heartbeat } : {}) });
  }

  private async schedulerOf(d: Domain): Promise<string> {
    if (!d.isActive()) throw this.notRunning(d);
    const nparams = d.binding.engine.alloc(4);
    return (await d.binding.callAsync('virDomainGetSchedulerType', d.pointer, nparams)) as string;
  }

  private async requireCredit(d: Domain, feature: string): Promise<void> {
    const scheduler = await this.schedulerOf(d);
    if (scheduler !== CREDIT) {
      throw new UnsupportedError(
        `${feature} under Xen's ${scheduler} scheduler (libvirt's libxl driver reads and writes credit-scheduler parameters only)`,
        this.driver,
      );
    }
  }

  private notRunning(d: Domain): StateError {
    const name = d.name();
    return new StateError(
      `domain "${name}" is not running: libxl sets credit-scheduler parameters of running domains only`,
      {
        domain: name,
      },
    );
  }
}

async function settle(done: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Registers the `xen` scheme (xen://, xen+ssh://, xen+tls://, xen+tcp://) in a registry (the default one when omitted).
 * @throws {@link @virtmig/core!DuplicateDriverError} `E_DUPLICATE_DRIVER` when `xen` is already registered there.
 */
export function registerXenDriver(registry: DriverRegistry = defaultRegistry, options: XenDriverOptions = {}): void {
  registry.register('xen', (uri: ParsedUri, connectOptions: ConnectOptions) =>
    XenHypervisor.open(uri.uri, { ...options, ...connectOptions }),
  );
}
