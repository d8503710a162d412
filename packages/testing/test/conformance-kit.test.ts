import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, MIGRATION_OPTION_NAMES } from '@virtmig/core';
import { expect } from 'chai';
import {
  acceptanceHosts,
  CONFORMANCE_CHECKS,
  type ConformanceFramework,
  type ConformanceOptions,
  connectFake,
  runAcceptance,
  runConformance,
  SAMPLE_MIGRATION_OPTIONS,
} from '../src/index.js';

const base: ConformanceOptions = {
  name: 'kit options',
  connect: () => connectFake('fake:///kit-options'),
  domainConfig: (name) => ({ name, memoryMiB: 64, vcpus: 1 }),
};

function registered(options: Partial<ConformanceOptions>): { tests: string[]; pending: string[] } {
  const titles = { tests: [] as string[], pending: [] as string[] };
  runConformance({
    ...base,
    ...options,
    framework: {
      describe: (_t, body) => body(),
      it: (title) => titles.tests.push(title),
      pending: (title) => titles.pending.push(title),
      before: () => undefined,
      after: () => undefined,
    },
  });
  return titles;
}

function refused(options: Partial<ConformanceOptions>, field: string, message: RegExp): void {
  expect(() => registered(options))
    .to.throw(InvalidArgumentError)
    .that.satisfies((e: InvalidArgumentError) => e.code === 'E_INVALID_ARGUMENT' && e.field === field)
    .and.has.property('message')
    .that.matches(message);
}

describe('conformance kit options', () => {
  it('every built-in check has a unique group/name id', () => {
    const ids = CONFORMANCE_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const id of ids) expect(id).to.match(/^[a-z0-9-]+\/[a-z0-9-]+$/);
    expect(ids).to.include.members([
      'lifecycle/define-start',
      'migration/unoffered-option-refused',
      'migration/unknown-option-refused',
      'migration/failure-details',
    ]);
  });

  it('the sample-option table covers exactly the MigrationOptions fields', () => {
    expect(Object.keys(SAMPLE_MIGRATION_OPTIONS)).to.have.members([...MIGRATION_OPTION_NAMES]);
  });

  it('names each test by its check id, and lists skipped and unselected checks as pending with the reason', () => {
    const t = registered({
      skip: [{ id: 'lifecycle/shutdown', reason: 'no ACPI' }],
      only: { ids: ['lifecycle', 'host/info'], reason: 'a partial run' },
    });
    expect(t.tests).to.include('lifecycle/define-start: startDomain makes a defined domain running with an id >= 0');
    expect(t.tests.some((x) => x.startsWith('host/info: '))).to.equal(true);
    expect(t.tests.some((x) => x.startsWith('host/capabilities-xml'))).to.equal(false);
    expect(t.pending).to.include('lifecycle/shutdown skipped: no ACPI');
    expect(t.pending).to.include('host/capabilities-xml not run: a partial run');
  });

  it('registers no check of a skip that is not about a capability (no kit/skips-allowed test)', () => {
    expect(
      registered({ skip: [{ id: 'lifecycle/shutdown', reason: 'no ACPI' }] }).tests.some((x) => x.startsWith('kit/')),
    ).to.equal(false);
    expect(
      registered({ skip: [{ id: 'resources/cpu-cap', reason: 'x' }] }).tests.some((x) =>
        x.startsWith('kit/skips-allowed'),
      ),
    ).to.equal(true);
  });

  it('refuses an unknown id in skip or only, a skip or only without a reason, and bad extra ids', () => {
    refused(
      { skip: [{ id: 'lifecycle/no-such-check', reason: 'x' }] },
      'skip',
      /unknown check id "lifecycle\/no-such-check"/,
    );
    refused({ only: { ids: ['nogroup'], reason: 'x' } }, 'only', /unknown check id or group "nogroup"/);
    refused({ skip: [{ id: 'lifecycle/shutdown', reason: ' ' }] }, 'skip', /needs a reason/);
    refused({ only: { ids: ['host'], reason: '' } }, 'only', /needs a reason/);
    const run = async () => undefined;
    refused({ extraCases: [{ id: 'lifecycle/define-start', title: 't', run }] }, 'extraCases', /already taken/);
    refused({ extraCases: [{ id: 'NoSlash', title: 't', run }] }, 'extraCases', /not group\/name/);
  });

  it('accepts skip and only ids of extra cases', () => {
    const t = registered({
      extraCases: [{ id: 'mine/one', title: 'one', run: async () => undefined }],
      only: { ids: ['mine'], reason: 'extra only' },
    });
    expect(t.tests).to.deep.equal(['mine/one: one']);
  });
});

describe('acceptance hosts from the environment', () => {
  it('is disabled with a reason naming the variable when VIRTMIG_ACC_<DRIVER>_URIS is unset or empty', () => {
    for (const env of [{}, { VIRTMIG_ACC_QEMU_URIS: '' }]) {
      const hosts = acceptanceHosts('qemu', env);
      expect(hosts.enabled).to.equal(false);
      if (!hosts.enabled) expect(hosts.reason).to.include('VIRTMIG_ACC_QEMU_URIS');
    }
  });

  it('reads one or two comma-separated URIs', () => {
    expect(acceptanceHosts('xen', { VIRTMIG_ACC_XEN_URIS: 'xen+tls://a/system' })).to.deep.equal({
      enabled: true,
      uris: ['xen+tls://a/system'],
    });
    expect(acceptanceHosts('xen', { VIRTMIG_ACC_XEN_URIS: 'xen://a/system, xen://b/system' })).to.deep.equal({
      enabled: true,
      uris: ['xen://a/system', 'xen://b/system'],
    });
  });

  it('refuses three URIs, an empty entry or a non-URI with E_INVALID_ARGUMENT naming the variable', () => {
    for (const list of ['a://1,b://2,c://3', 'qemu:///system,', 'lab']) {
      expect(() => acceptanceHosts('qemu', { VIRTMIG_ACC_QEMU_URIS: list }))
        .to.throw(InvalidArgumentError)
        .with.property('field', 'VIRTMIG_ACC_QEMU_URIS');
    }
  });

  it('runAcceptance registers a pending "not run" test instead of the suite when unset, and the suite when set', () => {
    const pending: string[] = [];
    let registeredWith: readonly string[] | undefined;
    const fw: ConformanceFramework = {
      describe: (_t, body) => body(),
      it: () => undefined,
      pending: (title) => pending.push(title),
      before: () => undefined,
      after: () => undefined,
    };
    runAcceptance('Q on real hosts', 'QEMU', () => expect.fail('registered without hosts'), { env: {}, framework: fw });
    expect(pending).to.deep.equal([
      'Q on real hosts not run: set VIRTMIG_ACC_QEMU_URIS=uriA[,uriB] to run on real hosts (uriB: the migration peer)',
    ]);
    runAcceptance(
      'Q',
      'QEMU',
      (h) => {
        registeredWith = h.uris;
      },
      { env: { VIRTMIG_ACC_QEMU_URIS: 'qemu:///system' }, framework: fw },
    );
    expect(registeredWith).to.deep.equal(['qemu:///system']);
  });
});

describe('the README', () => {
  it('lists every built-in check id', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const listed = new Set([...readme.matchAll(/^\| `([a-z0-9-]+\/[a-z0-9-]+)` +\|/gm)].map((m) => m[1]));
    expect([...listed]).to.have.members(CONFORMANCE_CHECKS.map((c) => c.id));
  });
});
