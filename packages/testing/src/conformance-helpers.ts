import { AssertionError } from 'node:assert';
import { inspect } from 'node:util';
import type { Hypervisor } from '@virtmig/core';

function describeValue(v: unknown): string {
  if (v instanceof Error) {
    const code = (v as { code?: unknown }).code;
    return `${v.name}${code === undefined ? '' : ` [${String(code)}]`}: ${v.message}`;
  }
  return inspect(v, { depth: 2, breakLength: Infinity });
}

/**
 * Asserts that `action` rejects with an Error whose `code` is one of `codes`. Codes are
 * compared rather than classes so a driver built against another copy of core still passes.
 */
export async function rejectsWithCode(
  action: () => Promise<unknown>,
  codes: string | readonly string[],
  what: string,
): Promise<Error> {
  const allowed = typeof codes === 'string' ? [codes] : codes;
  let value: unknown;
  try {
    value = await action();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (e instanceof Error && typeof code === 'string' && allowed.includes(code)) return e;
    throw new AssertionError({
      message: `${what}: expected an error with code ${allowed.join(' or ')}, got ${describeValue(e)}`,
    });
  }
  throw new AssertionError({
    message: `${what}: expected an error with code ${allowed.join(' or ')}, but it resolved with ${describeValue(value)}`,
  });
}

/** Polls `probe` until it returns true or `timeoutMs` passes; for effects real hypervisors apply asynchronously. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() >= deadline) throw new AssertionError({ message: `${what}: not observed within ${timeoutMs} ms` });
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let sequence = 0;

/** A domain name no other test (or concurrent run) uses: `vmconf-PID-SEQ-RANDOM`. */
export function uniqueDomainName(): string {
  sequence += 1;
  const random = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `vmconf-${process.pid.toString(36)}-${sequence}-${random}`;
}

/**
 * Removes a domain a test created, whatever state the test left it in. Errors are ignored on
 * purpose: teardown runs after failed checks too, and a failing teardown would abort the
 * remaining checks of the suite instead of reporting them.
 */
export async function removeDomain(h: Hypervisor, name: string): Promise<void> {
  if (h.closed) return;
  let state: string;
  try {
    state = (await h.lookupDomain(name)).state;
  } catch {
    return;
  }
  if (state !== 'shutoff') await h.destroyDomain(name).catch(() => undefined);
  await h.undefineDomain(name).catch(() => undefined);
}
