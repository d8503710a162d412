import { assertInt, InvalidArgumentError } from '@virtmig/core';
import { STRINGS, type TypedParam, type TypedValue } from '@virtmig/libvirt';

/** Xen's credit-scheduler settings of one domain. */
export interface CreditSettings {
  /** Percent of one physical CPU the domain may use at most; 0 = uncapped. */
  readonly cap: number;
  /** Relative share against other domains (Xen's default 256). */
  readonly weight: number;
}

/** Xen stores cap and weight as uint16 and reserves 0xffff as "leave unchanged". */
export const MAX_CREDIT_VALUE = 0xfffe;

/** Throws `E_INVALID_ARGUMENT` unless `percent` is a credit-scheduler cap (a whole percentage). */
export function assertCreditCap(percent: unknown, field = 'percent'): asserts percent is number {
  if (typeof percent === 'number' && Number.isFinite(percent) && !Number.isInteger(percent)) {
    throw new InvalidArgumentError(field, `Xen's credit cap is a whole percentage of one CPU, got ${percent}`);
  }
  assertInt(percent, field, 0, MAX_CREDIT_VALUE);
}

/** Throws `E_INVALID_ARGUMENT` unless `weight` is a credit-scheduler weight (1-65534). */
export function assertCreditWeight(weight: unknown, field = 'weight'): asserts weight is number {
  assertInt(weight, field, 1, MAX_CREDIT_VALUE);
}

/**
 * The typed parameters virDomainSetSchedulerParametersFlags takes for the credit scheduler:
 * `cap` and `weight` as VIR_TYPED_PARAM_UINT, the only names and type libxl's driver accepts.
 */
export function creditParams(settings: Partial<CreditSettings>): TypedParam[] {
  const params: TypedParam[] = [];
  if (settings.weight !== undefined) {
    assertCreditWeight(settings.weight);
    params.push({ name: STRINGS.VIR_DOMAIN_SCHEDULER_WEIGHT, type: 'uint', value: settings.weight });
  }
  if (settings.cap !== undefined) {
    assertCreditCap(settings.cap, 'cap');
    params.push({ name: STRINGS.VIR_DOMAIN_SCHEDULER_CAP, type: 'uint', value: settings.cap });
  }
  return params;
}

/** Reads cap and weight out of virDomainGetSchedulerParametersFlags' result. */
export function creditSettings(params: Readonly<Record<string, TypedValue>>): CreditSettings {
  return {
    cap: Number(params[STRINGS.VIR_DOMAIN_SCHEDULER_CAP] ?? 0),
    weight: Number(params[STRINGS.VIR_DOMAIN_SCHEDULER_WEIGHT] ?? 0),
  };
}
