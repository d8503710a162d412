// Random strings for every field the spec, preset, database and iSCSI validators take: each
// validator returns or throws a VirtmigError, never anything else (no TypeError, no RangeError,
// no crash), and a refused CHAP secret never appears in the error.
import { parseSpec, preset, validateSpec } from '@virtmig/bench';
import { assertDomainName, isVirtmigError } from '@virtmig/core';
import { assertChapCredentials, assertIscsiName, isIscsiName, parsePortal } from '@virtmig/iscsi';
import { expect } from 'chai';
import fc from 'fast-check';
import { testDriverSpec } from './spec-db-fixtures.mjs';

/** Runs `f`; passes when it returns or throws a VirtmigError, fails on anything else it throws. */
function returnsOrVirtmigError(f) {
  try {
    f();
  } catch (e) {
    if (!isVirtmigError(e)) throw new Error(`threw a non-virtmig error: ${e?.constructor?.name}: ${e?.message}`);
    return e;
  }
  return undefined;
}

/** Strings: any Unicode, ASCII with metacharacters, and near-valid shapes of each field. */
const anyString = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: fc.constantFrom(...'iqn.0123456789-:ab[]/$;`\0\n '), maxLength: 260 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', '../x', 'a;rm -rf /', '$(x)', 'a\0b', 'a\nb'),
);
const anyValue = fc.oneof(anyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.object());
const runs = { numRuns: 300 };

const base = () => testDriverSpec('prop');

describe('property: validators never crash on random input', () => {
  it('IQN: assertIscsiName returns or throws E_INVALID_ARGUMENT, and agrees with isIscsiName', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, anyValue), (s) => {
        const e = returnsOrVirtmigError(() => assertIscsiName(s));
        expect(e === undefined).to.equal(isIscsiName(s));
      }),
      runs,
    );
  });

  it('portal: parsePortal returns a valid portal or throws E_INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, anyValue), (s) => {
        returnsOrVirtmigError(() => parsePortal(s));
      }),
      runs,
    );
  });

  it('CHAP user and secret: assertChapCredentials never shows the secret it refuses', () => {
    fc.assert(
      fc.property(anyString, fc.oneof(anyString, anyValue), (username, password) => {
        const e = returnsOrVirtmigError(() => assertChapCredentials({ username, password }));
        // The user name is shown when it is the refused field, so only a secret it does not contain is checked.
        if (e && typeof password === 'string' && password.length >= 4 && !username.includes(password))
          expect(e.message).not.to.include(password);
      }),
      runs,
    );
  });

  it('guest name: assertDomainName returns or throws E_INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, anyValue), (s) => {
        returnsOrVirtmigError(() => assertDomainName(s, 'name'));
      }),
      runs,
    );
  });

  it('preset name: preset returns a spec or throws E_INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, anyValue), (s) => {
        returnsOrVirtmigError(() => preset(s));
      }),
      runs,
    );
  });

  it('spec field values: validateSpec with any value at any field returns or throws a VirtmigError', () => {
    const paths = [
      ['name'],
      ['driver'],
      ['hosts'],
      ['hosts', 0, 'source'],
      ['hosts', 0, 'connectOptions'],
      ['storage'],
      ['storage', 'portal'],
      ['guest', 'kernel'],
      ['workloads', 0],
      ['matrix', 'ramMiB'],
      ['matrix', 'trials'],
      ['migration'],
      ['policy', 'selection'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), anyValue, (path, value) => {
        const spec = base();
        let at = spec;
        for (const k of path.slice(0, -1)) {
          at[k] ??= {};
          at = at[k];
        }
        at[path[path.length - 1]] = value;
        returnsOrVirtmigError(() => validateSpec(spec));
      }),
      runs,
    );
  });

  it('spec text: parseSpec with any text returns or throws a VirtmigError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyString,
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          returnsOrVirtmigError(() => parseSpec(text));
        },
      ),
      runs,
    );
  });
});
