#!/usr/bin/env node
// The edit-build-test loop: `tsc -b --watch` over every project reference of the root tsconfig.json,
// and after each compile that ends with no errors, the fast unit tests (.mocharc.fast.json).
// Bazel/ibazel cannot drive this loop on our machines (see docs/development.md), hence this script.
//
// Usage: npm run watch            (Ctrl-C stops tsc, any running tests, and this script)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

// Several saves in a row produce several compiles; wait this long after the last one so a burst of
// edits costs one test run.
const DEBOUNCE_MS = 300;
// A child's process group gets this long to exit after SIGTERM before it is killed outright.
const KILL_GRACE_MS = 3000;

/** Absolute path of a package's bin script, so children are `node <script>` with no npx or shell in between. */
function binOf(pkg, name) {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const { bin } = require(manifestPath);
  return join(dirname(manifestPath), typeof bin === 'string' ? bin : bin[name]);
}

const tscBin = binOf('typescript', 'tsc');
const mochaBin = binOf('mocha', 'mocha');
const colour = Boolean(process.stdout.isTTY);

function log(message) {
  process.stderr.write(`[watch] ${message}\n`);
}

// Children get their own process group (detached) so that one kill reaches everything they start
// (mocha re-spawns itself to pass --expose-gc), and so that Ctrl-C reaches only this script, which
// then stops them in order.
function start(args, stdout) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', stdout, 'inherit'],
  });
  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    child.once('error', (error) => resolveExit({ code: null, signal: null, error }));
  });
  return { child, exited };
}

/** Sends a signal to a child's whole process group; false when no process of the group is left. */
function signalGroup(proc, signal) {
  if (proc.child.pid === undefined) return false;
  try {
    process.kill(-proc.child.pid, signal);
    return true;
  } catch (error) {
    if (error.code === 'ESRCH') return false;
    throw error;
  }
}

// mocha's launcher dies at once on SIGTERM while the runner it spawned is still cleaning up, so the
// group, not the launcher, is what gets the grace period.
async function stop(proc) {
  if (!signalGroup(proc, 'SIGTERM')) return;
  const deadline = Date.now() + KILL_GRACE_MS;
  while (signalGroup(proc, 0)) {
    if (Date.now() >= deadline) {
      signalGroup(proc, 'SIGKILL');
      break;
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
  await proc.exited;
}

let tests = null;
let debounce = null;
// Bumped on every compile result so that a test start still waiting on the previous run's exit
// can tell it has been overtaken.
let generation = 0;
let shuttingDown = false;

async function runTests(myGeneration) {
  if (tests) {
    log('stopping the previous test run');
    await stop(tests);
    tests = null;
  }
  if (myGeneration !== generation || shuttingDown) return;
  log('running fast unit tests');
  const startedAt = Date.now();
  const run = start([mochaBin, '--config', '.mocharc.fast.json'], 'inherit');
  tests = run;
  const { code, signal, error } = await run.exited;
  if (tests === run) tests = null;
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (error) log(`could not start mocha: ${error.message}`);
  else if (signal) log(`test run stopped (${signal}) after ${seconds} s`);
  else log(`tests ${code === 0 ? 'passed' : `failed (exit ${code})`} in ${seconds} s; watching for changes`);
}

function onCompileFinished(errors) {
  generation += 1;
  clearTimeout(debounce);
  debounce = null;
  if (errors > 0) {
    log(`compile reported ${errors} error(s); tests not run`);
    if (tests) stop(tests).catch((error) => log(`could not stop tests: ${error.message}`));
    return;
  }
  const myGeneration = generation;
  debounce = setTimeout(() => {
    debounce = null;
    runTests(myGeneration).catch((error) => log(`test run failed to start: ${error.message}`));
  }, DEBOUNCE_MS);
}

function onCompileStarted() {
  // A compile in progress makes a pending test run stale: wait for its result instead.
  clearTimeout(debounce);
  debounce = null;
}

// tsc's watch status lines, e.g. "7:30:01 AM - Found 0 errors. Watching for file changes."
const FINISHED = /Found (\d+) errors?\. Watching for file changes\./;
const STARTED = /(File change detected\. Starting incremental compilation|Starting compilation in watch mode)/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI colour escapes is the point
const ANSI = /\x1b\[[0-9;]*m/g;

const tsc = start(
  [tscBin, '-b', '--watch', '--preserveWatchOutput', ...(colour ? ['--pretty'] : []), 'tsconfig.json'],
  'pipe',
);
let pending = '';
tsc.child.stdout.setEncoding('utf8');
tsc.child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const raw of lines) {
    const line = raw.replace(ANSI, '');
    const finished = FINISHED.exec(line);
    if (finished) onCompileFinished(Number(finished[1]));
    else if (STARTED.test(line)) onCompileStarted();
  }
});

async function shutdown(reason, exitCode) {
  if (shuttingDown) return;
  shuttingDown = true;
  clearTimeout(debounce);
  log(`${reason}; stopping`);
  await Promise.all([stop(tsc), tests ? stop(tests) : Promise.resolve()]);
  process.exit(exitCode);
}

for (const [signal, exitCode] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => {
    shutdown(`received ${signal}`, exitCode).catch((error) => {
      log(`shutdown failed: ${error.message}`);
      process.exit(1);
    });
  });
}

tsc.exited.then(({ code, signal, error }) => {
  if (shuttingDown) return;
  const why = error ? `tsc could not start: ${error.message}` : `tsc exited (${signal ?? `code ${code}`})`;
  return shutdown(why, code || 1);
});
