import { expect } from 'chai';
import {
  cpuVsCapTables,
  csvField,
  hostCoresTable,
  migrationTable,
  STUDY_CAPS,
  sampleTrials,
  summarize,
  type Table,
  type TrialRecord,
  toCsv,
  toHtmlTable,
  toMarkdown,
} from '../src/index.js';

function rec(p: Partial<TrialRecord> & { cpu: number; host?: number }): TrialRecord {
  const { cpu, host, ...rest } = p;
  return {
    experimentId: 'e',
    workload: 'dhrystone',
    ramMiB: 512,
    vcpus: 1,
    capPercent: 50,
    hostCores: 2,
    trial: 0,
    cpuSamples: [{ tMs: 0, domainPercentOfCpu: cpu, domainPercentOfHost: cpu / 2, hostPercent: host ?? cpu / 2 }],
    workloadScore: 1,
    ...rest,
  };
}

describe('tables', () => {
  it('quotes CSV fields as RFC 4180 requires', () => {
    expect(csvField('plain')).to.equal('plain');
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField('two\nlines')).to.equal('"two\nlines"');
    expect(csvField('cr\r')).to.equal('"cr\r"');
  });

  it('writes CSV with CRLF rows and expands summary columns into mean, CI bounds and n', () => {
    const t: Table = {
      id: 't',
      title: 'T',
      columns: [
        { header: 'name, with comma', kind: 'text' },
        { header: 'x', kind: 'summary' },
        { header: 'y', kind: 'number' },
      ],
      rows: [
        ['a "quoted" one', summarize([1, 2, 3]), 1.5],
        ['single', summarize([4]), null],
        ['empty', null, 2],
      ],
    };
    const csv = toCsv(t);
    const lines = csv.split('\r\n');
    expect(lines[0]).to.equal('"name, with comma",x mean,x ci low,x ci high,x n,y');
    const ci = summarize([1, 2, 3]).ci;
    expect(lines[1]).to.equal(`"a ""quoted"" one",2,${ci?.low},${ci?.high},3,1.5`);
    expect(lines[2]).to.equal('single,4,,,1,');
    expect(lines[3]).to.equal('empty,,,,,2');
    expect(lines[4]).to.equal('');
    expect(csv).not.to.match(/[^\r]\n/);
  });

  it('escapes pipes in Markdown and shows empty cells as a dash', () => {
    const md = toMarkdown({
      id: 't',
      title: 'a | b',
      columns: [
        { header: 'k', kind: 'text' },
        { header: 'v', kind: 'summary' },
      ],
      rows: [
        ['x|y', summarize([10, 12])],
        ['z', null],
      ],
    });
    expect(md).to.contain('### a \\| b');
    expect(md).to.contain('| x\\|y | 11.0 ± 12.7 |');
    expect(md).to.contain('| z | — |');
    expect(md).to.contain('| --- | ---: |');
  });

  it('escapes HTML in cells and captions', () => {
    const html = toHtmlTable({
      id: 'x',
      title: '<b>',
      columns: [{ header: 'h&', kind: 'text' }],
      rows: [['<script>']],
    });
    expect(html).to.contain('&lt;b&gt;');
    expect(html).to.contain('h&amp;');
    expect(html).not.to.contain('<script>');
  });

  it('lays out Tables 1-3: one per workload, caps 25..200 as rows, (RAM, vCPUs) as columns', () => {
    const records = [
      rec({ cpu: 24, capPercent: 25 }),
      rec({ cpu: 26, capPercent: 25, trial: 1 }),
      rec({ cpu: 49, capPercent: 50, ramMiB: 1024, vcpus: 2 }),
      rec({ cpu: 95, capPercent: 100, workload: 'linpack' }),
      rec({ cpu: 90, capPercent: 0 }),
    ];
    const tables = cpuVsCapTables(records);
    expect(tables.map((t) => t.id)).to.deep.equal(['table-1-dhrystone', 'table-2-linpack']);
    const [t1] = tables as [Table];
    expect(t1.columns.map((c) => c.header)).to.deep.equal(['Cap (%)', '512 MiB, 1 vCPU', '1024 MiB, 2 vCPUs']);
    expect(t1.rows.map((r) => r[0])).to.deep.equal(STUDY_CAPS.map(String));
    expect(t1.rows[0]?.[1]).to.deep.include({ n: 2, mean: 25 });
    expect(t1.rows[0]?.[2]).to.equal(null);
    expect(t1.rows[1]?.[2]).to.deep.include({ n: 1, mean: 49 });
  });

  it('builds Table 4 from the uncapped trials, host cores as rows and workloads as columns', () => {
    const records = [
      rec({ cpu: 100, capPercent: 0, hostCores: 1, host: 99 }),
      rec({ cpu: 100, capPercent: 0, hostCores: 2, host: 51 }),
      rec({ cpu: 100, capPercent: 0, hostCores: 2, host: 53, trial: 1 }),
      rec({ cpu: 50, capPercent: 50, hostCores: 2, host: 26 }),
      rec({ cpu: 100, capPercent: 0, hostCores: 1, host: 98, workload: 'linpack' }),
    ];
    const t = hostCoresTable(records);
    expect(t.title).to.match(/^Table 4/);
    expect(t.columns.map((c) => c.header)).to.deep.equal(['Host cores', 'dhrystone', 'linpack']);
    expect(t.rows.map((r) => r[0])).to.deep.equal(['1', '2']);
    expect(t.rows[1]?.[1]).to.deep.include({ n: 2, mean: 52 });
    expect(t.rows[1]?.[2]).to.equal(null);
  });

  it('builds Table 5 in seconds with the study-like sample: totals 63-64 s, downtimes 18-28 s', () => {
    const t = migrationTable(sampleTrials());
    expect(t.rows.map((r) => r[0])).to.deep.equal(['dhrystone', 'linpack', 'livermore']);
    for (const row of t.rows) {
      const total = row[1] as { mean: number; n: number };
      const down = row[2] as { mean: number };
      expect(total.n).to.equal(3);
      expect(total.mean).to.be.within(62.5, 64.5);
      expect(down.mean).to.be.within(17, 29);
    }
  });

  it('leaves out trials without a migration from Table 5 and without a downtime from its downtime column', () => {
    const migration = (totalTimeMs: number, downtimeMs?: number) =>
      ({ totalTimeMs, ...(downtimeMs === undefined ? {} : { downtimeMs }) }) as unknown as TrialRecord['migration'];
    const t = migrationTable([
      rec({ cpu: 1, migration: migration(60_000, 20_000) }),
      rec({ cpu: 1, trial: 1, migration: migration(62_000) }),
      rec({ cpu: 1, trial: 2 }),
    ]);
    expect(t.rows[0]?.[1]).to.deep.include({ n: 2, mean: 61 });
    expect(t.rows[0]?.[2]).to.deep.include({ n: 1, mean: 20 });
  });
});
