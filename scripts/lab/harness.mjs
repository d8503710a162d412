// Helpers to drive the local lab from Node with nothing but virsh and the lab
// and build-guest scripts: used by test/lab/lab.test.mjs and measure.mjs.
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseHeartbeatLine } from '@virtmig/core';

const run = promisify(execFile);

/** Absolute path of the repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Absolute path of scripts/lab/lab. */
export const labScript = join(repoRoot, 'scripts/lab/lab');
/** Absolute path of scripts/guest/build-guest. */
export const buildGuestScript = join(repoRoot, 'scripts/guest/build-guest');

/**
 * Runs scripts/lab/lab with the given global options and command arguments.
 * @param {string[]} args e.g. ['--prefix', 'x', 'up', '--json']
 * @returns {Promise<string>} stdout
 */
export async function lab(args) {
  const { stdout } = await run(labScript, args, { maxBuffer: 1 << 20 });
  return stdout;
}

/** Runs a lab command that takes --json and parses its output. */
export async function labJson(args) {
  return JSON.parse(await lab([...args, '--json']));
}

/** Builds (or reuses) the guest image; resolves to build-guest's JSON. */
export async function buildGuest() {
  const { stdout } = await run(buildGuestScript, ['--json'], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

/** Runs virsh against one libvirt URI and resolves to its stdout. */
export async function virsh(uri, args) {
  const { stdout } = await run('virsh', ['-q', '-c', uri, ...args], { maxBuffer: 8 << 20 });
  return stdout;
}

const xmlEscape = (s) =>
  String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);

/**
 * Domain XML of the test guest: direct kernel boot, serial console appended to
 * a file on a path both hosts see (append='on', or the destination QEMU would
 * truncate the log when it opens it), no disk, no USB, no balloon.
 */
export function domainXml({ name, memoryMiB, kernel, initrd, serialLog, type = 'qemu', cmdline = '' }) {
  return `<domain type='${xmlEscape(type)}'>
  <name>${xmlEscape(name)}</name>
  <memory unit='MiB'>${Number(memoryMiB)}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${xmlEscape(kernel)}</kernel>
    <initrd>${xmlEscape(initrd)}</initrd>
    <cmdline>${xmlEscape(`console=ttyS0 quiet ${cmdline}`.trim())}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='${xmlEscape(serialLog)}' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

/**
 * Follows a guest's serial log and stamps every heartbeat line with the host
 * time it appeared. The guest's own clock stands still while QEMU is paused,
 * so only the host-side arrival gap shows the migration downtime.
 */
export class HeartbeatWatcher {
  /** @param {string} path serial log file */
  constructor(path, pollMs = 5) {
    this.path = path;
    this.pollMs = pollMs;
    /** @type {{seq:number, guestMs:number, hostMs:number}[]} */
    this.beats = [];
    /** Non-heartbeat lines, in order. */
    this.lines = [];
    this.offset = 0;
    this.partial = '';
    this.timer = undefined;
  }

  async start() {
    this.fh = await open(this.path, 'r');
    this.timer = setInterval(() => {
      this.poll().catch(() => {});
    }, this.pollMs);
  }

  async poll() {
    if (this.busy) return;
    this.busy = true;
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const now = performance.now();
        const text = this.partial + buf.subarray(0, bytesRead).toString('latin1');
        const parts = text.split('\n');
        this.partial = parts.pop();
        for (const raw of parts) {
          const line = raw.replace(/\r$/, '');
          const beat = parseHeartbeatLine(line);
          if (beat) this.beats.push({ ...beat, hostMs: now });
          else this.lines.push(line);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Resolves once pred(this) holds; rejects after timeoutMs. */
  async waitFor(pred, timeoutMs) {
    const t0 = performance.now();
    while (!pred(this)) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`timeout waiting on ${this.path}`);
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  get lastSeq() {
    return this.beats.length ? this.beats[this.beats.length - 1].seq : -1;
  }

  async stop() {
    clearInterval(this.timer);
    await this.poll();
    await this.fh?.close();
  }

  /**
   * Largest host-side and guest-side gaps between consecutive heartbeats
   * whose host arrival lies in [fromMs, toMs].
   */
  gaps(fromMs, toMs) {
    let host = 0;
    let guest = 0;
    for (let i = 1; i < this.beats.length; i++) {
      const a = this.beats[i - 1];
      const b = this.beats[i];
      if (b.hostMs < fromMs || a.hostMs > toMs) continue;
      host = Math.max(host, b.hostMs - a.hostMs);
      guest = Math.max(guest, b.guestMs - a.guestMs);
    }
    return { hostMs: host, guestMs: guest };
  }
}

/** Parses `virsh domjobinfo --completed` into milliseconds and bytes. */
export function parseJobInfo(text) {
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s+([0-9.]+)\\s*(\\S*)`, 'm').exec(text);
    if (!m) return undefined;
    const unit = { B: 1, KiB: 1024, MiB: 1 << 20, GiB: 1 << 30 }[m[2]] ?? 1;
    return Number(m[1]) * unit;
  };
  return {
    elapsedMs: field('Time elapsed'),
    downtimeMs: field('Total downtime'),
    setupMs: field('Setup time'),
    dataBytes: field('Data processed'),
    memoryBytes: field('Memory total'),
    iterations: field('Iteration'),
  };
}

/**
 * Live-migrates a domain with virsh (client-driven: virsh talks to both
 * daemons, the QEMUs stream RAM to each other over migrateUri).
 * @returns {Promise<{wallMs:number, t0:number, t1:number, job:ReturnType<typeof parseJobInfo>}>}
 */
export async function migrate(srcUri, dstUri, domain, migrateUri) {
  const t0 = performance.now();
  await virsh(srcUri, ['migrate', '--live', domain, dstUri, '--migrateuri', migrateUri]);
  const t1 = performance.now();
  const job = parseJobInfo(await virsh(dstUri, ['domjobinfo', domain, '--completed']));
  return { wallMs: t1 - t0, t0, t1, job };
}
