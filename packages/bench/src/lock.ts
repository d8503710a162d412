import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** The process holding a results database's run lock, as the lock row names it. */
export interface LockHolder {
  /** Its process id. */
  readonly pid: number;
  /** The host it runs on. */
  readonly hostname: string;
  /** Linux's boot id when it took the lock (a reboot ends every process), or null off Linux. */
  readonly bootId: string | null;
  /** Its start time in clock ticks since boot (/proc/PID/stat), so a reused pid is not taken for it; null off Linux. */
  readonly processStart: string | null;
  /** When it took the lock, ISO-8601. */
  readonly acquiredAt: string;
}

function readOr(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/PID/stat; the command name (field 2) may hold spaces and parentheses. */
function processStart(pid: number | 'self'): string | null {
  const stat = readOr(`/proc/${pid}/stat`);
  if (stat === null) return null;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

/** This process, as a lock row names it. */
export function currentProcess(): Omit<LockHolder, 'acquiredAt'> {
  return {
    pid: process.pid,
    hostname: hostname(),
    bootId: readOr('/proc/sys/kernel/random/boot_id'),
    processStart: processStart('self'),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `holder` still runs: `no` when it is gone (its pid is dead or belongs to a process
 * started later, or the machine rebooted since), `unknown` when it is on another machine.
 */
export function isHeld(holder: LockHolder, me: Omit<LockHolder, 'acquiredAt'>): 'yes' | 'no' | 'unknown' {
  if (holder.hostname !== me.hostname) return 'unknown';
  if (holder.bootId !== null && me.bootId !== null && holder.bootId !== me.bootId) return 'no';
  if (!alive(holder.pid)) return 'no';
  if (holder.processStart !== null) {
    const start = processStart(holder.pid);
    if (start !== null && start !== holder.processStart) return 'no';
  }
  return 'yes';
}
