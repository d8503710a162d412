import { ParseError } from '@virtmig/core';
import { expect } from 'chai';
import { createWorkload, Dhrystone, Dirtier, Linpack, Livermore } from '../src/index.js';
import { DHRYSTONE, DIRTIER, LINPACK, LIVERMORE, LIVERMORE_CORRUPT } from './fixtures.js';

/** The captured line with one field replaced (or removed when value is undefined). */
function edit(line: string, field: string, value: unknown): string {
  const obj = JSON.parse(line) as Record<string, unknown>;
  if (value === undefined) delete obj[field];
  else obj[field] = value;
  return JSON.stringify(obj);
}

describe('workload result parsers', () => {
  it('parse captured lines of every workload into verified results', () => {
    const cases = [
      [new Dhrystone(), DHRYSTONE, 'DMIPS'],
      [new Linpack(), LINPACK, 'MFLOPS'],
      [new Livermore(), LIVERMORE, 'MFLOPS'],
      [new Dirtier(), DIRTIER, 'MiB/s'],
    ] as const;
    for (const [w, line, unit] of cases) {
      const r = w.parse(line);
      expect(r.workload).to.equal(w.name);
      expect(r.unit).to.equal(unit);
      expect(r.verified).to.equal(true);
      expect(r.score).to.be.greaterThan(0);
      expect(r.raw.workload).to.equal(w.name);
    }
  });

  it('keep every printed field in raw', () => {
    const r = new Linpack().parse(LINPACK);
    expect(r.raw.n).to.equal(100);
    expect(r.raw.repetitions).to.equal(20);
    expect(r.raw.normalised_residual).to.be.a('number').below(100);
  });

  it('parse a failed Livermore run as unverified with the failing kernels listed', () => {
    const r = new Livermore().parse(LIVERMORE_CORRUPT);
    expect(r.verified).to.equal(false);
    expect(r.raw.failed_kernels).to.have.length(72);
  });

  it('accept surrounding whitespace and a trailing newline', () => {
    expect(new Dirtier().parse(`  ${DIRTIER}\n`).score).to.be.greaterThan(0);
  });

  const malformed: [string, string][] = [
    ['an empty line', ''],
    ['text that is not JSON', 'Dhrystone Benchmark, Version 2.1'],
    ['a truncated line', DHRYSTONE.slice(0, DHRYSTONE.length - 10)],
    ['a JSON array', '[1,2,3]'],
    ['JSON null', 'null'],
    ['two lines', `${DHRYSTONE}\n${DHRYSTONE}`],
    ["another workload's line", LINPACK],
    ['a missing score', edit(DHRYSTONE, 'score', undefined)],
    ['a null score (a non-finite figure)', edit(DHRYSTONE, 'score', null)],
    ['a negative score', edit(DHRYSTONE, 'score', -1)],
    ['a string score', edit(DHRYSTONE, 'score', '17000')],
    ['a wrong unit', edit(DHRYSTONE, 'unit', 'MIPS')],
    ['verified as a string', edit(DHRYSTONE, 'verified', 'true')],
    ['a fractional run count', edit(DHRYSTONE, 'runs', 1.5)],
    ['an unknown field', edit(DHRYSTONE, 'extra', 1)],
    ['a score that is not Dhrystones/s / 1757', edit(DHRYSTONE, 'score', 1)],
    ['bad cpus', edit(DHRYSTONE, 'cpus', [-1])],
  ];
  for (const [what, line] of malformed) {
    it(`reject ${what} with ParseError`, () => {
      expect(() => new Dhrystone().parse(line))
        .to.throw(ParseError)
        .with.property('code', 'E_PARSE');
    });
  }

  it('reject a Linpack line claiming verification with a large residual', () => {
    expect(() => new Linpack().parse(edit(LINPACK, 'normalised_residual', 1e6))).to.throw(ParseError, /residual/);
  });

  it('reject a Livermore line whose verified flag contradicts its failed kernels', () => {
    expect(() => new Livermore().parse(edit(LIVERMORE, 'failed_kernels', ['3/long']))).to.throw(ParseError, /verified/);
  });

  it('reject a Livermore line with a span set of the wrong length', () => {
    const obj = JSON.parse(LIVERMORE) as { spans: { long: { mflops: number[] } } };
    obj.spans.long.mflops.pop();
    expect(() => new Livermore().parse(JSON.stringify(obj))).to.throw(ParseError, /spans\.long\.mflops/);
  });

  it('reject a Livermore line whose score is not the overall geometric mean', () => {
    expect(() => new Livermore().parse(edit(LIVERMORE, 'score', 1))).to.throw(ParseError, /geometric/);
  });

  it('reject a Dirtier line without its working-set size', () => {
    expect(() => createWorkload('dirtier').parse(edit(DIRTIER, 'wss_mb', undefined))).to.throw(ParseError, /wss_mb/);
  });
});
