import { type HypervisorCapabilities, InvalidArgumentError, UnsupportedError } from '@virtmig/core';
import { expect } from 'chai';
import {
  checkDriverSupport,
  expandMatrix,
  MAX_TRIALS,
  parseSpec,
  preset,
  presetNames,
  trialCount,
  validateSpec,
} from '../src/index.js';
import { fakeSpec, fakeSpecInput } from './helpers.js';

const invalid = (f: () => unknown, field: string | RegExp): void => {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).to.be.instanceOf(InvalidArgumentError);
  const got = (caught as InvalidArgumentError).field;
  if (typeof field === 'string') expect(got).to.equal(field);
  else expect(got).to.match(field);
};

describe('preset', () => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', '']) {
    it(`refuses ${JSON.stringify(name)}, a name every object inherits, with E_INVALID_ARGUMENT listing the presets`, () => {
      invalid(() => preset(name), 'preset');
      expect(() => preset(name)).to.throw(presetNames().join(', '));
    });
  }
});

describe('spec validation with @virtmig/iscsi validators', () => {
  const storage = (over: Record<string, unknown>) =>
    fakeSpecInput({
      storage: { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.dev.virtmig:disk', lun: 0, ...over },
    });
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an IQN of month 13', { iqn: 'iqn.2024-13.dev.virtmig:disk' }, /^storage\.iqn$/],
    ['an IQN longer than 223 bytes', { iqn: `iqn.2024-01.dev.virtmig:${'a'.repeat(220)}` }, /^storage\.iqn$/],
    ['an upper-case IQN', { iqn: 'iqn.2024-01.DEV.virtmig' }, /^storage\.iqn$/],
    ['an IQN with a shell metacharacter', { iqn: 'iqn.2024-01.dev.virtmig:a;rm' }, /^storage\.iqn$/],
    ['port 99999', { portal: '10.0.0.1:99999' }, /^storage\.portal/],
    ['address 256.0.0.1', { portal: '256.0.0.1:3260' }, /^storage\.portal/],
    ['a portal with $(x)', { portal: '$(x):3260' }, /^storage\.portal/],
  ];
  for (const [what, over, field] of bad) {
    it(`refuses ${what}`, () => invalid(() => validateSpec(storage(over)), field));
  }
  it('accepts a valid LUN', () => {
    expect(validateSpec(storage({})).storage).to.include({ kind: 'iscsi', lun: 0 });
  });
  it('refuses a guest kernel path with .. or metacharacters', () => {
    invalid(() => validateSpec(fakeSpecInput({ guest: { kernel: '/a/../b', initrd: '/i' } })), 'guest.kernel');
    invalid(() => validateSpec(fakeSpecInput({ guest: { kernel: '/k', initrd: '/i;x' } })), 'guest.initrd');
  });
});

describe('spec limits', () => {
  it('refuses a matrix of billions of trials by counting, before expanding it', () => {
    const list = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);
    const input = fakeSpecInput({
      matrix: { ramMiB: list(1000, 16), vcpus: list(1000, 1), capPercent: [0], hostCores: [1], trials: 10_000 },
    });
    invalid(() => validateSpec(input), 'matrix');
    expect(() => validateSpec(input)).to.throw(/20000000000 trials/);
  });
  it('accepts exactly MAX_TRIALS trials and counts them without expanding', () => {
    const spec = fakeSpec({
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [0], hostCores: [1], trials: 10_000 },
    });
    expect(trialCount(spec)).to.equal(10_000);
    expect(MAX_TRIALS).to.be.greaterThanOrEqual(10_000);
  });
  it('expandMatrix refuses a spec object over the limit that skipped validation', () => {
    const spec = fakeSpec();
    const huge = { ...spec, matrix: { ...spec.matrix, trials: MAX_TRIALS + 1 } };
    invalid(() => expandMatrix(huge), 'matrix');
  });
  it('refuses a spec nested deeper than the schema allows, without a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    invalid(() => validateSpec(fakeSpecInput({ name: deep })), 'spec');
    invalid(() => parseSpec(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'spec');
  });
  it('refuses option keys that are prototype names', () => {
    const hosts = [{ source: 'fake:///a', destination: 'fake:///b', connectOptions: JSON.parse('{"__proto__": 1}') }];
    invalid(() => validateSpec(fakeSpecInput({ hosts })), /^hosts\[0\]\.connectOptions/);
    invalid(() => parseSpec(JSON.stringify({ ...fakeSpecInput(), constructor: {} })), 'constructor');
  });
  it('never quotes the spec text in a YAML parse error', () => {
    const text =
      'name: x\nhosts:\n  - source: fake:///a\n    destination: fake:///b\n    connectOptions: {password: s3cretPassw0rd\nworkloads: [';
    expect(() => parseSpec(text))
      .to.throw(InvalidArgumentError)
      .that.satisfies((e: Error) => !e.message.includes('s3cret'));
  });
});

describe('checkDriverSupport', () => {
  const caps = (over: Partial<HypervisorCapabilities>): HypervisorCapabilities => ({
    migration: true,
    migrationOptions: new Set(['tunnelled', 'peerUri']),
    cpuCap: true,
    vcpuHotplug: false,
    memoryBalloon: false,
    events: false,
    secrets: false,
    ...over,
  });
  it('refuses CPU caps above 0 on a driver without cpuCap', () => {
    const spec = fakeSpec({ migration: { enabled: false } });
    expect(() => checkDriverSupport(spec, 'x', caps({ cpuCap: false }), [])).to.throw(UnsupportedError, /CPU caps/);
  });
  it('accepts uncapped trials on a driver without cpuCap', () => {
    const spec = fakeSpec({
      migration: { enabled: false },
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [0], trials: 1 },
    });
    expect(() => checkDriverSupport(spec, 'x', caps({ cpuCap: false }), [])).not.to.throw();
  });
  it('refuses a migration option the driver does not offer', () => {
    const spec = fakeSpec({ migration: { enabled: true, bandwidthMiBps: 10 } });
    expect(() => checkDriverSupport(spec, 'x', caps({}), [])).to.throw(UnsupportedError, /bandwidthMiBps/);
  });
});
