// What is running on this machine, for the integration tests' "leaves nothing behind" checks.
import { readdir, readFile } from 'node:fs/promises';

/**
 * Live (non-zombie) processes for which `match(cmdline, cgroup)` holds, as `PID CMDLINE` lines
 * (the command line with spaces between its arguments, the text of /proc/PID/cgroup).
 */
export async function liveProcesses(match) {
  const found = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8');
      if (match(cmdline, cgroup)) found.push(`${pid} ${cmdline}`);
    } catch {
      // The process exited while being read.
    }
  }
  return found;
}

/** Live tgtd processes whose command line mentions `text`. */
export function tgtdProcesses(text) {
  return liveProcesses((cmdline) => cmdline.startsWith('tgtd ') && cmdline.includes(text));
}

/** Live processes whose command line names a lab's state directory or that sit in its cgroups. */
export function labProcesses(labPrefix, stateDir) {
  return liveProcesses((cmdline, cgroup) => cmdline.includes(stateDir) || cgroup.includes(`virtmig-${labPrefix}-`));
}
