import { ParseError, type Portal } from '@virtmig/core';
import { parsePortal } from './validate.js';

/** A node record or discovery result: `portal,tpgt iqn`. */
export interface IscsiadmNode {
  /** Portal the target is reached on. */
  readonly portal: Portal;
  /** Target portal group tag. */
  readonly tpgt: number;
  /** Target IQN. */
  readonly iqn: string;
}

/** One logged-in session from `iscsiadm -m session`. */
export interface IscsiadmSession {
  /** Transport name, e.g. `tcp`. */
  readonly transport: string;
  /** Session id. */
  readonly sid: number;
  /** Portal of the session. */
  readonly portal: Portal;
  /** Target portal group tag. */
  readonly tpgt: number;
  /** Target IQN. */
  readonly iqn: string;
  /** open-iscsi 2.1 appends `(non-flash)` or `(flash)`; older versions print nothing. */
  readonly flash?: boolean;
}

/**
 * Parses `iscsiadm -m discovery -t sendtargets -p PORTAL` and `iscsiadm -m node` output: one
 * `ADDRESS:PORT,TPGT IQN` line per record, IPv6 addresses in brackets (open-iscsi's
 * `%s:%d,%d %s` / `[%s]:%d,%d %s` formats).
 */
export function parseIscsiadmNodes(text: string): IscsiadmNode[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(\S+),([0-9]+) (\S+)$/.exec(l.trim());
      if (!m) throw new ParseError('iscsiadm node list', `bad line ${JSON.stringify(l)}`);
      return { portal: parsePortal(m[1], 'portal'), tpgt: Number(m[2]), iqn: m[3] as string };
    });
}

/**
 * Parses `iscsiadm -m session` (`tcp: [SID] ADDRESS:PORT,TPGT IQN (non-flash)`). Callers treat
 * exit status 21 ("No active sessions.") as an empty list.
 */
export function parseIscsiadmSessions(text: string): IscsiadmSession[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(\S+): \[([0-9]+)\] (\S+),([0-9]+) (\S+)(?: \((non-flash|flash)\))?$/.exec(l.trim());
      if (!m) throw new ParseError('iscsiadm session list', `bad line ${JSON.stringify(l)}`);
      return {
        transport: m[1] as string,
        sid: Number(m[2]),
        portal: parsePortal(m[3], 'portal'),
        tpgt: Number(m[4]),
        iqn: m[5] as string,
        ...(m[6] !== undefined ? { flash: m[6] === 'flash' } : {}),
      };
    });
}

/** True when iscsiadm's login output reports success for `iqn` (`Login to [...] successful.`). */
export function iscsiadmLoginSucceeded(text: string, iqn: string): boolean {
  return text
    .split('\n')
    .some((l) => l.startsWith('Login to [') && l.includes(`target: ${iqn},`) && l.trim().endsWith('successful.'));
}

/** A SCSI disk attached through a session, from `iscsiadm -m session -P 3`. */
export interface IscsiadmAttachedDisk {
  /** Target IQN of the session. */
  readonly iqn: string;
  /** Session id. */
  readonly sid: number;
  /** LUN number. */
  readonly lun: number;
  /** Kernel block device name, e.g. `sda`. */
  readonly disk: string;
  /** SCSI device state, e.g. `running`. */
  readonly state: string;
}

/**
 * Parses the attached-device part of `iscsiadm -m session -P 3` (open-iscsi's
 * session_info_print_tree: `Target: IQN [(non-flash)]`, `SID: N`,
 * `scsiH Channel 00 Id T Lun: L`, `Attached scsi disk sdX  State: running`).
 */
export function parseIscsiadmAttachedDisks(text: string): IscsiadmAttachedDisk[] {
  const out: IscsiadmAttachedDisk[] = [];
  let iqn: string | undefined;
  let sid: number | undefined;
  let lun: number | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^Target: (\S+)(?: \((?:non-)?flash\))?$/.exec(line);
    if (m) {
      iqn = m[1];
      sid = undefined;
      continue;
    }
    m = /^SID: ([0-9]+)$/.exec(line);
    if (m) {
      sid = Number(m[1]);
      continue;
    }
    m = /^scsi[0-9]+ Channel [0-9]+ Id [0-9]+ Lun: ([0-9]+)$/.exec(line);
    if (m) {
      lun = Number(m[1]);
      continue;
    }
    m = /^Attached scsi disk (\S+)\s+State: (.+)$/.exec(line);
    if (m) {
      if (iqn === undefined || sid === undefined || lun === undefined) {
        throw new ParseError('iscsiadm session -P 3', `disk ${m[1]} outside a target/session/LUN block`);
      }
      out.push({ iqn, sid, lun, disk: m[1] as string, state: (m[2] as string).trim() });
    }
  }
  return out;
}
