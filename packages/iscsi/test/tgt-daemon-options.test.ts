import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import { TgtDaemon } from '../src/index.js';

describe('TgtDaemon.start options', () => {
  // Should the check ever regress, tgtd must still not start: with no PATH it cannot be found.
  const path = process.env.PATH;
  beforeEach(() => {
    process.env.PATH = '';
  });
  afterEach(() => {
    process.env.PATH = path;
  });

  for (const pidDir of ['relative/dir', '/tmp/a;b', '/tmp/../etc', '/tmp/$(x)']) {
    it(`refuses pidDir ${JSON.stringify(pidDir)} before starting tgtd`, async () => {
      const err = await TgtDaemon.start({ pidDir, attempts: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).to.equal('pidDir');
    });
  }
});
