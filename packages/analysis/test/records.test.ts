import { expect } from 'chai';
import { sampleTimeline, sampleTrials, validateTimeline, validateTrialRecord } from '../src/index.js';

describe('input records', () => {
  it('accepts the sample trials and timeline', () => {
    for (const r of sampleTrials()) expect(validateTrialRecord(JSON.parse(JSON.stringify(r)))).to.be.an('object');
    expect(validateTimeline(sampleTimeline()).samples.length).to.be.greaterThan(100);
  });

  it('names the first bad field of a malformed trial', () => {
    const good = sampleTrials()[0];
    const bad = (patch: Record<string, unknown>) => () => validateTrialRecord({ ...good, ...patch });
    expect(bad({ vcpus: 0 }))
      .to.throw()
      .with.property('field', 'record.vcpus');
    expect(bad({ workload: '' }))
      .to.throw()
      .with.property('field', 'record.workload');
    expect(bad({ capPercent: -5 }))
      .to.throw()
      .with.property('field', 'record.capPercent');
    expect(bad({ cpuSamples: [{ tMs: 0, domainPercentOfHost: 1, domainPercentOfCpu: 'x', hostPercent: 1 }] }))
      .to.throw()
      .with.property('field', 'record.cpuSamples[0].domainPercentOfCpu');
    expect(bad({ migration: { totalTimeMs: Number.NaN } }))
      .to.throw()
      .with.property('field', 'record.migration.totalTimeMs');
    expect(() => validateTrialRecord(null))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('refuses a timeline whose samples go back in time', () => {
    const t = sampleTimeline();
    const samples = [t.samples[1], t.samples[0]];
    expect(() => validateTimeline({ ...t, samples }))
      .to.throw()
      .with.property('field', 'timeline.samples[1].tMs');
  });
});
