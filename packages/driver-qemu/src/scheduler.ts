import { assertInt, assertNumber, InvalidArgumentError } from '@virtmig/core';
import { STRINGS, type TypedParam, type TypedValue } from '@virtmig/libvirt';

/** CFS period virtmig uses for caps (the kernel's and libvirt's default, 100 ms). */
export const DEFAULT_PERIOD_US = 100_000;
/** The longest CFS period the kernel accepts (1 s); used when a small cap needs a longer period. */
export const MAX_PERIOD_US = 1_000_000;
/** The shortest CFS quota the kernel accepts (1 ms). */
export const MIN_QUOTA_US = 1_000;

/** The `vcpu_period`/`vcpu_quota` pair that caps a domain; quota -1 means uncapped. */
export interface VcpuBandwidth {
  /** CFS period in microseconds. */
  readonly periodUs: number;
  /** Microseconds per period each vCPU thread may run; -1 = no limit. */
  readonly quotaUs: number;
}

/**
 * Maps a whole-domain cap in percent of one physical CPU (the study's Xen `cap` semantics) onto
 * the per-vCPU cgroup bandwidth libvirt sets for every vCPU thread: each of `vcpus` threads gets
 * `percent / 100 / vcpus` of a CPU, so together they never use more than `percent` of one CPU.
 * 0 means uncapped (quota -1). A quota under the kernel's 1 ms minimum moves to a 1 s period;
 * below that the cap is refused with `E_INVALID_ARGUMENT`.
 */
export function capToBandwidth(percent: number, vcpus: number): VcpuBandwidth {
  assertNumber(percent, 'percent', 0, 100 * 4096);
  assertInt(vcpus, 'vcpus', 1, 4096);
  if (percent === 0) return { periodUs: DEFAULT_PERIOD_US, quotaUs: -1 };
  for (const periodUs of [DEFAULT_PERIOD_US, MAX_PERIOD_US]) {
    const quotaUs = Math.round((percent / 100) * (periodUs / vcpus));
    if (quotaUs >= MIN_QUOTA_US) return { periodUs, quotaUs };
  }
  throw new InvalidArgumentError(
    'percent',
    `a cap of ${percent}% over ${vcpus} vCPUs is below the kernel's minimum CFS quota (1 ms per 1 s period per vCPU)`,
  );
}

/** The inverse of {@link capToBandwidth}: percent of one CPU the domain's vCPUs may use together (0 = uncapped). */
export function bandwidthToCap(b: VcpuBandwidth, vcpus: number): number {
  if (b.quotaUs <= 0 || b.periodUs <= 0) return 0;
  // Rounded to 0.01 %: the quota is a whole number of microseconds.
  return Math.round(((b.quotaUs * vcpus) / b.periodUs) * 100 * 100) / 100;
}

/** The typed parameters virDomainSetSchedulerParametersFlags takes for a {@link VcpuBandwidth}. */
export function bandwidthParams(b: VcpuBandwidth): TypedParam[] {
  return [
    { name: STRINGS.VIR_DOMAIN_SCHEDULER_VCPU_PERIOD, type: 'ullong', value: b.periodUs },
    { name: STRINGS.VIR_DOMAIN_SCHEDULER_VCPU_QUOTA, type: 'llong', value: b.quotaUs },
  ];
}

/**
 * Reads `vcpu_period`/`vcpu_quota` out of virDomainGetSchedulerParametersFlags' result. An
 * inactive domain without `<cputune>` reports 0 for both, which reads as uncapped.
 */
export function bandwidthOf(params: Readonly<Record<string, TypedValue>>): VcpuBandwidth {
  const period = Number(params[STRINGS.VIR_DOMAIN_SCHEDULER_VCPU_PERIOD] ?? 0);
  const quota = Number(params[STRINGS.VIR_DOMAIN_SCHEDULER_VCPU_QUOTA] ?? -1);
  return { periodUs: period > 0 ? period : DEFAULT_PERIOD_US, quotaUs: quota > 0 ? quota : -1 };
}
