import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertInt, type Portal, StateError, TimeoutError } from '@virtmig/core';
import { LocalRunner } from './local-runner.js';
import type { CommandRunner } from './runner.js';
import { parseTgtadmTargets } from './tgtadm-parse.js';
import { TgtadmTarget } from './tgtadm-target.js';
import { assertAbsolutePath, assertHost, formatPortal } from './validate.js';

/** Options of {@link TgtDaemon.start}. */
export interface TgtDaemonOptions {
  /** Address the portal listens on. Default 127.0.0.1. */
  readonly host?: string;
  /** Management port (`-C N`); default: a random one whose socket does not exist. */
  readonly controlPort?: number;
  /** Portal TCP port; default: one the kernel just reported free. */
  readonly portalPort?: number;
  /** How long to wait for tgtd to answer and listen. Default 10 s. */
  readonly readyTimeoutMs?: number;
  /** Start attempts with fresh ports when tgtd dies at start-up. Default 5. */
  readonly attempts?: number;
  /**
   * Directory to record tgtd's pid in (`tgtd.N.pid`, N the control port; removed by
   * {@link TgtDaemon.stop}), so whoever runs the tests can stop a tgtd a crashed test process
   * left behind by its pid. Default `$VIRTMIG_PIDFILE_DIR`, which CI sets per run; none when unset.
   */
  readonly pidDir?: string;
}

/** The environment variable naming the directory {@link TgtDaemon} records its pid in. */
export const PIDFILE_DIR_ENV = 'VIRTMIG_PIDFILE_DIR';

/** tgtd refuses `-C` values above 32767 ("Try `tgtd --help'", measured with tgt 1.0.85). */
export const TGTD_CONTROL_PORT_MAX = 32767;

/** Where tgtd puts its management socket and lock file. */
export const TGTD_SOCKET_DIR = '/run/tgtd';

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A random tgtd management port (10000-32767) whose socket and lock file do not exist on this machine. */
export function freeControlPort(): number {
  for (;;) {
    const n = 10000 + Math.floor(Math.random() * (TGTD_CONTROL_PORT_MAX - 10000));
    if (!existsSync(`${TGTD_SOCKET_DIR}/socket.${n}`) && !existsSync(`${TGTD_SOCKET_DIR}/socket.${n}.lock`)) return n;
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A private tgt daemon on this machine: `tgtd -f -C N --iscsi portal=HOST:PORT`, with its own
 * management port N (tgtd's socket, `/run/tgtd/socket.N`, is global, so parallel runs need
 * distinct N) and its own portal port. {@link stop} leaves no process or socket behind.
 */
export class TgtDaemon {
  /** Management port; pass it to `tgtadm -C`. */
  readonly controlPort: number;
  /** Portal the daemon listens on. */
  readonly portal: Portal;
  /** Runs tgtadm and the rest on this machine. */
  readonly runner: CommandRunner;
  private readonly child: ChildProcess;
  private exited: Promise<void>;
  private running = true;
  private log = '';
  private readonly pidFile: string | undefined;

  private constructor(
    child: ChildProcess,
    controlPort: number,
    portal: Portal,
    runner: CommandRunner,
    pidDir: string | undefined,
  ) {
    this.child = child;
    this.pidFile = pidDir && child.pid !== undefined ? join(pidDir, `tgtd.${controlPort}.pid`) : undefined;
    if (this.pidFile) writeFileSync(this.pidFile, `${child.pid}\n`);
    this.controlPort = controlPort;
    this.portal = portal;
    this.runner = runner;
    child.stderr?.on('data', (d: Buffer) => {
      this.log = (this.log + d.toString('utf8')).slice(-65536);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        this.running = false;
        resolve();
      }),
    );
  }

  /** tgtd's process id. */
  get pid(): number {
    return this.child.pid as number;
  }

  /** Whether the tgtd process is still alive. */
  get isRunning(): boolean {
    return this.running;
  }

  /** The last 64 KiB tgtd wrote to stderr. */
  get output(): string {
    return this.log;
  }

  /** A {@link TgtadmTarget} talking to this daemon. */
  target(): TgtadmTarget {
    return new TgtadmTarget({ runner: this.runner, controlPort: this.controlPort });
  }

  /** Starts tgtd and resolves once it answers tgtadm and accepts TCP connections on the portal. */
  static async start(options: TgtDaemonOptions = {}): Promise<TgtDaemon> {
    const host = options.host ?? '127.0.0.1';
    assertHost(host);
    if (options.controlPort !== undefined) assertInt(options.controlPort, 'controlPort', 0, TGTD_CONTROL_PORT_MAX);
    if (options.portalPort !== undefined) assertInt(options.portalPort, 'portalPort', 1, 65535);
    const attempts = options.attempts ?? 5;
    const timeoutMs = options.readyTimeoutMs ?? 10_000;
    const runner = new LocalRunner({ timeoutMs: 5000 });
    const pidDir = options.pidDir ?? (process.env[PIDFILE_DIR_ENV] || undefined);
    if (pidDir !== undefined) assertAbsolutePath(pidDir, 'pidDir');
    let lastLog = '';
    for (let i = 0; i < attempts; i++) {
      const controlPort = options.controlPort ?? freeControlPort();
      const portal = { host, port: options.portalPort ?? (await freePort(host)) };
      const child = spawn('tgtd', ['-f', '-C', String(controlPort), '--iscsi', `portal=${formatPortal(portal)}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const d = new TgtDaemon(child, controlPort, portal, runner, pidDir);
      child.once('error', () => {});
      const deadline = Date.now() + timeoutMs;
      while (d.running && Date.now() < deadline) {
        try {
          await runner.run('tgtadm', ['-C', String(controlPort), '--mode', 'system', '--op', 'show']);
          if (await accepts(host, portal.port)) return d;
        } catch {
          // Not answering yet.
        }
        await sleep(50);
      }
      lastLog = d.output;
      if (d.running) {
        await d.stop();
        throw new TimeoutError(`tgtd start on ${formatPortal(portal)} (control port ${controlPort})`, timeoutMs);
      }
      d.removeFiles();
    }
    throw new StateError(
      `tgtd did not start after ${attempts} attempts: ${lastLog.trim().split('\n').slice(-1)[0] ?? ''}`,
    );
  }

  private removeFiles(): void {
    if (this.pidFile) rmSync(this.pidFile, { force: true });
    for (const f of [`socket.${this.controlPort}`, `socket.${this.controlPort}.lock`]) {
      rmSync(`${TGTD_SOCKET_DIR}/${f}`, { force: true });
    }
  }

  private async waitExit(ms: number): Promise<boolean> {
    if (!this.running) return true;
    await Promise.race([this.exited, sleep(ms)]);
    return !this.running;
  }

  /**
   * Stops tgtd. tgtd ignores SIGTERM (measured with tgt 1.0.85), so the orderly way comes first:
   * delete every target with `--force` (ending sessions), then `tgtadm --mode system --op
   * delete`. SIGTERM and then SIGKILL follow if it is still alive. Finally its management
   * socket, lock file and pid file are removed.
   */
  async stop(): Promise<void> {
    if (this.running) {
      const tgtadm = (args: string[]) => this.runner.run('tgtadm', ['-C', String(this.controlPort), ...args]);
      try {
        const targets = parseTgtadmTargets(
          (await tgtadm(['--lld', 'iscsi', '--mode', 'target', '--op', 'show'])).stdout,
        );
        for (const t of targets)
          await tgtadm(['--lld', 'iscsi', '--mode', 'target', '--op', 'delete', '--force', '--tid', String(t.tid)]);
        await tgtadm(['--mode', 'system', '--op', 'delete']);
      } catch {
        // Signals below take over.
      }
      if (!(await this.waitExit(3000))) {
        this.child.kill('SIGTERM');
        if (!(await this.waitExit(2000))) {
          this.child.kill('SIGKILL');
          await this.exited;
        }
      }
    }
    this.removeFiles();
  }
}
