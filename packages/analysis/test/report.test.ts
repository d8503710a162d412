import type { StoredEnvironment } from '@virtmig/core';
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

  const environment = (simulated: boolean): StoredEnvironment => ({
    environmentId: 'env-0123456789abcdef',
    capturedAt: '2026-12-02T10:00:00.000Z',
    environment: {
      simulated,
      virtmigVersion: '0.1.0',
      virtmigCommit: 'abc123',
      runner: { hostname: 'runner', kernel: '6.1.0-27-amd64', platform: 'linux x64', nodeVersion: 'v20.19.0' },
      linkShaping: { rate: '1gbit', delay: '0ms' },
      hosts: (['source', 'destination'] as const).map((role) => ({
        pair: 0,
        role,
        uri: `qemu+tcp://10.77.0.${role === 'source' ? 1 : 2}/system`,
        driver: 'qemu',
        hostname: role,
        hypervisorType: 'QEMU',
        hypervisorVersion: '7.2.0',
        libvirtVersion: '9.0.0',
        cpuModel: 'x86_64',
        cpus: 2,
        cpuMhz: 2600,
        memoryKiB: 4 * 1024 * 1024,
        accelerator: simulated ? 'simulated' : 'tcg',
        kernel: '6.1.0-27-amd64',
      })),
    },
  });

  it("lists each host's versions, accelerator and kernel, the link and virtmig's build in the Method section", async () => {
    const html = await renderReport({ records, model: false, environments: [environment(false)] });
    const method = html.slice(html.indexOf('<h2 id="method">'));
    expect(method).to.contain('Environment env-0123456789abcdef, captured 2026-12-02T10:00:00.000Z');
    expect(method).to.contain('<td class="text">QEMU 7.2.0</td><td class="text">9.0.0</td><td class="text">tcg</td>');
    expect(method).to.contain('virtmig 0.1.0, commit abc123');
    expect(method).to.contain('migration link shaped to 1gbit, delay 0ms');
    expect(method).to.contain('presentation tables');
    expect(html).not.to.contain('class="simulated"');
  });

  it('labels a simulated run in its title and a banner', async () => {
    const html = await renderReport({ title: 'dry', records, model: false, environments: [environment(true)] });
    expect(html).to.contain('<h1>dry (simulated)</h1>');
    expect(html).to.contain('<p class="simulated" id="simulated">Simulated run');
    const forced = await renderReport({ title: 'dry', records, model: false, simulated: true });
    expect(forced).to.contain('<p class="simulated"');
  });
});
