/** The names one generated driver package uses, derived from the driver's name and URI scheme. */
export interface DriverNames {
  /** The driver's name, e.g. `cloud-hypervisor`: the package is `virtmig-driver-NAME`. */
  readonly name: string;
  /** The URI scheme the driver registers, e.g. `ch` (`ch:///system`). */
  readonly scheme: string;
}

/** Version ranges the generated package.json asks for, by package name. */
export type DependencyRanges = Readonly<Record<string, string>>;

/** The `@virtmig` packages a generated driver depends on, and the range of each. */
export type VirtmigRanges = Readonly<Record<'@virtmig/core' | '@virtmig/libvirt' | '@virtmig/testing', string>>;

/**
 * Third-party tools the generated package builds and tests with. Ranges of published releases
 * this CLI was tested with; an author's own lockfile pins them.
 */
export const DRIVER_TOOL_RANGES: DependencyRanges = {
  '@types/chai': '^5.2.3',
  '@types/mocha': '^10.0.10',
  '@types/node': '^20.19.43',
  '@types/sinon': '^22.0.2',
  chai: '^6.3.0',
  mocha: '^12.0.3',
  sinon: '^22.1.0',
  typescript: '^5.9.3',
};

// The generated package's imports are text written out, not imports of this package: spelled
// through these names so that the CLI's own import check reads them as what they are.
const CORE = '@virtmig/core';
const LIBVIRT = '@virtmig/libvirt';
const TESTING = '@virtmig/testing';

const pascal = (name: string): string =>
  name
    .split('-')
    .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
    .join('');

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Every file of a standalone driver package (relative path -> content): a `LibvirtHypervisor`
 * subclass registered under `names.scheme`, which opens libvirt's test driver until its author
 * points the scheme at a real hypervisor, and tests that run the conformance suite and check the
 * libvirt calls on that class. `virtmig` ranges for `@virtmig/core`, `@virtmig/libvirt` and
 * `@virtmig/testing`; the tools' ranges come from {@link DRIVER_TOOL_RANGES}. Pure; throws nothing.
 */
export function driverPackageFiles(names: DriverNames, virtmig: VirtmigRanges): Record<string, string> {
  const { name, scheme } = names;
  const P = pascal(name);
  const C = name.replace(/-/g, '_').toUpperCase();
  const camel = (P[0] ?? '').toLowerCase() + P.slice(1);
  const pkg = `virtmig-driver-${name}`;
  const localUri = `${scheme}:///system`;

  const files: Record<string, string> = {};
  files['package.json'] = json({
    name: pkg,
    version: '0.1.0',
    description: `virtmig driver for ${name} through libvirt (URI scheme ${scheme}://)`,
    type: 'module',
    main: 'dist/src/index.js',
    types: 'dist/src/index.d.ts',
    exports: { '.': { types: './dist/src/index.d.ts', default: './dist/src/index.js' } },
    files: ['dist/src'],
    license: 'MIT',
    engines: { node: '>=20.19' },
    scripts: {
      build: 'tsc -p tsconfig.json',
      test: "npm run build && mocha --timeout 30000 'dist/test/**/*.test.js'",
      prepack: 'npm run build',
    },
    dependencies: { [CORE]: virtmig[CORE], [LIBVIRT]: virtmig[LIBVIRT] },
    devDependencies: { [TESTING]: virtmig[TESTING], ...DRIVER_TOOL_RANGES },
  });
  files['tsconfig.json'] = json({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022'],
      types: ['node', 'mocha'],
      strict: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      declaration: true,
      sourceMap: true,
      esModuleInterop: true,
      skipLibCheck: true,
      forceConsistentCasingInFileNames: true,
      rootDir: '.',
      outDir: 'dist',
    },
    include: ['src', 'test'],
  });
  files['.gitignore'] = 'node_modules/\ndist/\n';

  files['src/uri.ts'] = `import { InvalidUriError, type ParsedUri, parseUri } from '${CORE}';

/** The URI scheme this driver registers: ${localUri}, ${scheme}+ssh://host/system, ... */
export const ${C}_SCHEME = '${scheme}';

/**
 * The libvirt URI the scheme stands for while the driver is a scaffold: libvirt's embedded test
 * driver, so the class can be exercised with no hypervisor installed.
 */
export const ${C}_SCAFFOLD_LIBVIRT_URI = 'test:///default';

/** Parses a ${scheme}:// URI; throws E_INVALID_URI for a URI of another scheme. */
export function parse${P}Uri(uri: string): ParsedUri {
  const parsed = parseUri(uri);
  if (parsed.driver !== ${C}_SCHEME)
    throw new InvalidUriError(uri, \`the ${name} driver takes ${scheme}:// URIs, not \${parsed.scheme}://\`);
  return parsed;
}

/**
 * The URI libvirt opens for a ${scheme}:// URI. Point it at your hypervisor by returning the URI
 * its libvirt driver takes (often uri itself) once domain-xml.ts and capabilities.ts describe it.
 * Throws E_INVALID_URI for a URI of another scheme.
 */
export function libvirtUriFor(uri: string): string {
  parse${P}Uri(uri);
  return ${C}_SCAFFOLD_LIBVIRT_URI;
}
`;

  files['src/capabilities.ts'] = `import type { HypervisorCapabilities, MigrationOptions } from '${CORE}';

/**
 * Migration options the driver honours. libvirt's test driver cannot migrate: list what your
 * hypervisor's libvirt driver accepts (read its source) when you point the scheme at it.
 */
export const ${C}_MIGRATION_OPTIONS: ReadonlySet<keyof MigrationOptions> = new Set<keyof MigrationOptions>();

/**
 * What the driver offers; the conformance suite holds the class to every claim. These are libvirt's
 * test driver's; change each to what your hypervisor really does.
 */
export const ${C}_CAPABILITIES: HypervisorCapabilities = Object.freeze({
  migration: false,
  migrationOptions: ${C}_MIGRATION_OPTIONS,
  cpuCap: false,
  vcpuHotplug: true,
  memoryBalloon: true,
  events: true,
  secrets: false,
});
`;

  files['src/domain-xml.ts'] = `import { assertDomainConfig, type DomainConfig, escapeXml } from '${CORE}';

/** libvirt's domain type: 'test' while the scheme opens the test driver, which accepts no other. */
export const ${C}_DOMAIN_TYPE = 'test';

/** Domain XML for a structured config; throws E_INVALID_ARGUMENT naming the bad field. */
export function ${camel}DomainXml(config: DomainConfig): string {
  assertDomainConfig(config);
  if (config.xml !== undefined) return config.xml;
  return [
    \`<domain type='\${${C}_DOMAIN_TYPE}'>\`,
    \`  <name>\${escapeXml(config.name)}</name>\`,
    \`  <memory unit='KiB'>\${config.memoryMiB * 1024}</memory>\`,
    \`  <vcpu placement='static' current='\${config.vcpus}'>\${config.maxVcpus ?? config.vcpus}</vcpu>\`,
    '  <os>',
    "    <type arch='x86_64'>hvm</type>",
    ...(config.kernel !== undefined ? [\`    <kernel>\${escapeXml(config.kernel)}</kernel>\`] : []),
    ...(config.initrd !== undefined ? [\`    <initrd>\${escapeXml(config.initrd)}</initrd>\`] : []),
    ...(config.cmdline !== undefined ? [\`    <cmdline>\${escapeXml(config.cmdline)}</cmdline>\`] : []),
    '  </os>',
    '</domain>',
  ].join('\\n');
}
`;

  files[`src/${name}-hypervisor.ts`] = `import {
  type ConnectOptions,
  type DomainConfig,
  type DriverRegistry,
  defaultRegistry,
  type ParsedUri,
} from '${CORE}';
import { type BindingOptions, Connection, LibvirtHypervisor } from '${LIBVIRT}';
import { ${C}_CAPABILITIES } from './capabilities.js';
import { ${camel}DomainXml } from './domain-xml.js';
import { ${C}_SCHEME, libvirtUriFor } from './uri.js';

/** Options for {@link ${P}Hypervisor.open}. */
export interface ${P}DriverOptions extends ConnectOptions {
  /** FFI engine: koffi (default) or ffi-napi. */
  readonly engine?: BindingOptions['engine'];
}

/** A ${name} host through libvirt. */
export class ${P}Hypervisor extends LibvirtHypervisor {
  readonly capabilities = ${C}_CAPABILITIES;

  /** Wraps an open libvirt connection (normally made by {@link ${P}Hypervisor.open}). */
  constructor(connection: Connection) {
    super(connection, ${C}_SCHEME);
  }

  /** Opens a ${scheme}:// URI (default ${localUri}); throws E_INVALID_URI for another scheme. */
  static async open(uri = '${localUri}', options: ${P}DriverOptions = {}): Promise<${P}Hypervisor> {
    const conn = await Connection.open(libvirtUriFor(uri), {
      ...(options.engine !== undefined ? { engine: options.engine } : {}),
      ...(options.readonly ? { readonly: true } : {}),
    });
    return new ${P}Hypervisor(conn);
  }

  protected buildDomainXml(config: DomainConfig): string {
    return ${camel}DomainXml(config);
  }
}

/** Registers the ${scheme} scheme in a registry (the default one when omitted); throws E_DUPLICATE_DRIVER if taken. */
export function register${P}Driver(registry: DriverRegistry = defaultRegistry, options: ${P}DriverOptions = {}): void {
  registry.register(${C}_SCHEME, (uri: ParsedUri, connectOptions: ConnectOptions) =>
    ${P}Hypervisor.open(uri.uri, { ...options, ...connectOptions }),
  );
}
`;

  // Sorted by module, as the formatter orders them.
  const exportsByModule = [
    [`./capabilities.js`, `${C}_CAPABILITIES, ${C}_MIGRATION_OPTIONS`],
    [`./domain-xml.js`, `${C}_DOMAIN_TYPE, ${camel}DomainXml`],
    [`./${name}-hypervisor.js`, `type ${P}DriverOptions, ${P}Hypervisor, register${P}Driver`],
    [`./uri.js`, `${C}_SCAFFOLD_LIBVIRT_URI, ${C}_SCHEME, libvirtUriFor, parse${P}Uri`],
  ].sort(([x = ''], [y = '']) => (x < y ? -1 : 1));
  files['src/index.ts'] = `/**
 * @packageDocumentation
 * virtmig driver for ${name}: libvirt behind virtmig's Hypervisor, registered as ${scheme}://.
 */

${exportsByModule.map(([from, names]) => `export { ${names} } from '${from}';`).join('\n')}
`;

  files['test/conformance.test.ts'] = `import { DriverRegistry } from '${CORE}';
import { runConformance } from '${TESTING}';
import { register${P}Driver } from '../src/index.js';

// Through the registry, as users connect: the suite exercises ${P}Hypervisor on ${localUri}.
const registry = new DriverRegistry();
register${P}Driver(registry);

runConformance({
  name: '${P}Hypervisor on ${localUri}',
  connect: () => registry.connect('${localUri}'),
  domainConfig: (name) => ({ name, memoryMiB: 64, vcpus: 1 }),
});
`;

  files['test/driver.test.ts'] = `import { DriverRegistry } from '${CORE}';
import { expect } from 'chai';
import { ${P}Hypervisor, ${camel}DomainXml, libvirtUriFor, register${P}Driver } from '../src/index.js';

describe('${name} driver', () => {
  it('connects ${scheme}:// URIs through the registry as a ${P}Hypervisor', async () => {
    const registry = new DriverRegistry();
    register${P}Driver(registry);
    expect(registry.schemes()).to.deep.equal(['${scheme}']);
    const h = await registry.connect('${localUri}');
    try {
      expect(h).to.be.instanceOf(${P}Hypervisor);
      expect(h.driver).to.equal('${scheme}');
    } finally {
      await h.close();
    }
  });

  it('refuses a URI of another scheme with E_INVALID_URI before opening anything', async () => {
    expect(() => libvirtUriFor('other:///system'))
      .to.throw()
      .with.property('code', 'E_INVALID_URI');
    const err = await ${P}Hypervisor.open('other:///system').catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_INVALID_URI');
  });

  it('builds domain XML with the configured name, memory and vCPUs, and refuses a bad config', () => {
    const xml = ${camel}DomainXml({ name: 'g1', memoryMiB: 128, vcpus: 2 });
    expect(xml).to.include('<name>g1</name>');
    expect(xml).to.include("<memory unit='KiB'>131072</memory>");
    expect(xml).to.include("current='2'>2</vcpu>");
    expect(() => ${camel}DomainXml({ name: 'g1', memoryMiB: 0, vcpus: 1 }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });
});
`;

  files['test/binding-calls.test.ts'] = `import { getBinding } from '${LIBVIRT}';
import { stubBinding } from '${TESTING}';
import { expect } from 'chai';
import sinon from 'sinon';
import { ${C}_SCAFFOLD_LIBVIRT_URI, ${P}Hypervisor, ${camel}DomainXml } from '../src/index.js';

// The libvirt calls ${P}Hypervisor makes, seen through a sinon stub over the real binding.
describe('${P}Hypervisor libvirt calls', () => {
  afterEach(() => sinon.restore());

  it('open hands libvirt the URI the scheme maps to', async () => {
    const stub = stubBinding(sinon, getBinding(), {});
    const h = await ${P}Hypervisor.open('${localUri}');
    sinon.restore();
    try {
      expect(stub.calls('virConnectOpen').map((args) => args[0])).to.deep.equal([${C}_SCAFFOLD_LIBVIRT_URI]);
    } finally {
      await h.close();
    }
  });

  it('defineDomain hands libvirt the domain XML the driver builds', async () => {
    const h = await ${P}Hypervisor.open();
    const config = { name: 'calls-define', memoryMiB: 64, vcpus: 1 };
    try {
      const stub = stubBinding(sinon, getBinding(), {});
      await h.defineDomain(config);
      sinon.restore();
      expect(stub.calls('virDomainDefineXMLFlags').map((args) => args[1])).to.deep.equal([${camel}DomainXml(config)]);
    } finally {
      sinon.restore();
      await h.undefineDomain('calls-define').catch(() => undefined);
      await h.close();
    }
  });

  it('a libvirt failure reaches the caller as the typed error and defines nothing', async () => {
    const h = await ${P}Hypervisor.open();
    try {
      stubBinding(sinon, getBinding(), {
        virDomainDefineXMLFlags: () => {
          throw Object.assign(new Error('virDomainDefineXMLFlags: injected'), { code: 'E_LIBVIRT' });
        },
      });
      const err = await h.defineDomain({ name: 'calls-fail', memoryMiB: 64, vcpus: 1 }).catch((e: unknown) => e);
      expect(err).to.have.property('code', 'E_LIBVIRT');
      sinon.restore();
      const lookup = await h.lookupDomain('calls-fail').catch((e: unknown) => e);
      expect(lookup).to.have.property('code', 'E_NOT_FOUND');
    } finally {
      sinon.restore();
      await h.close();
    }
  });
});
`;

  const fence = '\u0060\u0060\u0060';
  files['README.md'] = `# ${pkg}

A virtmig driver for ${name}: libvirt behind virtmig's \u0060Hypervisor\u0060, registered under
the URI scheme \u0060${scheme}://\u0060. Generated by \u0060virtmig new-driver ${name}${scheme === name ? '' : ` --scheme ${scheme}`}\u0060.

${fence}ts
import { register${P}Driver } from '${pkg}';
import { defaultRegistry } from '${CORE}';

register${P}Driver();
const h = await defaultRegistry.connect('${localUri}');
await h.defineDomain({ name: 'guest', memoryMiB: 512, vcpus: 1 });
${fence}

Until you point it at your hypervisor, \u0060${scheme}://\u0060 opens libvirt's embedded test driver
(\u0060test:///default\u0060), so the tests pass on any machine with libvirt installed
(libvirt0 / libvirt-libs) and exercise this package's own class.

${fence}sh
npm install
npm test      # builds, then runs the conformance suite and the libvirt-call tests
${fence}

## Next steps

1. \u0060src/domain-xml.ts\u0060: the domain XML your hypervisor's libvirt driver expects; set
   \u0060${C}_DOMAIN_TYPE\u0060 to its domain type and validate the XML with \u0060virt-xml-validate\u0060.
2. \u0060src/capabilities.ts\u0060: only what that libvirt driver really does (read its source): migration
   options, CPU cap, vCPU hot-plug, ballooning, events. The conformance suite holds the class to
   every claim.
3. \u0060src/uri.ts\u0060: make \u0060libvirtUriFor\u0060 return the URI your libvirt driver takes instead of
   \u0060${C}_SCAFFOLD_LIBVIRT_URI\u0060, and check its transports and paths.
4. \u0060src/${name}-hypervisor.ts\u0060: override \u0060applyCpuCap\u0060/\u0060readCpuCap\u0060 if the hypervisor can cap CPU use.
5. \u0060test/conformance.test.ts\u0060: once the scheme opens a real host, run the suite against it
   (and give it a \u0060migrationPeer\u0060 of two hosts if the driver migrates).
6. \u0060test/binding-calls.test.ts\u0060: pin down the libvirt calls and flags your overrides make.
7. Publish: \u0060npm publish\u0060 builds first (\u0060prepack\u0060) and ships \u0060dist/src\u0060.
`;
  return files;
}
