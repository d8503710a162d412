import { expect } from 'chai';
import { renderReport, sampleCluster, sampleTimeline, sampleTrials } from '../src/index.js';

describe('HTML report', () => {
  const records = sampleTrials();

  it('is one self-contained page: inline SVG and CSS, no scripts, no URLs', async () => {
    const html = await renderReport({
      records,
      timelines: [sampleTimeline()],
      model: { maxDowntimeMs: 30_000 },
      cluster: sampleCluster(records),
    });
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
    expect(html).not.to.match(/<script|<link|<img|<iframe|url\(|@import/i);
    expect(html).not.to.match(/https?:|file:|\/\//);
    expect(html.match(/<svg/g)).to.have.length(3);
    expect(html.match(/<table/g)?.length).to.equal(3 + 1 + 1 + 1 + 2);
  });

  it('states the recommendation and why, then what the other policies would do', async () => {
    const html = await renderReport({ records, model: { maxDowntimeMs: 30_000 }, cluster: sampleCluster(records) });
    expect(html).to.contain('Migrate <code>vm-dhrystone</code> from host-a to host-b');
    expect(html).to.contain('least expected total migration time');
    for (const p of ['minimum-migration-time', 'maximum-correlation', 'random', 'workload-balance'])
      expect(html).to.contain(p);
  });

  it("shows every migration model's held-out errors and which one is used, not the old pre-copy table", async () => {
    const html = await renderReport({ records, model: { maxDowntimeMs: 30_000 } });
    expect(html).to.contain('Migration models: held-out prediction errors');
    for (const m of ['equation1', 'akoush-avg', 'akoush-hist', 'regression']) expect(html).to.contain(`>${m}<`);
    expect(html).to.match(/>yes</);
    expect(html).not.to.contain('Pre-copy model vs measured');
    expect(html).to.match(/\d+\.\d %<\/td>/);
  });

  it('gives the same bytes for the same input and escapes what it prints', async () => {
    const input = { title: '<Lab & "A">', records, model: false as const };
    const a = await renderReport(input);
    expect(await renderReport(input)).to.equal(a);
    expect(a).to.contain('&lt;Lab &amp; &quot;A&quot;&gt;');
    expect(a).not.to.contain('Migration models');
    expect(a).not.to.contain('id="recommendation"');
  });
});
