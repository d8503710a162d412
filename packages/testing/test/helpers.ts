import { isVirtmigError, type VirtmigError } from '@virtmig/core';
import { expect } from 'chai';

/** Awaits `p`, expects it to reject with a VirtmigError of `code`, and returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<VirtmigError> {
  let value: unknown;
  try {
    value = await p;
  } catch (e) {
    expect(isVirtmigError(e), `expected a VirtmigError, got ${String(e)}`).to.equal(true);
    expect((e as VirtmigError).code, (e as Error).message).to.equal(code);
    return e as VirtmigError;
  }
  expect.fail(`expected a rejection with ${code}, got ${JSON.stringify(value)}`);
}
