import {
  assertNumber,
  type DomainEvent,
  type DomainInfo,
  type Hypervisor,
  InvalidArgumentError,
  type MigrationResult,
  StateError,
  UnsupportedError,
} from '@virtmig/core';
import { FakeHypervisor, type FakeHypervisorOptions, type FakeNetwork } from '@virtmig/testing';
import {
  assertCreditCap,
  libxlUnsupported,
  withMeasuredDowntime,
  XEN_CAPABILITIES,
  type XenDomainConfig,
  type XenMigrationOptions,
  xenDomainXml,
} from '../src/index.js';

/** Hardware and scheduler of a fake Xen host. */
export interface FakeLibxlHostOptions {
  readonly cpus?: number;
  /** The Xen scheduler the host runs (libvirt's libxl driver handles `credit` only). */
  readonly scheduler?: 'credit' | 'credit2';
}

const schedulers = new WeakMap<FakeNetwork, Map<string, string>>();

/** Adds a host to `network` that offers what libvirt's libxl driver offers (the driver's own capability table). */
export function addLibxlHost(network: FakeNetwork, name: string, options: FakeLibxlHostOptions = {}): void {
  network.addHost(name, {
    ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
    migration: XEN_CAPABILITIES.migration,
    postCopy: false,
    migrationOptions: XEN_CAPABILITIES.migrationOptions,
    cpuCap: XEN_CAPABILITIES.cpuCap,
    vcpuHotplug: XEN_CAPABILITIES.vcpuHotplug,
    memoryBalloon: XEN_CAPABILITIES.memoryBalloon,
  });
  const byName = schedulers.get(network) ?? new Map<string, string>();
  byName.set(name, options.scheduler ?? 'credit');
  schedulers.set(network, byName);
}

/**
 * A FakeHypervisor that answers as libvirt's libxl driver does, with the Xen driver's own XML
 * builder, credit-scheduler rules and downtime post-processing: configs libxl refuses are refused,
 * caps apply to running domains under the credit scheduler only, post-copy does not exist, and
 * a migration reports no statistics but the downtime measured from events (or a heartbeat).
 */
export class FakeLibxlHypervisor extends FakeHypervisor {
  constructor(options: FakeHypervisorOptions & { readonly host: string }) {
    super(options);
  }

  get scheduler(): string {
    return schedulers.get(this.network)?.get(this.hostName) ?? 'credit';
  }

  override async defineDomain(config: XenDomainConfig): Promise<DomainInfo> {
    if (typeof config !== 'object' || config === null) throw new InvalidArgumentError('config', 'must be an object');
    const reason = libxlUnsupported(config);
    if (reason) throw new UnsupportedError(reason, 'xen');
    xenDomainXml(config);
    if (config.cpuCapPercent !== undefined && config.cpuCapPercent > 0) {
      throw new StateError(
        `domain "${config.name}" is not running: libxl sets credit-scheduler parameters of running domains only`,
      );
    }
    return super.defineDomain(config);
  }

  override async setCpuCap(name: string, percent: number): Promise<void> {
    assertNumber(percent, 'percent', 0, 100 * 4096);
    await this.runningUnderCredit(name);
    assertCreditCap(percent);
    await super.setCpuCap(name, percent);
  }

  override async getCpuCap(name: string): Promise<number> {
    await this.runningUnderCredit(name);
    return super.getCpuCap(name);
  }

  override async migrate(
    name: string,
    destination: Hypervisor,
    options: XenMigrationOptions = {},
  ): Promise<MigrationResult> {
    const { heartbeatLog, onProgress, ...rest } = options;
    const events: DomainEvent[] = [];
    const record = (e: DomainEvent): void => {
      if (e.domain === name) events.push(e);
    };
    const unsubscribe = [this.onDomainEvent(record)];
    if (destination instanceof FakeHypervisor && !destination.closed)
      unsubscribe.push(destination.onDomainEvent(record));
    let result: MigrationResult;
    const before = heartbeatLog ? await heartbeatLog() : undefined;
    try {
      result = await super.migrate(name, destination, {
        ...rest,
        // libxl's job statistics hold time_elapsed only.
        ...(onProgress
          ? {
              onProgress: (p) =>
                onProgress({
                  elapsedMs: p.elapsedMs,
                  dataTotalBytes: 0,
                  dataProcessedBytes: 0,
                  dataRemainingBytes: 0,
                  phase: 'setup',
                }),
            }
          : {}),
      });
      await new Promise((r) => setImmediate(r));
    } finally {
      for (const u of unsubscribe) u();
    }
    const {
      downtimeMs: _d,
      downtimeSource: _s,
      setupTimeMs: _t,
      dataTransferredBytes: _b,
      memoryTransferredBytes: _m,
      memoryBandwidthBps: _w,
      dirtyRateBps: _r,
      iterations: _i,
      postCopyRequests: _p,
      reportedTotalTimeMs: _e,
      ...libxl
    } = result;
    const heartbeat = heartbeatLog && before !== undefined ? { before, after: await heartbeatLog() } : undefined;
    return withMeasuredDowntime({ ...libxl, raw: {} }, { events, ...(heartbeat ? { heartbeat } : {}) });
  }

  private async runningUnderCredit(name: string): Promise<void> {
    const info = await this.lookupDomain(name);
    if (info.state === 'shutoff') {
      throw new StateError(
        `domain "${name}" is not running: libxl sets credit-scheduler parameters of running domains only`,
        { domain: name },
      );
    }
    if (this.scheduler !== 'credit') {
      throw new UnsupportedError(
        `CPU caps under Xen's ${this.scheduler} scheduler (libvirt's libxl driver reads and writes credit-scheduler parameters only)`,
        'xen',
      );
    }
  }
}
