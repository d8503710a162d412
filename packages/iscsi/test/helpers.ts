import { readFileSync } from 'node:fs';
import sinon from 'sinon';
import type { CommandRunner, RunOptions, RunResult } from '../src/index.js';

/** Reads a file under test/fixtures (tests run from dist/test). */
export function fixture(name: string): string {
  return readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');
}

/** A canned answer: the first reply whose `match` fits the argv is used. */
export interface Reply {
  readonly match: (argv: readonly string[]) => boolean;
  readonly stdout?: string;
}

/** A runner whose `run` is a sinon spy answering from `replies` (empty stdout otherwise). */
export function spyRunner(replies: readonly Reply[] = []) {
  const run = sinon.spy(async (command: string, args: readonly string[], _options?: RunOptions): Promise<RunResult> => {
    const argv = [command, ...args];
    const stdout = replies.find((r) => r.match(argv))?.stdout ?? '';
    return { stdout, stderr: '', stdoutBytes: Buffer.from(stdout) };
  });
  const runner: CommandRunner = { description: 'spy', run };
  return { runner, run, argvs: () => run.getCalls().map((c) => [c.args[0], ...c.args[1]]) };
}

/** True when argv contains `words` consecutively. */
export function has(argv: readonly string[], ...words: string[]): boolean {
  return argv.some((_, i) => words.every((w, k) => argv[i + k] === w));
}
