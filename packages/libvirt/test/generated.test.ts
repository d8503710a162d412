import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ENUMS, FUNCTIONS, type FunctionSig, STRUCTS } from '../src/index.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const API_XML = '/usr/share/libvirt/api/libvirt-api.xml';

describe('generated signature table', () => {
  it('is up to date with the installed libvirt-api.xml', () => {
    const out = execFileSync(process.execPath, [join(pkg, 'tools', 'generate-api.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(out).to.include('up to date');
  });

  it('covers every function, enum value and struct in the API description', () => {
    const xml = readFileSync(API_XML, 'utf8');
    const names = (tag: string) =>
      [...xml.matchAll(new RegExp(`<${tag} name='([^']+)'`, 'g'))].map((m) => m[1] as string);
    expect(Object.keys(FUNCTIONS).sort()).to.deep.equal([...new Set(names('function'))].sort());
    const enumValues = Object.values(ENUMS).flatMap((g) => Object.keys(g));
    expect(enumValues.sort()).to.deep.equal([...new Set(names('enum'))].sort());
    const withFields = [...xml.matchAll(/<struct name='([^']+)'[^/]*?>\s*<field/g)].map((m) => m[1] as string);
    expect(Object.keys(STRUCTS).sort()).to.deep.equal([...new Set(withFields)].sort());
  });

  it('resolves every enum value to a number, aliases and expressions included', () => {
    for (const [type, values] of Object.entries(ENUMS)) {
      for (const [name, v] of Object.entries(values)) {
        expect(Number.isSafeInteger(v), `${type}.${name} = ${v}`).to.equal(true);
      }
    }
    const A = ENUMS.virDomainModificationImpact;
    expect(ENUMS.virDomainDeviceModifyFlags.VIR_DOMAIN_DEVICE_MODIFY_CONFIG).to.equal(A.VIR_DOMAIN_AFFECT_CONFIG);
    expect(A.VIR_DOMAIN_AFFECT_CONFIG).to.equal(2);
    expect(ENUMS.virDomainDeviceModifyFlags.VIR_DOMAIN_DEVICE_MODIFY_LIVE).to.equal(1);
    expect(ENUMS.virDomainMemoryModFlags.VIR_DOMAIN_MEM_CONFIG).to.equal(2);
    expect(ENUMS.virDomainVcpuFlags.VIR_DOMAIN_VCPU_LIVE).to.equal(1);
    const L = ENUMS.virConnectListAllDomainsFlags;
    const S = ENUMS.virConnectGetAllDomainStatsFlags;
    expect(S.VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING).to.equal(L.VIR_CONNECT_LIST_DOMAINS_RUNNING);
    expect(S.VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT).to.equal(L.VIR_CONNECT_LIST_DOMAINS_TRANSIENT);
    expect(ENUMS.virBlkioParameterType.VIR_DOMAIN_BLKIO_PARAM_ULLONG).to.equal(
      ENUMS.virTypedParameterType.VIR_TYPED_PARAM_ULLONG,
    );
  });

  it('evaluates shifts, ors and references the way C does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'virtmig-gen-'));
    try {
      const xml = join(dir, 'api.xml');
      writeFileSync(
        xml,
        `<api name='libvirt'><files/><symbols>
  <macro name='LIBVIR_VERSION_NUMBER' file='libvirt-common' raw='9000000'/>
  <enum name='VIR_A' file='x' value='(1 << 3)' type='virT'/>
  <enum name='VIR_B' file='x' value='VIR_A | 0x2' type='virT'/>
  <enum name='VIR_C' file='x' value='~VIR_B &amp; 0xff' type='virT'/>
  <enum name='VIR_D' file='x' value='VIR_C' type='virU'/>
</symbols></api>`,
      );
      execFileSync(process.execPath, [join(pkg, 'tools', 'generate-api.mjs'), '--xml', xml, '--out', dir]);
      const enums = readFileSync(join(dir, 'src', 'generated', 'enums.ts'), 'utf8');
      expect(enums).to.include('"VIR_A": 8').and.include('"VIR_B": 10').and.include('"VIR_C": 245');
      expect(enums).to.include('"VIR_D": 245');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records the failure return libvirt documents for every function that can fail', () => {
    const table: Readonly<Record<string, FunctionSig>> = FUNCTIONS;
    expect(table.virDomainGetID?.fail).to.equal('max');
    expect(table.virDomainGetMaxMemory?.fail).to.equal(0);
    expect(table.virNodeGetFreeMemory?.fail).to.equal(0);
    expect(table.virDomainLookupByName?.fail).to.equal('null');
    expect(table.virDomainGetInfo?.fail).to.equal(-1);
    // VIR_CPU_COMPARE_ERROR, named in the documentation.
    expect(table.virConnectCompareCPU?.fail).to.equal(-1);
    const unclassified = Object.entries(table)
      .filter(([, f]) => f.fail === undefined && f.ret.kind !== 'void')
      .map(([n]) => n)
      .sort();
    // These read the thread's error state and cannot fail: the code, the origin, and the message
    // (libvirt documents "a generic message if none is set", never NULL).
    expect(unclassified).to.deep.equal(['virGetLastErrorCode', 'virGetLastErrorDomain', 'virGetLastErrorMessage']);
  });

  it('has the shim copy the error of a 0-on-error function in the same call', () => {
    const shim = readFileSync(join(pkg, '..', '..', 'native', 'libvirt-shim', 'shim.c'), 'utf8');
    const wrapper = /virtmig_virNodeGetFreeMemory\([^)]*\)\n\{([^}]*)\}/.exec(shim)?.[1] ?? '';
    expect(wrapper).to.match(/virResetLastError\(\);\s*unsigned long long ret = virNodeGetFreeMemory\(conn\);/);
    expect(wrapper).to.include('virCopyLastError(virtmig_err)');
  });

  it('records the version that added each function', () => {
    expect(FUNCTIONS.virDomainMigrate3.since).to.equal('1.1.0');
    expect(FUNCTIONS.virDomainGetInfo.args.map((a) => a.kind)).to.deep.equal(['pointer', 'pointer']);
  });
});
