import { isIP } from 'node:net';
import { ParseError, type Portal, type TargetInfo } from '@virtmig/core';
import { parsePortal } from './validate.js';

/** One logical unit in `tgtadm --mode target --op show`. */
export interface TgtLun {
  /** LUN number. */
  readonly lun: number;
  /** `controller` for tgt's built-in LUN 0, `disk` for a backing-store LUN. */
  readonly type: string;
  /** SCSI id tgt reports. */
  readonly scsiId: string;
  /** SCSI serial number tgt reports. */
  readonly scsiSn: string;
  /** tgt prints the size rounded to whole decimal megabytes (10^6 bytes). */
  readonly sizeMb: number;
  /** Block size in bytes. */
  readonly blockSize: number;
  /** Whether the LUN is online. */
  readonly online: boolean;
  /** Whether the LUN is read-only. */
  readonly readonly: boolean;
  /** `rdwr`, `aio`, ... or `null` for the controller LUN. */
  readonly backingStoreType: string;
  /** Null when tgt prints `None`. */
  readonly backingStorePath: string | null;
}

/** One I_T nexus (session) of a target. */
export interface TgtSession {
  /** I_T nexus id. */
  readonly nexus: number;
  /** Initiator IQN. */
  readonly initiator: string;
  /** Initiator alias, or null when none is reported. */
  readonly alias: string | null;
  /** The session's connections. */
  readonly connections: readonly {
    /** Connection id. */
    readonly cid: number;
    /** The initiator's address. */
    readonly address: string;
  }[];
}

/** One target as `tgtadm --mode target --op show` prints it. */
export interface TgtTarget {
  /** Target id. */
  readonly tid: number;
  /** Target IQN. */
  readonly iqn: string;
  /** Transport driver, e.g. `iscsi`. */
  readonly driver: string;
  /** Target state, e.g. `ready`. */
  readonly state: string;
  /** Open sessions. */
  readonly sessions: readonly TgtSession[];
  /** Logical units, LUN 0 (the controller) included. */
  readonly luns: readonly TgtLun[];
  /** Incoming CHAP accounts bound to the target. */
  readonly accounts: readonly string[];
  /** Outgoing (mutual) CHAP account, when bound. */
  readonly outgoingAccount?: string;
  /** ACL entries: initiator addresses/networks, initiator names, or `ALL`. */
  readonly acls: readonly string[];
}

const WHAT = 'tgtadm target show output';

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function field(line: string, key: string, lineNo: number): string {
  const t = line.trim();
  if (!t.startsWith(`${key}:`))
    throw new ParseError(WHAT, `line ${lineNo}: expected "${key}:", got ${JSON.stringify(t)}`);
  return t.slice(key.length + 1).trim();
}

function int(text: string, lineNo: number): number {
  if (!/^[0-9]+$/.test(text))
    throw new ParseError(WHAT, `line ${lineNo}: expected a number, got ${JSON.stringify(text)}`);
  return Number(text);
}

function yes(text: string): boolean {
  return text === 'Yes';
}

type Section = 'none' | 'system' | 'nexus' | 'lun' | 'account' | 'acl';

interface MutableTarget {
  tid: number;
  iqn: string;
  driver: string;
  state: string;
  sessions: {
    nexus: number;
    initiator: string;
    alias: string | null;
    connections: { cid: number; address: string }[];
  }[];
  luns: Record<string, string>[];
  accounts: string[];
  outgoingAccount?: string;
  acls: string[];
}

function finishLun(raw: Record<string, string>, lineNo: number): TgtLun {
  const size = /^([0-9]+) MB, Block size: ([0-9]+)$/.exec(raw.Size ?? '');
  if (!size) throw new ParseError(WHAT, `LUN ${raw.LUN} before line ${lineNo}: bad or missing "Size"`);
  const path = raw['Backing store path'];
  return {
    lun: int(raw.LUN ?? '', lineNo),
    type: raw.Type ?? '',
    scsiId: raw['SCSI ID'] ?? '',
    scsiSn: raw['SCSI SN'] ?? '',
    sizeMb: Number(size[1]),
    blockSize: Number(size[2]),
    online: yes(raw.Online ?? ''),
    readonly: yes(raw.Readonly ?? ''),
    backingStoreType: raw['Backing store type'] ?? '',
    backingStorePath: path === undefined || path === 'None' ? null : path,
  };
}

/** Parses `tgtadm --lld iscsi --mode target --op show`. Pure; throws `ParseError` on text it does not recognise. */
export function parseTgtadmTargets(text: string): TgtTarget[] {
  const targets: MutableTarget[] = [];
  let cur: MutableTarget | undefined;
  let section: Section = 'none';
  let lun: Record<string, string> | undefined;
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === '') return;
    const ind = indentOf(line);
    const t = line.trim();
    if (ind === 0) {
      const m = /^Target ([0-9]+): (\S+)$/.exec(t);
      if (!m) throw new ParseError(WHAT, `line ${n}: expected "Target N: NAME", got ${JSON.stringify(t)}`);
      if (cur && lun) cur.luns.push(lun);
      lun = undefined;
      cur = {
        tid: Number(m[1]),
        iqn: m[2] as string,
        driver: '',
        state: '',
        sessions: [],
        luns: [],
        accounts: [],
        acls: [],
      };
      targets.push(cur);
      section = 'none';
      return;
    }
    if (!cur) throw new ParseError(WHAT, `line ${n}: text before the first target`);
    if (ind === 4) {
      if (lun) cur.luns.push(lun);
      lun = undefined;
      const sections: Record<string, Section> = {
        'System information:': 'system',
        'I_T nexus information:': 'nexus',
        'LUN information:': 'lun',
        'Account information:': 'account',
        'ACL information:': 'acl',
      };
      const s = sections[t];
      if (!s) throw new ParseError(WHAT, `line ${n}: unknown section ${JSON.stringify(t)}`);
      section = s;
      return;
    }
    switch (section) {
      case 'system': {
        if (t.startsWith('Driver:')) cur.driver = field(line, 'Driver', n);
        else if (t.startsWith('State:')) cur.state = field(line, 'State', n);
        return;
      }
      case 'nexus': {
        if (ind === 8) {
          cur.sessions.push({
            nexus: int(field(line, 'I_T nexus', n), n),
            initiator: '',
            alias: null,
            connections: [],
          });
          return;
        }
        const s = cur.sessions[cur.sessions.length - 1];
        if (!s) throw new ParseError(WHAT, `line ${n}: session detail before "I_T nexus:"`);
        if (t.startsWith('Initiator:')) {
          const m = /^Initiator: (\S+) alias: (.*)$/.exec(t);
          if (!m) throw new ParseError(WHAT, `line ${n}: bad initiator line ${JSON.stringify(t)}`);
          s.initiator = m[1] as string;
          s.alias = m[2] === 'none' ? null : (m[2] as string);
        } else if (t.startsWith('Connection:')) {
          s.connections.push({ cid: int(field(line, 'Connection', n), n), address: '' });
        } else if (t.startsWith('IP Address:')) {
          const c = s.connections[s.connections.length - 1];
          if (!c) throw new ParseError(WHAT, `line ${n}: address before "Connection:"`);
          c.address = field(line, 'IP Address', n);
        }
        return;
      }
      case 'lun': {
        if (ind === 8) {
          if (lun) cur.luns.push(lun);
          lun = { LUN: field(line, 'LUN', n) };
          return;
        }
        if (!lun) throw new ParseError(WHAT, `line ${n}: LUN detail before "LUN:"`);
        const k = t.indexOf(':');
        if (k < 0) throw new ParseError(WHAT, `line ${n}: expected "Key: value", got ${JSON.stringify(t)}`);
        lun[t.slice(0, k)] = t.slice(k + 1).trim();
        return;
      }
      case 'account': {
        const m = /^(\S+)( \(outgoing\))?$/.exec(t);
        if (!m) throw new ParseError(WHAT, `line ${n}: bad account ${JSON.stringify(t)}`);
        if (m[2]) cur.outgoingAccount = m[1] as string;
        else cur.accounts.push(m[1] as string);
        return;
      }
      case 'acl':
        cur.acls.push(t);
        return;
      default:
        throw new ParseError(WHAT, `line ${n}: unexpected ${JSON.stringify(t)}`);
    }
  });
  if (cur && lun) cur.luns.push(lun);
  return targets.map((m) => ({
    tid: m.tid,
    iqn: m.iqn,
    driver: m.driver,
    state: m.state,
    sessions: m.sessions,
    luns: m.luns.map((raw) => finishLun(raw, lines.length)),
    accounts: m.accounts,
    ...(m.outgoingAccount !== undefined ? { outgoingAccount: m.outgoingAccount } : {}),
    acls: m.acls,
  }));
}

/** Parses `tgtadm --lld iscsi --mode account --op show` into account names. */
export function parseTgtadmAccounts(text: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  if (lines[0]?.trim() !== 'Account list:') {
    throw new ParseError('tgtadm account show output', `expected "Account list:", got ${JSON.stringify(lines[0])}`);
  }
  return lines.slice(1).map((l) => l.trim());
}

/** A listening portal and its portal group tag. */
export interface TgtPortal {
  /** The listening portal. */
  readonly portal: Portal;
  /** Its portal group tag. */
  readonly tpgt: number;
}

/** Parses `tgtadm --lld iscsi --mode portal --op show`. */
export function parseTgtadmPortals(text: string): TgtPortal[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^Portal: (.+),([0-9]+)$/.exec(l.trim());
      if (!m) throw new ParseError('tgtadm portal show output', `bad line ${JSON.stringify(l)}`);
      return { portal: parsePortal(m[1], 'portal'), tpgt: Number(m[2]) };
    });
}

/** tgt ACL entries are addresses, CIDR networks, `ALL`, or else initiator names. */
function isAddress(entry: string): boolean {
  return entry === 'ALL' || isIP(entry.replace(/\/[0-9]+$/, '')) !== 0;
}

/**
 * Core's view of a tgt target: tgt's controller LUN 0 (no backing store) is left out, ACL
 * entries are split into initiator names and addresses, and sizes are tgt's rounded megabytes
 * times 10^6 (within 0.5 MB of the real size).
 */
export function tgtTargetToInfo(t: TgtTarget): TargetInfo {
  return {
    iqn: t.iqn,
    tid: t.tid,
    luns: t.luns
      .filter((l) => l.backingStorePath !== null)
      .map((l) => ({ lun: l.lun, backingStore: l.backingStorePath as string, sizeBytes: l.sizeMb * 1_000_000 })),
    allowedInitiators: t.acls.filter((a) => !isAddress(a)),
    allowedAddresses: t.acls.filter(isAddress),
    chapUsers: t.accounts,
    ...(t.outgoingAccount !== undefined ? { mutualChapUser: t.outgoingAccount } : {}),
  };
}
