import { InvalidArgumentError } from './errors.js';

/** Domain names: what libvirt accepts on every driver, minus characters that break XML or paths. */
const DOMAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/;

/** Throws `E_INVALID_ARGUMENT` unless `name` is a safe domain name. */
export function assertDomainName(name: unknown, field = 'name'): asserts name is string {
  if (typeof name !== 'string' || !DOMAIN_NAME.test(name)) {
    throw new InvalidArgumentError(field, `must match ${DOMAIN_NAME}, got ${JSON.stringify(name)}`);
  }
}

/** Throws `E_INVALID_ARGUMENT` unless `value` is an integer in [min, max]. */
export function assertInt(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
}

/** Throws `E_INVALID_ARGUMENT` unless `value` is a finite number in [min, max]. */
export function assertNumber(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
}
