import { ParseError, type Portal } from '@virtmig/core';
import { parsePortal } from './validate.js';

/** A LUN as `iscsi-ls -s` lists it. */
export interface IscsiLsLun {
  /** LUN number. */
  readonly lun: number;
  /** SCSI peripheral type, e.g. `DIRECT_ACCESS`, `STORAGE_ARRAY_CONTROLLER`. */
  readonly type: string;
  /** The size as printed (`63M`); iscsi-ls truncates to whole units, so it is informative only. */
  readonly size?: string;
}

/** One target portal `iscsi-ls` reports. */
export interface IscsiLsTarget {
  /** Target IQN. */
  readonly iqn: string;
  /** Portal the target is reached on. */
  readonly portal: Portal;
  /** Target portal group tag. */
  readonly tpgt: number;
  /** Present when listed with `-s`. */
  readonly luns: readonly IscsiLsLun[];
}

/** Parses the output of `iscsi-ls [-s]` (libiscsi). */
export function parseIscsiLs(text: string): IscsiLsTarget[] {
  const out: { iqn: string; portal: Portal; tpgt: number; luns: IscsiLsLun[] }[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const t = /^Target:(\S+) Portal:(\S+),([0-9]+)$/.exec(line);
    if (t) {
      out.push({ iqn: t[1] as string, portal: parsePortal(t[2], 'portal'), tpgt: Number(t[3]), luns: [] });
      continue;
    }
    const l = /^Lun:([0-9]+)\s+Type:(\S+)(?: \(Size:(\S+)\))?$/.exec(line);
    const cur = out[out.length - 1];
    if (l && cur) {
      cur.luns.push({ lun: Number(l[1]), type: l[2] as string, ...(l[3] !== undefined ? { size: l[3] } : {}) });
      continue;
    }
    throw new ParseError('iscsi-ls output', `line ${i + 1}: unexpected ${JSON.stringify(line)}`);
  }
  return out;
}

/** What `iscsi-readcapacity16` reports. */
export interface ReadCapacity16 {
  /** Address of the last logical block. */
  readonly lastLba: number;
  /** Block size in bytes. */
  readonly blockLength: number;
  /** Capacity in bytes: (lastLba + 1) x blockLength. */
  readonly totalBytes: number;
}

/** Parses the full output of `iscsi-readcapacity16` (libiscsi). */
export function parseReadCapacity16(text: string): ReadCapacity16 {
  const get = (key: string): number => {
    const m = new RegExp(`^${key}:([0-9]+)$`, 'm').exec(text);
    if (!m) throw new ParseError('iscsi-readcapacity16 output', `missing "${key}"`);
    return Number(m[1]);
  };
  const r = {
    lastLba: get('RETURNED LOGICAL BLOCK ADDRESS'),
    blockLength: get('LOGICAL BLOCK LENGTH IN BYTES'),
    totalBytes: get('Total size'),
  };
  if (r.totalBytes !== (r.lastLba + 1) * r.blockLength) {
    throw new ParseError('iscsi-readcapacity16 output', 'total size disagrees with last LBA and block length');
  }
  return r;
}

/**
 * Parses the hex dump `qemu-io -c "read -v OFFSET LENGTH"` prints (16 bytes a line:
 * `%08x:  ` offset, `%02x ` per byte, a space, then the bytes as characters) back into bytes.
 * `offset` and `length` are the read's, so the character column is never mistaken for data.
 */
export function parseQemuIoDump(text: string, offset: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let got = 0;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{8,16}): {2}(.*)$/.exec(line);
    if (!m) continue;
    const lineOffset = Number.parseInt(m[1] as string, 16);
    if (lineOffset !== offset + got) {
      throw new ParseError('qemu-io dump', `expected offset ${(offset + got).toString(16)}, got ${m[1]}`);
    }
    const n = Math.min(16, length - got);
    const hex = (m[2] as string).slice(0, n * 3);
    if (!new RegExp(`^(?:[0-9a-f]{2} ){${n}}$`).test(hex)) {
      throw new ParseError('qemu-io dump', `bad byte column at offset ${m[1]}`);
    }
    for (let k = 0; k < n; k++) out[got + k] = Number.parseInt(hex.slice(k * 3, k * 3 + 2), 16);
    got += n;
  }
  if (got !== length) throw new ParseError('qemu-io dump', `expected ${length} bytes, found ${got}`);
  return out;
}
