import {
  type ConnectOptions,
  type DomainConfig,
  type DriverRegistry,
  defaultRegistry,
  type ParsedUri,
} from '@virtmig/core';
import { type BindingOptions, Connection, LibvirtHypervisor } from '@virtmig/libvirt';
import { __NAME___CAPABILITIES } from './capabilities.js';
import { __name__DomainXml } from './domain-xml.js';
import { parse__Name__Uri } from './uri.js';

/** Options for {@link __Name__Hypervisor.open}. */
export interface __Name__DriverOptions extends ConnectOptions {
  /** FFI engine: `koffi` (default) or `ffi-napi`. */
  readonly engine?: BindingOptions['engine'];
}

/** A __name__ host through libvirt. */
export class __Name__Hypervisor extends LibvirtHypervisor {
  readonly capabilities = __NAME___CAPABILITIES;

  /** Wraps an open libvirt connection (normally made by {@link __Name__Hypervisor.open}). */
  constructor(connection: Connection) {
    super(connection, '__name__');
  }

  /** Opens a `__name__:///system` (or remote) URI. */
  static async open(uri = '__name__:///system', options: __Name__DriverOptions = {}): Promise<__Name__Hypervisor> {
    parse__Name__Uri(uri);
    const conn = await Connection.open(uri, {
      ...(options.engine !== undefined ? { engine: options.engine } : {}),
      ...(options.readonly ? { readonly: true } : {}),
    });
    return new __Name__Hypervisor(conn);
  }

  protected buildDomainXml(config: DomainConfig): string {
    return __name__DomainXml(config);
  }
}

/** Registers the `__name__` scheme in a registry (the default one when omitted). */
export function register__Name__Driver(
  registry: DriverRegistry = defaultRegistry,
  options: __Name__DriverOptions = {},
): void {
  registry.register('__name__', (uri: ParsedUri, connectOptions: ConnectOptions) =>
    __Name__Hypervisor.open(uri.uri, { ...options, ...connectOptions }),
  );
}
