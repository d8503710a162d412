import { InvalidArgumentError } from '@virtmig/core';
import { expect } from 'chai';
import { validateSpec } from '../src/index.js';
import { fakeSpecInput } from './helpers.js';

function refusedField(hosts: unknown): string {
  try {
    validateSpec(fakeSpecInput({ hosts }));
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidArgumentError);
    return (e as InvalidArgumentError).field;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('experiment spec hosts go through the URI policy', () => {
  const pair = { source: 'fake:///a', destination: 'fake:///b' };

  it('accepts hosts the policy allows, with their peer and migrate URIs', () => {
    expect(() =>
      validateSpec(
        fakeSpecInput({
          hosts: [
            {
              ...pair,
              source: 'fake+unix:///a?socket=/run/a.sock',
              peerUri: 'fake+tls://b/system',
              migrateUri: 'tcp://10.0.0.2:49152',
            },
          ],
        }),
      ),
    ).not.to.throw();
  });

  for (const [what, hosts, field] of [
    ['a source with command=', [{ ...pair, source: 'fake+ssh://a/system?command=/tmp/x' }], 'hosts[0].source'],
    [
      'a destination with netcat=',
      [{ ...pair, destination: 'fake+ssh://b/system?NETCAT=/tmp/x' }],
      'hosts[0].destination',
    ],
    ['a peerUri with name=', [{ ...pair, peerUri: 'fake+tcp://b/system?name=test:///etc/shadow' }], 'hosts[0].peerUri'],
    ['a migrateUri with a query', [{ ...pair, migrateUri: 'tcp://b:1?x=y' }], 'hosts[0].migrateUri'],
    [
      'connectOptions that opt out of the policy',
      [{ ...pair, connectOptions: { allowTestNodeFile: true } }],
      'hosts[0].connectOptions.allowTestNodeFile',
    ],
  ] as const) {
    it(`refuses ${what}, naming ${field}`, () => {
      expect(refusedField(hosts)).to.equal(field);
    });
  }
});
