// Packet capture on the testbed's virtual links, from outside: QEMU's filter-dump object on a
// host's netdev (added and removed through its HMP monitor) writes what crosses the link to a
// pcap file, and tcpPayloads() reassembles the TCP byte streams in it. The TLS test uses it to
// show what a migration puts on the wire.
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';

/** The QEMU netdev of each Xen host's NIC on the migration link (see start_host in xenlab). */
export const MIGRATION_NETDEV = 'n2';

/** Runs one HMP command on a lab host's QEMU monitor and resolves to its output. */
export function monitor(status, host, command) {
  return new Promise((resolve, reject) => {
    const sock = createConnection(join(status.stateDir, host, 'monitor.sock'));
    let buf = '';
    let sent = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${host} monitor: no answer to ${command}`));
    }, 30_000);
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      if (!buf.endsWith('(qemu) ')) return;
      if (!sent) {
        sent = true;
        buf = '';
        sock.write(`${command}\n`);
        return;
      }
      clearTimeout(timer);
      sock.end();
      // HMP echoes the command line first; the rest up to the prompt is the answer.
      const answer = buf.slice(0, -'(qemu) '.length).split('\r\n').slice(1).join('\n').trim();
      resolve(answer);
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Starts writing every frame on `netdev` of `host` (both directions) to `file`; returns a stop function. */
export async function captureLink(status, host, netdev, file) {
  const id = `virtmig-cap-${process.pid}`;
  const out = await monitor(status, host, `object_add filter-dump,id=${id},netdev=${netdev},file=${file}`);
  if (out !== '') throw new Error(`${host}: filter-dump refused: ${out}`);
  return async () => {
    const gone = await monitor(status, host, `object_del ${id}`);
    if (gone !== '') throw new Error(`${host}: object_del ${id}: ${gone}`);
  };
}

/**
 * The TCP payloads of an Ethernet pcap file, one concatenated byte stream per direction of each
 * connection (in capture order; a retransmitted segment appears twice, which only adds bytes).
 * Resolves to [{ src, dst, sport, dport, bytes, payload }].
 */
export async function tcpPayloads(file) {
  const pcap = await readFile(file);
  if (pcap.length < 24 || pcap.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian pcap`);
  const flows = new Map();
  for (let off = 24; off + 16 <= pcap.length; ) {
    const caplen = pcap.readUInt32LE(off + 8);
    const frame = pcap.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    if (frame.length < 34 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    if (ip[9] !== 6) continue;
    const ihl = (ip[0] & 0x0f) * 4;
    const total = ip.readUInt16BE(2);
    const tcp = ip.subarray(ihl, total);
    if (tcp.length < 20) continue;
    const payload = tcp.subarray((tcp[12] >> 4) * 4);
    if (payload.length === 0) continue;
    const src = ip.subarray(12, 16).join('.');
    const dst = ip.subarray(16, 20).join('.');
    const sport = tcp.readUInt16BE(0);
    const dport = tcp.readUInt16BE(2);
    const key = `${src}:${sport}>${dst}:${dport}`;
    let f = flows.get(key);
    if (!f) {
      f = { src, dst, sport, dport, bytes: 0, parts: [] };
      flows.set(key, f);
    }
    f.bytes += payload.length;
    f.parts.push(payload);
  }
  return [...flows.values()].map(({ parts, ...f }) => ({ ...f, payload: Buffer.concat(parts) }));
}
