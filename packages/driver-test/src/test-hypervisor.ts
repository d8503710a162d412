import {
  assertDomainConfig,
  type ConnectOptions,
  type DomainConfig,
  type DriverRegistry,
  defaultRegistry,
  escapeXml,
  type HypervisorCapabilities,
  InvalidArgumentError,
  type MigrationOptions,
  type ParsedUri,
  parseSafeUri,
} from '@virtmig/core';
import { type BindingOptions, Connection, LibvirtHypervisor } from '@virtmig/libvirt';

/** Options for the test driver. */
export interface TestDriverOptions extends ConnectOptions {
  /** FFI engine: `koffi` (default) or `ffi-napi`. */
  readonly engine?: BindingOptions['engine'];
}

/**
 * What the test driver offers: libvirt's test driver runs in-process and cannot migrate or cap
 * CPU, and has no secret driver (every virSecret call fails with VIR_ERR_NO_SUPPORT).
 */
export const TEST_CAPABILITIES: HypervisorCapabilities = Object.freeze({
  migration: false,
  migrationOptions: new Set<keyof MigrationOptions>(),
  cpuCap: false,
  vcpuHotplug: true,
  memoryBalloon: true,
  events: true,
  secrets: false,
});

/**
 * libvirt's embedded test driver (`test:///default`, or `test:///abs/path/node.xml` for a custom
 * node): a real libvirt, in-process, with no daemon. Useful for SDK tests and demos.
 */
export class TestHypervisor extends LibvirtHypervisor {
  /** What libvirt's test driver supports. */
  readonly capabilities = TEST_CAPABILITIES;

  /**
   * Opens `test:///default` or a custom node XML file.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `uri` does not start with `test://`.
   * @throws {@link @virtmig/libvirt!LibvirtError} `E_LIBVIRT` when libvirt cannot open it (e.g. a node XML file that is missing or invalid).
   */
  static async open(uri = 'test:///default', options: TestDriverOptions = {}): Promise<TestHypervisor> {
    if (!uri.startsWith('test://'))
      throw new InvalidArgumentError('uri', `test driver URIs start with test://, got ${JSON.stringify(uri)}`);
    parseSafeUri(uri, options);
    const conn = await Connection.open(uri, {
      ...(options.engine !== undefined ? { engine: options.engine } : {}),
      ...(options.readonly ? { readonly: true } : {}),
    });
    return new TestHypervisor(conn, 'test');
  }

  protected buildDomainXml(config: DomainConfig): string {
    return testDomainXml(config);
  }
}

/** Domain XML for the test driver. */
export function testDomainXml(config: DomainConfig): string {
  assertDomainConfig(config);
  return [
    "<domain type='test'>",
    `  <name>${escapeXml(config.name)}</name>`,
    `  <memory unit='KiB'>${config.memoryMiB * 1024}</memory>`,
    `  <vcpu placement='static' current='${config.vcpus}'>${config.maxVcpus ?? config.vcpus}</vcpu>`,
    "  <os><type arch='x86_64'>hvm</type></os>",
    '</domain>',
  ].join('\n');
}

/**
 * Registers the `test` scheme in a registry (the default one when omitted). Importing this package
 * registers nothing; call this first.
 * @throws {@link @virtmig/core!DuplicateDriverError} `E_DUPLICATE_DRIVER` when `test` is already registered there.
 */
export function registerTestDriver(registry: DriverRegistry = defaultRegistry, options: TestDriverOptions = {}): void {
  registry.register('test', (uri: ParsedUri, connectOptions: ConnectOptions) =>
    TestHypervisor.open(uri.uri, { ...options, ...connectOptions }),
  );
}
