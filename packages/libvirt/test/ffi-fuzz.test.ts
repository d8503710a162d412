import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ENGINES } from './engines.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'fuzz-child.js');

for (const engine of ENGINES) {
  describe(`binding.call with random JS values on ${engine}`, () => {
    it('never lets a value crash native code: the child exits 0, not on a signal', () => {
      const seed = Date.now() % 2 ** 31;
      const r = spawnSync(process.execPath, [child, engine, engine === 'koffi' ? '3000' : '1000', String(seed)], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      const detail = `seed ${seed}: signal ${r.signal}, status ${r.status}\n${r.stderr.slice(-3000)}`;
      expect(r.signal, detail).to.equal(null);
      expect(r.status, detail).to.equal(0);
      const counts = JSON.parse(/fuzz ok (.*)/.exec(r.stdout)?.[1] ?? '{}') as Record<string, number>;
      // The property means something only if some calls reached libvirt.
      expect((counts.returned ?? 0) + (counts.libvirtError ?? 0), r.stdout).to.be.greaterThan(0);
    });
  });
}
