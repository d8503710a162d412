import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import { expandMatrix, loadSpecFile, parseSpec, preset, presetNames, validateSpec } from '../src/index.js';
import { fakeSpecInput } from './helpers.js';

function fieldOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidArgumentError);
    const err = e as InvalidArgumentError;
    return { field: err.field, message: err.message };
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('experiment spec', () => {
  it('fills defaults for everything a spec leaves out', () => {
    const s = validateSpec({
      name: 'x',
      hosts: 'lab',
      workloads: ['linpack'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 },
    });
    expect(s.driver).to.equal('qemu');
    expect(s.storage).to.deep.equal({ kind: 'none' });
    expect(s.guest).to.deep.equal({ image: 'lab', bootTimeoutMs: 60_000 });
    expect(s.matrix.hostCores).to.deep.equal([1]);
    expect(s.migration.enabled).to.equal(false);
    expect(s.sampling.intervalMs).to.equal(1000);
    expect(s.durations).to.deep.equal({ warmupMs: 2000, measureMs: 10_000 });
    expect(s.policy).to.deep.equal({ thresholdPercent: 65, selection: 'study' });
    expect(s.workloads).to.deep.equal([{ name: 'linpack', label: 'linpack', seconds: 2, options: {} }]);
  });

  it('does not modify the object it validates', () => {
    const input = fakeSpecInput();
    const before = JSON.stringify(input);
    validateSpec(input);
    expect(JSON.stringify(input)).to.equal(before);
  });

  it('names the field path and what was expected for a wrong type inside an array', () => {
    const e = fieldOf(() =>
      validateSpec(fakeSpecInput({ matrix: { ramMiB: [128, '256'], vcpus: [1], capPercent: [50], trials: 1 } })),
    );
    expect(e.field).to.equal('matrix.ramMiB[1]');
    expect(e.message).to.contain('must be integer');
  });

  it('names a missing required field', () => {
    expect(fieldOf(() => validateSpec({ name: 'x', hosts: 'lab', workloads: ['linpack'] })).field).to.equal('matrix');
    const e = fieldOf(() => validateSpec(fakeSpecInput({ hosts: [{ source: 'fake:///a' }] })));
    expect(e).to.deep.equal({ field: 'hosts[0].destination', message: 'hosts[0].destination: is required' });
  });

  it('rejects unknown fields, unknown workloads and out-of-range values with their paths', () => {
    expect(fieldOf(() => validateSpec(fakeSpecInput({ colour: 'blue' }))).field).to.equal('colour');
    const w = fieldOf(() => validateSpec(fakeSpecInput({ workloads: ['dhrystone', 'whetstone'] })));
    expect(w.field).to.equal('workloads[1]');
    expect(w.message).to.contain('"dhrystone", "linpack", "livermore", "dirtier"');
    const t = fieldOf(() => validateSpec(fakeSpecInput({ policy: { thresholdPercent: 150 } })));
    expect(t).to.deep.equal({ field: 'policy.thresholdPercent', message: 'policy.thresholdPercent: must be <= 100' });
    expect(fieldOf(() => validateSpec(fakeSpecInput({ policy: { selection: 'best' } }))).field).to.equal(
      'policy.selection',
    );
  });

  it('checks the iSCSI storage fields only when the kind is iscsi', () => {
    const e = fieldOf(() =>
      validateSpec(
        fakeSpecInput({
          storage: { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.dev.virtmig:lun', lun: -1 },
        }),
      ),
    );
    expect(e.field).to.equal('storage.lun');
    const ok = validateSpec(
      fakeSpecInput({
        storage: { kind: 'iscsi', portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.dev.virtmig:lun', lun: 0 },
      }),
    );
    expect(ok.storage).to.deep.equal({
      kind: 'iscsi',
      portal: '10.0.0.1:3260',
      iqn: 'iqn.2024-01.dev.virtmig:lun',
      lun: 0,
    });
  });

  it("takes iSCSI storage without a LUN (the lab's shared disk) with a CHAP flag only when the hosts are the lab", () => {
    const lab = {
      name: 'x',
      hosts: 'lab',
      workloads: ['linpack'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 },
    };
    expect(validateSpec({ ...lab, storage: { kind: 'iscsi', chap: true } }).storage).to.deep.equal({
      kind: 'iscsi',
      chap: true,
    });
    expect(validateSpec({ ...lab, storage: { kind: 'iscsi' } }).storage).to.deep.equal({ kind: 'iscsi' });
    expect(fieldOf(() => validateSpec(fakeSpecInput({ storage: { kind: 'iscsi', chap: true } })))).to.deep.equal({
      field: 'storage.portal',
      message: 'storage.portal: is required unless hosts is "lab" (then the lab serves the shared disk)',
    });
    expect(fieldOf(() => validateSpec({ ...lab, storage: { kind: 'iscsi', chap: 'yes' } }))).to.deep.equal({
      field: 'storage.chap',
      message: 'storage.chap: must be boolean',
    });
  });

  it('takes hosts: xenlab with driver xen only, and asks it for a named LUN (the testbed serves none by itself)', () => {
    const xen = {
      name: 'x',
      hosts: 'xenlab',
      driver: 'xen',
      workloads: ['dhrystone'],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [50], trials: 1 },
    };
    const ok = validateSpec(xen);
    expect([ok.hosts, ok.driver]).to.deep.equal(['xenlab', 'xen']);
    expect(fieldOf(() => validateSpec({ ...xen, driver: 'qemu' }))).to.deep.equal({
      field: 'driver',
      message: 'driver: must be "xen" with hosts: xenlab (the Xen testbed runs Xen), got "qemu"',
    });
    expect(fieldOf(() => validateSpec({ ...xen, hosts: 'lab' })).message).to.equal(
      'driver: must be "qemu" with hosts: lab (the lab runs QEMU), got "xen"',
    );
    expect(fieldOf(() => validateSpec({ ...xen, storage: { kind: 'iscsi' } })).field).to.equal('storage.portal');
    const lun = { kind: 'iscsi', portal: '10.0.1.3:3260', iqn: 'iqn.2026-11.lab.virtmig:shared', lun: 0 };
    expect(validateSpec({ ...xen, storage: lun }).storage).to.deep.equal(lun);
    expect(fieldOf(() => validateSpec({ ...xen, hosts: 'xenlabs' })).field).to.equal('hosts');
  });

  it('migration.tunnelled needs every host pair to name a peerUri, and hosts other than the QEMU lab', () => {
    const tunnelled = { enabled: true, tunnelled: true };
    const pair = { source: 'fake:///a', destination: 'fake:///b' };
    expect(fieldOf(() => validateSpec(fakeSpecInput({ migration: tunnelled })))).to.deep.equal({
      field: 'hosts[0].peerUri',
      message:
        'hosts[0].peerUri: is needed with migration.tunnelled: the source host migrates peer-to-peer to that URI',
    });
    const ok = validateSpec(
      fakeSpecInput({ hosts: [{ ...pair, peerUri: 'fake+tls://b/system' }], migration: tunnelled }),
    );
    expect(ok.migration.tunnelled).to.equal(true);
    expect(
      fieldOf(() => validateSpec({ ...fakeSpecInput({ migration: tunnelled }), hosts: 'lab', driver: 'qemu' })).field,
    ).to.equal('migration.tunnelled');
    expect(fieldOf(() => validateSpec(fakeSpecInput({ hosts: [{ ...pair, peerUri: 'b' }] }))).field).to.equal(
      'hosts[0].peerUri',
    );
  });

  it('refuses a partly named LUN and CHAP on a LUN the spec names, naming the missing or extra field', () => {
    const lun = { portal: '10.0.0.1:3260', iqn: 'iqn.2024-01.dev.virtmig:lun', lun: 1 };
    expect(
      fieldOf(() => validateSpec(fakeSpecInput({ storage: { kind: 'iscsi', portal: lun.portal } }))),
    ).to.deep.equal({ field: 'storage.iqn', message: 'storage.iqn: is required with storage.portal' });
    expect(
      fieldOf(() => validateSpec(fakeSpecInput({ storage: { kind: 'iscsi', iqn: lun.iqn, lun: 1 } }))).field,
    ).to.equal('storage.portal');
    expect(
      fieldOf(() => validateSpec(fakeSpecInput({ storage: { kind: 'iscsi', portal: lun.portal, iqn: lun.iqn } }))),
    ).to.deep.equal({ field: 'storage.lun', message: 'storage.lun: is required with storage.portal' });
    const chap = fieldOf(() => validateSpec(fakeSpecInput({ storage: { kind: 'iscsi', ...lun, chap: false } })));
    expect(chap.field).to.equal('storage.chap');
    expect(chap.message).to.contain("only applies to the lab's shared disk");
    expect(fieldOf(() => validateSpec(fakeSpecInput({ storage: { kind: 'none', chap: true } }))).field).to.equal(
      'storage.chap',
    );
  });

  it('checks host URIs against the driver, workload options, and the measure window against the interval', () => {
    const u = fieldOf(() =>
      validateSpec(fakeSpecInput({ hosts: [{ source: 'qemu:///system', destination: 'fake:///b' }] })),
    );
    expect(u.field).to.equal('hosts[0].source');
    expect(u.message).to.contain('must be a fake URI');
    expect(
      fieldOf(() => validateSpec(fakeSpecInput({ workloads: [{ name: 'linpack', options: { size: 3 } }] }))).field,
    ).to.equal('workloads[0].options');
    expect(fieldOf(() => validateSpec(fakeSpecInput({ durations: { measureMs: 5 } }))).field).to.equal(
      'durations.measureMs',
    );
    expect(
      fieldOf(() => validateSpec(fakeSpecInput({ hosts: [{ source: 'fake:///a', destination: 'fake:///a' }] }))).field,
    ).to.equal('hosts[0].destination');
  });

  it('parses YAML and reports unparsable text and missing files as invalid input', async () => {
    const s = parseSpec(
      'name: y\ndriver: fake\nhosts:\n  - {source: "fake:///a", destination: "fake:///b"}\nguest: {image: none}\nworkloads: [livermore]\nmatrix: {ramMiB: [64], vcpus: [1], capPercent: [0], trials: 3}\n',
    );
    expect(s.matrix.trials).to.equal(3);
    expect(fieldOf(() => parseSpec('name: [unclosed', 'bad.yaml')).field).to.equal('bad.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'bench-spec-'));
    await writeFile(join(dir, 's.json'), JSON.stringify(fakeSpecInput()));
    expect((await loadSpecFile(join(dir, 's.json'))).name).to.equal('unit');
    try {
      await loadSpecFile(join(dir, 'missing.yaml'));
      expect.fail('should throw');
    } catch (e) {
      expect((e as InvalidArgumentError).field).to.equal('spec');
    }
  });

  it('has a paper preset with the study matrix (1,440 trials), a paper-quick preset of 24 migrating trials, the model sweep and a simulated dry-run preset', () => {
    expect(presetNames()).to.deep.equal(['dry-run', 'model-sweep', 'paper', 'paper-quick']);
    const paper = preset('paper');
    expect(paper.matrix.capPercent).to.deep.equal([25, 50, 75, 100, 125, 150, 175, 200]);
    const plans = expandMatrix(paper);
    expect(plans).to.have.length(3 * 3 * 2 * 8 * 10);
    expect(plans.filter((p) => p.migrate)).to.have.length(3 * 3 * 10);
    const quick = expandMatrix(preset('paper-quick'));
    expect(quick).to.have.length(24);
    expect(quick.every((p) => p.migrate)).to.equal(true);
    const dry = preset('dry-run');
    expect(dry.driver).to.equal('fake');
    expect(expandMatrix(dry).filter((p) => p.migrate)).to.have.length(4);
    expect(fieldOf(() => preset('nope')).field).to.equal('preset');
  });

  it('has a model-sweep preset whose dirtier rates span lambda from under 0.5 to beyond 1 over its bandwidth limit', () => {
    const s = preset('model-sweep');
    const bandwidth = s.migration.bandwidthMiBps as number;
    const lambdas = s.workloads.map((w) => (w.options.rateMbps ?? 0) / bandwidth);
    expect(Math.min(...lambdas)).to.equal(0);
    expect(lambdas.some((l) => l > 0 && l < 0.5)).to.equal(true);
    expect(Math.max(...lambdas)).to.be.greaterThan(1);
    expect(new Set(expandMatrix(s).map((p) => p.workload)).size).to.equal(s.workloads.length);
    expect(expandMatrix(s).every((p) => p.migrate)).to.equal(true);
    expect(s.migration.timeoutMs).to.be.at.most(60_000);
  });

  it('runs one workload under several labels, and refuses a label used twice', () => {
    const base = {
      name: 'x',
      driver: 'fake',
      hosts: [{ source: 'fake:///a', destination: 'fake:///b' }],
      matrix: { ramMiB: [128], vcpus: [1], capPercent: [0], hostCores: [2], trials: 1 },
    };
    const two = validateSpec({
      ...base,
      workloads: [
        { name: 'dirtier', label: 'dirtier-8', options: { rateMbps: 8 } },
        { name: 'dirtier', label: 'dirtier-32', options: { rateMbps: 32 } },
      ],
    });
    expect(expandMatrix(two).map((p) => p.id)).to.deep.equal([
      'dirtier-8/ram128/vcpu1/cap0/cores2/t0',
      'dirtier-32/ram128/vcpu1/cap0/cores2/t0',
    ]);
    expect(
      fieldOf(() => validateSpec({ ...base, workloads: [{ name: 'dirtier' }, { name: 'dirtier' }] })).field,
    ).to.equal('workloads[1]');
  });
});
