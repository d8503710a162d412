import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ENUMS, FUNCTIONS, STRUCTS } from '../src/index.js';

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

  it('records the version that added each function', () => {
    expect(FUNCTIONS.virDomainMigrate3.since).to.equal('1.1.0');
    expect(FUNCTIONS.virDomainGetInfo.args.map((a) => a.kind)).to.deep.equal(['pointer', 'pointer']);
  });
});
