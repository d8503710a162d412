import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import { LibvirtBinding, TypedParamList } from '../src/index.js';
import { ENGINES } from './engines.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'null-probe-child.js');

for (const engine of ENGINES) {
  describe(`NULL pointers on ${engine}`, () => {
    it('NULL at each pointer of the functions that take no handle never kills the process, even before a connection', () => {
      const r = spawnSync(process.execPath, [child, engine], { encoding: 'utf8', timeout: 120_000 });
      const last = r.stderr.trim().split('\n').at(-1);
      const detail = `signal ${r.signal}, status ${r.status}, during ${last}\n${r.stderr.slice(-2000)}`;
      expect(r.signal, detail).to.equal(null);
      expect(r.status, detail).to.equal(0);
      expect(r.stdout, detail).to.match(/probe ok \d+/);
    });

    it('refuses NULL where libvirt does not check it: a typed parameter without a name or string value', () => {
      const b = new LibvirtBinding({ engine });
      expect(() => new TypedParamList(b, [{ name: null as never, type: 'int', value: 1 }])).to.throw(
        InvalidArgumentError,
        /virTypedParamsAddInt\(name\).*NULL/,
      );
      expect(() => new TypedParamList(b, [{ name: 's', type: 'string', value: null as never }])).to.throw(
        InvalidArgumentError,
        /virTypedParamsAddString\(value\)/,
      );
    });
  });
}
