import { ParseError, type Portal } from '@virtmig/core';
import { parsePortal } from './validate.js';

/** One node of a `targetcli ls` tree. */
export interface TargetcliNode {
  /** The node's name (the text before its `[...]`). */
  readonly name: string;
  /** The text inside the trailing `[...]`. */
  readonly summary: string;
  /** Child nodes, in printed order. */
  readonly children: TargetcliNode[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matches the ESC of ANSI colour codes
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Parses the tree `targetcli ls PATH` draws (configshell-fb: two columns per level, `o-` or
 * `+-` before each name, dots, then `[summary]`). Colour codes and `Warning: ...` lines before
 * the tree are ignored. Returns the root.
 */
export function parseTargetcliTree(text: string): TargetcliNode {
  const stack: { depth: number; node: TargetcliNode }[] = [];
  let root: TargetcliNode | undefined;
  for (const [i, raw] of text.replace(ANSI, '').split('\n').entries()) {
    if (raw.trim() === '') continue;
    // configshell prints this on stdout until it has saved preferences once (a fresh host).
    if (!root && /^Warning: /.test(raw)) continue;
    const m = /^([ |]*)[o+]- (\S+) \.*\s*\[(.*)\]$/.exec(raw);
    if (!m || (m[1] as string).length % 2 !== 0) {
      throw new ParseError('targetcli ls output', `line ${i + 1}: unexpected ${JSON.stringify(raw)}`);
    }
    const depth = (m[1] as string).length / 2;
    const node: TargetcliNode = { name: m[2] as string, summary: m[3] as string, children: [] };
    while (stack.length > 0 && (stack[stack.length - 1] as { depth: number }).depth >= depth) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) {
      if (depth !== parent.depth + 1)
        throw new ParseError('targetcli ls output', `line ${i + 1}: skipped a tree level`);
      parent.node.children.push(node);
    } else if (root) {
      throw new ParseError('targetcli ls output', `line ${i + 1}: second root`);
    } else {
      if (depth !== 0) throw new ParseError('targetcli ls output', `line ${i + 1}: root is indented`);
      root = node;
    }
    stack.push({ depth, node });
  }
  if (!root) throw new ParseError('targetcli ls output', 'empty');
  return root;
}

/** One TPG LUN: `lunN` -> `[fileio/NAME (PATH) (ALUA group)]`. */
export interface TargetcliLun {
  /** LUN number. */
  readonly lun: number;
  /** Backstore type, e.g. `fileio`. */
  readonly backstore: string;
  /** Name of the storage object. */
  readonly storageObject: string;
  /** Backing file path, or null when none is printed. */
  readonly path: string | null;
}

/** One node ACL. */
export interface TargetcliAcl {
  /** Initiator IQN of the ACL. */
  readonly initiator: string;
  /** `none`, `1-way` or `mutual`, as the ACL summary says. */
  readonly auth: 'none' | '1-way' | 'mutual';
  /** LUN numbers mapped to the initiator. */
  readonly mappedLuns: readonly number[];
}

/** One iSCSI target (its first TPG) as `targetcli ls /iscsi` shows it. */
export interface TargetcliTargetView {
  /** Target IQN. */
  readonly iqn: string;
  /** Target portal group number. */
  readonly tpg: number;
  /** TPG summary flags, e.g. `no-gen-acls`, `auth per-acl`. */
  readonly tpgFlags: readonly string[];
  /** Node ACLs. */
  readonly acls: readonly TargetcliAcl[];
  /** LUNs. */
  readonly luns: readonly TargetcliLun[];
  /** Listening portals. */
  readonly portals: readonly Portal[];
}

function child(node: TargetcliNode, name: string): TargetcliNode {
  const c = node.children.find((x) => x.name === name);
  if (!c) throw new ParseError('targetcli ls /iscsi output', `${node.name} has no ${name}`);
  return c;
}

/** Interprets `targetcli ls /iscsi`. Only each target's lowest-numbered TPG is reported. */
export function parseTargetcliIscsi(text: string): TargetcliTargetView[] {
  const root = parseTargetcliTree(text);
  if (root.name !== 'iscsi') throw new ParseError('targetcli ls /iscsi output', `root is ${root.name}`);
  return root.children.map((t) => {
    const tpgNode = [...t.children]
      .filter((c) => /^tpg[0-9]+$/.test(c.name))
      .sort((a, b) => Number(a.name.slice(3)) - Number(b.name.slice(3)))[0];
    if (!tpgNode) throw new ParseError('targetcli ls /iscsi output', `${t.name} has no TPG`);
    const acls = child(tpgNode, 'acls').children.map((a): TargetcliAcl => {
      const flags = a.summary.split(', ');
      return {
        initiator: a.name,
        auth: flags.includes('mutual auth') ? 'mutual' : flags.includes('1-way auth') ? '1-way' : 'none',
        mappedLuns: a.children.map((m) => {
          const n = /^mapped_lun([0-9]+)$/.exec(m.name);
          if (!n) throw new ParseError('targetcli ls /iscsi output', `bad mapped LUN ${m.name}`);
          return Number(n[1]);
        }),
      };
    });
    const luns = child(tpgNode, 'luns').children.map((l): TargetcliLun => {
      const n = /^lun([0-9]+)$/.exec(l.name);
      const s = /^([a-z_]+)\/(\S+)(?: \((\/[^)]*)\))?(?: \([^)]*\))?$/.exec(l.summary);
      if (!n || !s) throw new ParseError('targetcli ls /iscsi output', `bad LUN ${l.name} [${l.summary}]`);
      return { lun: Number(n[1]), backstore: s[1] as string, storageObject: s[2] as string, path: s[3] ?? null };
    });
    const portals = child(tpgNode, 'portals').children.map((p) => parsePortal(p.name, 'portal'));
    return {
      iqn: t.name,
      tpg: Number(tpgNode.name.slice(3)),
      tpgFlags: tpgNode.summary.split(', ').filter((f) => f !== ''),
      acls,
      luns,
      portals,
    };
  });
}

/** A fileio storage object from `targetcli ls /backstores/fileio`. */
export interface TargetcliFileio {
  /** Storage object name. */
  readonly name: string;
  /** Backing file path. */
  readonly path: string;
  /** Size from targetcli's `bytes_to_human` (one decimal, binary units), so approximate. */
  readonly sizeBytes: number;
  /** Whether writes are cached (write-back) rather than written through. */
  readonly writeBack: boolean;
  /** Whether the storage object is in use by a LUN. */
  readonly activated: boolean;
}

const UNITS: Record<string, number> = { KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50 };

/** Interprets `targetcli ls /backstores/fileio`. */
export function parseTargetcliFileio(text: string): TargetcliFileio[] {
  const root = parseTargetcliTree(text);
  return root.children.map((so) => {
    const m =
      /^(\/\S*) \(([0-9.]+)(KiB|MiB|GiB|TiB|PiB| bytes)\) (write-back|write-thru) (activated|deactivated)$/.exec(
        so.summary,
      );
    if (!m)
      throw new ParseError('targetcli ls /backstores/fileio output', `bad storage object ${so.name} [${so.summary}]`);
    const unit = m[3] === ' bytes' ? 1 : (UNITS[m[3] as string] as number);
    return {
      name: so.name,
      path: m[1] as string,
      sizeBytes: Math.round(Number(m[2]) * unit),
      writeBack: m[4] === 'write-back',
      activated: m[5] === 'activated',
    };
  });
}

/** Parses `targetcli PATH get GROUP PARAM...` output (`param=value ` lines, `[ro]` when read-only). */
export function parseTargetcliGet(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([A-Za-z0-9_]+)=(.*?) ?(?:\[ro\])?$/.exec(line);
    if (!m) throw new ParseError('targetcli get output', `bad line ${JSON.stringify(line)}`);
    out[m[1] as string] = (m[2] as string).trim();
  }
  return out;
}
