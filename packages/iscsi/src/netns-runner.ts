import { InvalidArgumentError } from '@virtmig/core';
import type { CommandRunner, RunOptions, RunResult } from './runner.js';

const NETNS = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$/;

/** Throws `E_INVALID_ARGUMENT` unless `name` is a plain network namespace name (as `ip netns add` takes). */
export function assertNetnsName(name: unknown, field = 'netns'): asserts name is string {
  if (typeof name !== 'string' || !NETNS.test(name)) {
    throw new InvalidArgumentError(
      field,
      `must be 1-64 of [A-Za-z0-9_.-], not starting with "-", got ${JSON.stringify(name)}`,
    );
  }
}

/**
 * Runs every command of another runner inside a named network namespace:
 * `nsenter --net=/run/netns/NAME -- COMMAND ARGS...`. `nsenter --net` rather than `ip netns exec`
 * because the latter remounts /sys in a new mount namespace, which hides the cgroup mounts the
 * lab relies on; nsenter only switches the network namespace. Environment, stdin, secrets and
 * timeouts pass through to the inner runner unchanged.
 */
export class NetnsRunner implements CommandRunner {
  readonly description: string;
  /** The namespace, as listed by `ip netns list`. */
  readonly netns: string;
  private readonly inner: CommandRunner;

  constructor(netns: string, inner: CommandRunner) {
    assertNetnsName(netns);
    this.netns = netns;
    this.inner = inner;
    this.description = `${inner.description} in netns ${netns}`;
  }

  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.inner.run('nsenter', [`--net=/run/netns/${this.netns}`, '--', command, ...args], options);
  }
}
