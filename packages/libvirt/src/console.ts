import { InvalidArgumentError } from '@virtmig/core';
import type { Connection } from './connection.js';
import type { Domain } from './domain-handle.js';
import { ENUMS } from './generated/enums.js';
import { type IncomingStreamOptions, LibvirtStream, type StreamChunk } from './stream.js';

/** Options of {@link openConsole}. */
export interface ConsoleOptions extends IncomingStreamOptions {
  /** The console or serial device alias (`serial0`, `console0`); default: the domain's first console. */
  readonly device?: string;
  /**
   * Take the console over from another client holding it (VIR_DOMAIN_CONSOLE_FORCE). Without it
   * a console someone else has open is refused by libvirt.
   */
  readonly force?: boolean;
}

/**
 * Opens a domain's text console as a stream (virDomainOpenConsole), over the domain's own
 * connection, so it works over any libvirt URI (local, ssh, tls): the guest's console output,
 * as it arrives, with the time it was read. The domain needs a pty-backed console or serial
 * device; abort the stream to let go of the console.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a device name that is not a device alias.
 * @throws {@link LibvirtError} when libvirt refuses (no such device, console busy without `force`, domain not running).
 */
export async function openConsole(
  connection: Connection,
  domain: Domain,
  options: ConsoleOptions = {},
): Promise<LibvirtStream> {
  const { device, force } = options;
  if (device !== undefined && !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(device))
    throw new InvalidArgumentError('device', `must be a device alias like serial0, got ${JSON.stringify(device)}`);
  const stream = LibvirtStream.incoming(connection, options);
  try {
    const flags = force ? ENUMS.virDomainConsoleFlags.VIR_DOMAIN_CONSOLE_FORCE : 0;
    await domain.use((d) =>
      stream.use((st) => connection.binding.callAsync('virDomainOpenConsole', d, device ?? null, st, flags)),
    );
    stream.startReading();
    return stream;
  } catch (e) {
    await stream.abort();
    throw e;
  }
}

/** One line of a console, with the time its last byte was read. */
export interface ConsoleTextLine {
  /** The line without its line ending. */
  readonly text: string;
  /** Wall-clock time (ms since the epoch) the chunk that ended the line was read. */
  readonly atMs: number;
}

/**
 * A stream's bytes as text lines (`\n` or `\r\n`); a last line without its newline is given
 * when the stream ends. Console output is treated as Latin-1, so no byte is lost or merged.
 */
export async function* consoleLines(chunks: AsyncIterable<StreamChunk>): AsyncGenerator<ConsoleTextLine> {
  let partial = '';
  let last = 0;
  for await (const { data, atMs } of chunks) {
    last = atMs;
    const parts = (partial + data.toString('latin1')).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) yield { text: p.endsWith('\r') ? p.slice(0, -1) : p, atMs };
  }
  if (partial) yield { text: partial.endsWith('\r') ? partial.slice(0, -1) : partial, atMs: last };
}
