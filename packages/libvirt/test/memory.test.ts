import { expect } from 'chai';
import { LibvirtBinding, readStruct, readTypedParams, STRUCTS, TypedParamList } from '../src/index.js';
import { ENGINES } from './engines.js';

for (const engine of ENGINES) {
  describe(`typed parameters and structs on ${engine}`, () => {
    const b = () => new LibvirtBinding({ engine });

    it('writes every virTypedParameter type and reads the same values back', () => {
      const binding = b();
      const list = new TypedParamList(binding, [
        { name: 'i', type: 'int', value: -7 },
        { name: 'ui', type: 'uint', value: 4000000000 },
        { name: 'l', type: 'llong', value: -(2 ** 40) },
        { name: 'ul', type: 'ullong', value: 2n ** 63n },
        { name: 'd', type: 'double', value: 2.5 },
        { name: 'b', type: 'boolean', value: true },
        { name: 's', type: 'string', value: 'tcp://10.0.0.2:49152' },
      ]);
      try {
        expect(list.length).to.equal(7);
        expect(readTypedParams(binding, list.pointer, list.length)).to.deep.equal({
          i: -7,
          ui: 4000000000,
          l: -(2 ** 40),
          ul: 2n ** 63n,
          d: 2.5,
          b: true,
          s: 'tcp://10.0.0.2:49152',
        });
      } finally {
        list.free();
        list.free();
      }
    });

    it('decodes virDomainInfo with the generated layout', () => {
      const binding = b();
      const conn = binding.call('virConnectOpen', 'test:///default');
      const d = binding.call('virDomainLookupByName', conn, 'test');
      const buf = binding.engine.alloc(STRUCTS.virDomainInfo.size);
      binding.call('virDomainGetInfo', d, buf);
      const info = readStruct(binding, buf, 'virDomainInfo');
      binding.call('virDomainFree', d);
      binding.call('virConnectClose', conn);
      expect(info.state).to.equal(1);
      expect(info.maxMem).to.equal(8388608);
      expect(info.nrVirtCpu).to.equal(2);
    });

    it('lays out virTypedParameter and virError as the C headers do', () => {
      expect(STRUCTS.virTypedParameter.size).to.equal(96);
      expect(STRUCTS.virTypedParameter.fields.map((f) => f.offset)).to.deep.equal([0, 80, 88]);
      expect(STRUCTS.virError.size).to.equal(80);
    });
  });
}
