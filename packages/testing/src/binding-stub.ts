import type { SinonSandbox, SinonStub } from 'sinon';

/**
 * The shape of `@virtmig/libvirt`'s `LibvirtBinding` that drivers call through: every libvirt C
 * function by name, synchronously or on a worker thread. Structural, so this package stays free
 * of native code.
 */
export interface BindingLike {
  /** Calls libvirt function `name` on this thread. */
  call(name: string, ...args: unknown[]): unknown;
  /** Calls libvirt function `name` on a worker thread. */
  callAsync(name: string, ...args: unknown[]): Promise<unknown>;
}

/** Answers one libvirt function in place of the C library: return a value or throw its error. */
export type BindingHandler = (...args: unknown[]) => unknown;

/** Options for {@link stubBinding}. */
export interface StubBindingOptions {
  /**
   * What happens to functions without a handler: `passThrough` (default) calls the real binding
   * (e.g. libvirt's in-process test driver); `reject` throws, so a test sees every C call made.
   */
  readonly others?: 'passThrough' | 'reject';
}

/** The stubs and a view of what was called. */
export interface BindingStub {
  /** The stub in place of the binding's `call`. */
  readonly call: SinonStub;
  /** The stub in place of the binding's `callAsync`. */
  readonly callAsync: SinonStub;
  /** Argument lists of every call (sync and async, in order) of libvirt function `name`. */
  calls(name: string): unknown[][];
  /** Names of every libvirt function called, in order. */
  names(): string[];
}

/** Thrown for a libvirt function a `reject`-mode stub has no handler for. */
export class UnexpectedBindingCallError extends Error {
  constructor(
    /** The libvirt function that had no handler. */
    readonly fn: string,
  ) {
    super(`unexpected libvirt call ${fn}: add a handler to stubBinding`);
  }
}

/**
 * Replaces `binding.call` and `binding.callAsync` with sinon stubs in `sandbox`: functions in
 * `handlers` are answered by them (sync and async alike), the rest pass through or are rejected.
 * `sandbox.restore()` puts the real binding back.
 *
 * ```ts
 * const stub = stubBinding(sinon, getBinding(), { virDomainSetSchedulerParametersFlags: () => 0 });
 * await hypervisor.setCpuCap('vm1', 50);
 * expect(stub.calls('virDomainSetSchedulerParametersFlags')).to.have.length(1);
 * ```
 */
export function stubBinding(
  sandbox: SinonSandbox,
  binding: BindingLike,
  handlers: Readonly<Record<string, BindingHandler>>,
  options: StubBindingOptions = {},
): BindingStub {
  const realCall = binding.call.bind(binding);
  const realAsync = binding.callAsync.bind(binding);
  const log: { name: string; args: unknown[] }[] = [];
  const answer = (name: string, args: unknown[], real: (n: string, ...a: unknown[]) => unknown): unknown => {
    log.push({ name, args });
    const handler = handlers[name];
    if (handler) return handler(...args);
    if (options.others === 'reject') throw new UnexpectedBindingCallError(name);
    return real(name, ...args);
  };
  const call = sandbox
    .stub(binding, 'call')
    .callsFake((name: string, ...args: unknown[]) => answer(name, args, realCall));
  const callAsync = sandbox
    .stub(binding, 'callAsync')
    .callsFake(async (name: string, ...args: unknown[]) => answer(name, args, realAsync));
  return {
    call,
    callAsync,
    calls: (name) => log.filter((c) => c.name === name).map((c) => c.args),
    names: () => log.map((c) => c.name),
  };
}
