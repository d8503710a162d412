// A real npm registry for packaging tests: verdaccio on 127.0.0.1 (random free port, storage and
// config in a temp dir), every @virtmig package published to it, and fresh projects that install
// from it. @virtmig/* comes from this registry only; everything else from the machine's registry.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runnable, tsBlockOf } from '../doc-blocks.mjs';

const run = promisify(execFile);

/** The repository's root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The README's SDK example (its first ts code block) as plain ES module code. */
export async function readmeSdkExample() {
  const code = tsBlockOf('README.md', 0);
  return code === undefined ? undefined : runnable(code);
}

const VERDACCIO = join(ROOT, 'node_modules', 'verdaccio', 'bin', 'verdaccio');

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}-/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`verdaccio did not answer on ${url} within ${timeoutMs} ms`);
}

/**
 * Starts verdaccio and creates a throwaway user whose token goes into a temp npmrc (mode 0600)
 * used only for publishing. Returns `{ url, dir, userconfig, pid, stop() }`; `stop()` ends the
 * server by its pid and removes the temp dir.
 */
export async function startRegistry() {
  const dir = await mkdtemp(join(tmpdir(), 'virtmig-registry-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 1',
      'uplinks: {}',
      'packages:',
      "  '@virtmig/*':",
      '    access: $all',
      '    publish: $authenticated',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [VERDACCIO, '--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(url, child, 30_000);
    const name = `virtmig-test-${randomBytes(4).toString('hex')}`;
    const res = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password: randomBytes(16).toString('hex'), type: 'user', roles: [] }),
    });
    if (!res.ok) throw new Error(`creating the registry user failed: HTTP ${res.status}`);
    const { token } = await res.json();
    const userconfig = join(dir, 'publish.npmrc');
    await writeFile(userconfig, `//127.0.0.1:${port}/:_authToken=${token}\n`, { mode: 0o600 });
    return { url, dir, userconfig, pid: child.pid, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The workspace packages, in the root package.json's order, as `{ name, dir }`. */
export async function workspacePackages() {
  const root = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  return Promise.all(
    root.workspaces.map(async (ws) => {
      const dir = join(ROOT, ws);
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      return { name: pkg.name, dir };
    }),
  );
}

/**
 * Packs every workspace package with `npm pack` (running its prepack, e.g. @virtmig/libvirt's
 * prebuilt shim) into `registry.dir/tarballs` and publishes the tarballs. Returns
 * `{ name: tarballPath }`.
 */
export async function publishAll(registry) {
  const out = join(registry.dir, 'tarballs');
  const tarballs = {};
  await mkdir(out, { recursive: true });
  for (const { name, dir } of await workspacePackages()) {
    const before = new Set(await readdir(out));
    await run('npm', ['pack', '--pack-destination', out, '--silent'], { cwd: dir, maxBuffer: 16 << 20 });
    const file = (await readdir(out)).find((f) => !before.has(f));
    tarballs[name] = join(out, file);
    await run(
      'npm',
      ['publish', tarballs[name], '--registry', registry.url, '--userconfig', registry.userconfig, '--silent'],
      { cwd: registry.dir },
    );
  }
  return tarballs;
}

/**
 * A fresh project in a temp dir whose .npmrc takes @virtmig/* from `registry` and everything
 * else from the machine's configured registry; `npm install`s `deps` and times it.
 * Returns `{ dir, installMs, exec(cmd, args, options), remove() }`.
 */
export async function freshProject(registry, deps) {
  const dir = await mkdtemp(join(tmpdir(), 'virtmig-fresh-'));
  const { stdout: upstream } = await run('npm', ['config', 'get', 'registry']);
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'fresh', private: true, type: 'module' })}\n`);
  await writeFile(join(dir, '.npmrc'), `@virtmig:registry=${registry.url}\nregistry=${upstream.trim()}\n`);
  const started = Date.now();
  await run('npm', ['install', '--no-audit', '--no-fund', ...deps], { cwd: dir, maxBuffer: 16 << 20 });
  const installMs = Date.now() - started;
  const exec = (cmd, args, options = {}) =>
    run(cmd, args, { cwd: dir, timeout: 120_000, maxBuffer: 16 << 20, ...options });
  return { dir, installMs, exec, remove: () => rm(dir, { recursive: true, force: true }) };
}
