import { type Hypervisor, parseSafeUri } from '@virtmig/core';
import { Command, CommanderError } from 'commander';
import { addBenchCommands } from './commands/bench-commands.js';
import { runDoctor } from './commands/doctor.js';
import { collectInventory, printInventory } from './commands/inventory.js';
import { addLabCommands } from './commands/lab-commands.js';
import { addNewDriverCommand } from './commands/new-driver.js';
import { addStorageCommands } from './commands/storage.js';
import { cliRegistry } from './drivers.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { type Output, processOutput, table } from './output.js';

const DEFAULT_URI = 'test:///default';

/** Options every data command takes. */
interface CommonOptions {
  readonly json?: boolean;
}

/** Connects to every URI, after checking them all against the URI policy (`field` names them in errors). */
async function withHosts<T>(
  uris: readonly string[],
  field: (index: number) => string,
  fn: (hosts: Hypervisor[]) => Promise<T>,
): Promise<T> {
  for (const [i, u] of uris.entries()) parseSafeUri(u, {}, field(i));
  const registry = cliRegistry();
  const hosts: Hypervisor[] = [];
  try {
    for (const u of uris) hosts.push(await registry.connect(u));
    return await fn(hosts);
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
}

/** Builds the `virtmig` program; `out` is injectable for tests. */
export function buildProgram(makeOutput: (json: boolean) => Output = processOutput): Command {
  const program = new Command('virtmig')
    .description('Live-migration experiments on libvirt-managed hypervisors')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 operation failed, 2 bad input (nothing changed), 3 not found, 4 a required component is missing, 5 refused by preflight (nothing started).',
    );

  program
    .command('inventory')
    .description("list hosts, their domains and the domains' statistics")
    .argument('[uris...]', 'libvirt URIs of the hosts', [DEFAULT_URI])
    .option('--json', 'print JSON')
    .action(async (uris: string[], opts: CommonOptions) => {
      const out = makeOutput(Boolean(opts.json));
      await withHosts(
        uris,
        (i) => `uris[${i}]`,
        async (hosts) => printInventory(out, await collectInventory(hosts)),
      );
    });

  program
    .command('domains')
    .description('list the domains of one host')
    .option('-c, --uri <uri>', 'libvirt URI', DEFAULT_URI)
    .option('--json', 'print JSON')
    .action(async (opts: CommonOptions & { uri: string }) => {
      const out = makeOutput(Boolean(opts.json));
      await withHosts(
        [opts.uri],
        () => '--uri',
        async ([h]) => {
          const doms = await (h as Hypervisor).listDomains();
          out.data(doms, () =>
            table(
              ['NAME', 'STATE', 'VCPUS', 'MEM(MiB)'],
              doms.map((d) => [d.name, d.state, d.vcpus, Math.round(d.memoryKiB / 1024)]),
            ),
          );
        },
      );
    });

  program
    .command('doctor')
    .description('check libvirt, QEMU, tgt, cgroups and KVM; say what is missing and how to get it')
    .option('--json', 'print JSON')
    .action(async (opts: CommonOptions) => {
      const out = makeOutput(Boolean(opts.json));
      const checks = await runDoctor();
      out.data(checks, () =>
        checks
          .map(
            (c) =>
              `${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn'}  ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : `\n      fix: ${c.fix}`}`,
          )
          .join('\n'),
      );
      if (checks.some((c) => c.required && !c.ok)) process.exitCode = EXIT.UNAVAILABLE;
    });

  addLabCommands(program, makeOutput);
  addStorageCommands(program, makeOutput);
  addBenchCommands(program, makeOutput);
  addNewDriverCommand(program, makeOutput);

  return program;
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[], makeOutput?: (json: boolean) => Output): Promise<number> {
  const program = buildProgram(makeOutput);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`virtmig: ${msg.split('\n')[0]}\n`);
    return exitCodeFor(e);
  }
}
