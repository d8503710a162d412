import { expect } from 'chai';
import { cpuVsCapSpec, migrationSpec, renderSvg, sampleTimeline, sampleTrials, timelineSpec } from '../src/index.js';

function size(svg: string): [number, number] {
  const m = /^<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

describe('figures (Vega-Lite rendered to SVG in Node)', () => {
  const records = sampleTrials();

  it('renders CPU usage vs cap with a panel per workload and a line per RAM size', async () => {
    const svg = await renderSvg(cpuVsCapSpec(records));
    const [w, h] = size(svg);
    expect(w).to.be.greaterThan(500);
    expect(h).to.be.greaterThan(200);
    for (const label of ['dhrystone', 'linpack', 'livermore', '1024 MiB', '4096 MiB', 'CPU cap (% of one CPU)']) {
      expect(svg).to.contain(label);
    }
    expect(svg).not.to.contain('NaN');
  });

  it('renders migration bars with CI whiskers in seconds', async () => {
    const spec = migrationSpec(records);
    const values = (spec.data as { values: { metric: string; mean: number; low: number; high: number }[] }).values;
    expect(values).to.have.length(6);
    for (const v of values) expect(v.low).to.be.below(v.mean).and.below(v.high);
    const svg = await renderSvg(spec);
    expect(svg).to.contain('Total migration time');
    expect(svg).to.contain('Downtime');
    expect(svg).not.to.contain('NaN');
  });

  it('renders the timeline with one vertical marker per new iteration', async () => {
    const t = sampleTimeline();
    const spec = timelineSpec(t);
    const panels = spec.vconcat as { layer: { data: { values: unknown[] } }[] }[];
    expect(panels).to.have.length(3);
    const iterations = new Set(t.samples.map((s) => s.iteration));
    expect(panels[0]?.layer[1]?.data.values).to.have.length(iterations.size - 1);
    const svg = await renderSvg(spec);
    expect(svg).to.contain('Dirty rate (MB/s)');
    expect(svg).to.contain('Host CPU (%)');
    expect(size(svg)[1]).to.be.greaterThan(400);
  });

  /** The texts of an SVG (tick labels, titles, legends). */
  const textsOf = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');

  it('gives a dirty rate of zero throughout a readable MB/s axis from 0 to 1, with no 0.000000 tick', async () => {
    const t = sampleTimeline();
    const flat = { ...t, samples: t.samples.map((s) => ({ ...s, dirtyRateBps: 0 })) };
    const svg = await renderSvg(timelineSpec(flat));
    expect(svg).to.contain('Dirty rate (MB/s)');
    const labels = textsOf(svg);
    expect(labels.filter((l) => /^0\.0+$/.test(l))).to.deep.equal([]);
    expect(labels).to.include.members(['0.2', '1']);
  });

  it('scales the dirty-rate axis to the data in MB/s (10^6 bytes per second)', async () => {
    const t = sampleTimeline();
    const fast = { ...t, samples: t.samples.map((s, i) => ({ ...s, dirtyRateBps: i === 0 ? 250e6 : 0 })) };
    const labels = textsOf(await renderSvg(timelineSpec(fast)));
    expect(labels).to.include.members(['250', 'Dirty rate (MB/s)']);
  });

  it('refuses to plot nothing with E_INVALID_ARGUMENT', () => {
    expect(() => cpuVsCapSpec([]))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(() => migrationSpec(records.filter((r) => !r.migration)))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(() => timelineSpec({ ...sampleTimeline(), samples: [] }))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });
});
