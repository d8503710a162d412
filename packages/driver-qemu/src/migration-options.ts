import { assertInt, assertPeerToPeerOptions, InvalidArgumentError, type MigrationOptions } from '@virtmig/core';
import { QEMU_COMPRESSION_METHODS } from './capabilities.js';

/**
 * Checks the values of the options QEMU takes before anything runs; throws `E_INVALID_ARGUMENT`
 * naming the field. Whether a key is offered at all is the base class's check.
 */
export function assertQemuMigrationOptions(o: MigrationOptions): void {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'must be an object');
  if (o.maxDowntimeMs !== undefined) assertInt(o.maxDowntimeMs, 'options.maxDowntimeMs', 1, 2_000_000);
  if (o.bandwidthMiBps !== undefined) assertInt(o.bandwidthMiBps, 'options.bandwidthMiBps', 1, 1 << 23);
  if (o.parallelConnections !== undefined) assertInt(o.parallelConnections, 'options.parallelConnections', 1, 255);
  if (o.timeoutMs !== undefined) assertInt(o.timeoutMs, 'options.timeoutMs', 1, 2 ** 31 - 1);
  if (o.postCopy !== undefined && typeof o.postCopy !== 'boolean' && o.postCopy !== 'manual') {
    if (typeof o.postCopy !== 'object' || o.postCopy === null)
      throw new InvalidArgumentError('options.postCopy', "must be a boolean, 'manual' or { afterMs }");
    assertInt(o.postCopy.afterMs, 'options.postCopy.afterMs', 0, 2 ** 31 - 1);
  }
  if (o.postCopy && o.live === false)
    throw new InvalidArgumentError('options.postCopy', 'post-copy needs a live migration');
  assertPeerToPeerOptions(o);
  if (o.tunnelled && o.postCopy)
    throw new InvalidArgumentError('options.tunnelled', 'excludes post-copy (libvirt refuses it for QEMU)');
  if (o.compression !== undefined) {
    if (!Array.isArray(o.compression) || o.compression.length === 0) {
      throw new InvalidArgumentError(
        'options.compression',
        `must be a non-empty list of ${QEMU_COMPRESSION_METHODS.join(', ')}`,
      );
    }
    for (const m of o.compression) {
      if (!(QEMU_COMPRESSION_METHODS as readonly string[]).includes(m)) {
        throw new InvalidArgumentError(
          'options.compression',
          `unknown method ${JSON.stringify(m)}; QEMU takes ${QEMU_COMPRESSION_METHODS.join(', ')}`,
        );
      }
    }
    if (new Set(o.compression).size !== o.compression.length)
      throw new InvalidArgumentError('options.compression', 'lists a method twice');
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw new InvalidArgumentError('options.signal', 'must be an AbortSignal');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
    throw new InvalidArgumentError('options.onProgress', 'must be a function');
}
