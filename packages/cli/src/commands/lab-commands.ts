import { assertPreflightPassed, InvalidArgumentError } from '@virtmig/core';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { removeGuest, startGuest } from './guest.js';
import {
  formatLabStatus,
  formatXenlabStatus,
  labKind,
  labPrefix,
  labStatus,
  runLab,
  runXenlab,
  xenlabStatus,
} from './lab.js';
import { formatMigrationResult, type MigrateCliOptions, migrateGuest, progressLine } from './migrate.js';
import { formatPrediction, type PredictCliOptions, predictGuest } from './predict.js';
import { formatPreflightReport, type PreflightCliOptions, preflightGuest } from './preflight.js';

const PREFIX_HELP = 'lab prefix (default $VIRTMIG_LAB_PREFIX or vmlab)';
const KIND_HELP = 'qemu: the local two-host lab; xen: two Xen hosts and an LIO storage host as QEMU guests';

/** A flag's decimal digits as a number; anything else is refused rather than replaced by a default. */
function wholeNumber(text: string, flag: string): number {
  if (!/^[0-9]{1,15}$/.test(text))
    throw new InvalidArgumentError(flag, `must be a whole number, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/** True for `--kind xen`; the Xen testbed has one instance per state directory, so `--prefix` is refused there. */
function xenKind(opts: { kind: string; prefix?: string }): boolean {
  if (labKind(opts.kind) !== 'xen') return false;
  if (opts.prefix !== undefined) {
    throw new InvalidArgumentError(
      '--prefix',
      'names a local lab; the Xen testbed (--kind xen) takes $VIRTMIG_XENLAB_STATE',
    );
  }
  return true;
}

/** Adds `lab up|down|status`, `guest start|stop`, `preflight`, `migrate` and `predict` to the program. */
export function addLabCommands(program: Command, makeOutput: (json: boolean) => Output): void {
  const lab = program
    .command('lab')
    .description(
      'the local two-host lab (scripts/lab/lab: two libvirt daemons joined by a veth link), or with --kind xen the nested Xen testbed (scripts/xenlab/xenlab)',
    );
  for (const [name, description] of [
    ['up', 'start the lab (idempotent) and print its status'],
    ['status', 'print what runs'],
  ] as const) {
    lab
      .command(name)
      .description(description)
      .option('--kind <kind>', KIND_HELP, 'qemu')
      .option('--prefix <name>', PREFIX_HELP)
      .option('--json', 'print JSON')
      .action(async (opts: { kind: string; prefix?: string; json?: boolean }) => {
        const out = makeOutput(Boolean(opts.json));
        if (xenKind(opts)) {
          if (name === 'up') await runXenlab(['up'], (line) => out.log(line));
          const status = await xenlabStatus();
          out.data(status, () => formatXenlabStatus(status));
          return;
        }
        const prefix = labPrefix(opts.prefix);
        if (name === 'up') await runLab(prefix, ['up'], (line) => out.log(line));
        const status = await labStatus(prefix);
        out.data(status, () => formatLabStatus(status));
      });
  }
  lab
    .command('down')
    .description('stop everything the lab started (processes, mounts, cgroups, namespaces, veth, state)')
    .option('--kind <kind>', KIND_HELP, 'qemu')
    .option('--prefix <name>', PREFIX_HELP)
    .action(async (opts: { kind: string; prefix?: string }) => {
      const out = makeOutput(false);
      if (xenKind(opts)) {
        await runXenlab(['down'], (line) => out.log(line));
        return;
      }
      await runLab(labPrefix(opts.prefix), ['down'], (line) => out.log(line));
    });

  const guest = program
    .command('guest')
    .description('lab guests (scripts/guest/build-guest image: heartbeat on the serial console, optional workload)');
  guest
    .command('start')
    .description('define and start a guest on a lab host and wait for its first heartbeat')
    .argument('<name>', 'domain name')
    .requiredOption('--on <host>', 'lab host (a or b)')
    .option('--memory <MiB>', 'guest RAM in MiB', '128')
    .option('--vcpus <n>', 'vCPUs', '1')
    .option('--workload <name>', 'workload from the guest image to run in a loop (e.g. dirtier)')
    .option('--args <args>', 'the workload\'s arguments, e.g. "--wss-mb 64 --rate-mbps 32 --seconds 100000"')
    .option('--wait <ms>', 'wait this long for the first heartbeat (0 = do not wait)', '120000')
    .option('--prefix <name>', PREFIX_HELP)
    .option('--json', 'print JSON')
    .action(
      async (
        name: string,
        opts: {
          on: string;
          memory: string;
          vcpus: string;
          workload?: string;
          args?: string;
          wait: string;
          prefix?: string;
          json?: boolean;
        },
      ) => {
        const out = makeOutput(Boolean(opts.json));
        const started = await startGuest(name, {
          prefix: labPrefix(opts.prefix),
          on: opts.on,
          memoryMiB: wholeNumber(opts.memory, '--memory'),
          vcpus: wholeNumber(opts.vcpus, '--vcpus'),
          ...(opts.workload !== undefined ? { workload: opts.workload } : {}),
          ...(opts.args !== undefined ? { args: opts.args } : {}),
          waitMs: wholeNumber(opts.wait, '--wait'),
        });
        out.data(
          started,
          () =>
            `${started.name} running on ${started.host}${started.firstHeartbeatMs !== undefined ? `, first heartbeat after ${started.firstHeartbeatMs} ms` : ''}; serial log ${started.serialLog}`,
        );
      },
    );
  guest
    .command('stop')
    .description('destroy and undefine a lab guest on whichever lab host has it')
    .argument('<name>', 'domain name')
    .option('--prefix <name>', PREFIX_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { prefix?: string; json?: boolean }) => {
      const out = makeOutput(Boolean(opts.json));
      const hosts = await removeGuest(name, labPrefix(opts.prefix));
      out.data({ name, removedFrom: hosts }, () =>
        hosts.length ? `${name} removed from ${hosts.join(', ')}` : `${name} was on no lab host`,
      );
    });

  program
    .command('preflight')
    .description(
      'check, without starting anything, whether a guest can migrate: destination reachable, name free, versions, CPU, memory, disks, networks (exit 5 when refused)',
    )
    .argument('<guest>', 'domain name')
    .requiredOption('--from <host>', 'source: lab host (a, b) or a qemu URI')
    .requiredOption('--to <host>', 'destination: lab host (a, b) or a qemu URI')
    .option('--reserve <MiB>', "memory the destination must keep free beyond the guest's")
    .option('--prefix <name>', PREFIX_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: PreflightCliOptions) => {
      const out = makeOutput(Boolean(opts.json));
      const report = await preflightGuest(name, { ...opts, prefix: labPrefix(opts.prefix) });
      out.data(report, () => formatPreflightReport(report));
      assertPreflightPassed(report);
    });

  program
    .command('predict')
    .description(
      "measure a running guest's dirty rate and CPU use now and predict its migration's total time and downtime",
    )
    .argument('<guest>', 'domain name')
    .requiredOption('--from <host>', 'where it runs: lab host (a, b) or a qemu URI')
    .requiredOption('--to <host>', 'destination: lab host (a, b) or a qemu URI')
    .option(
      '--bandwidth <MiBps>',
      "link rate in MiB/s (default: the lab link's shaping, else the median throughput of --db's migrations)",
    )
    .option('--max-downtime <ms>', "the hypervisor's maximum tolerated downtime (default QEMU's 300 ms)")
    .option('--period <s>', 'dirty-rate measurement period in seconds', '1')
    .option('--db <file>', 'results database: its trials calibrate the model and give a measured link rate')
    .option('--prefix <name>', PREFIX_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: PredictCliOptions) => {
      const out = makeOutput(Boolean(opts.json));
      const report = await predictGuest(name, { ...opts, prefix: labPrefix(opts.prefix) });
      out.data(report, () => formatPrediction(report));
    });

  program
    .command('migrate')
    .description('live-migrate a running guest between two hosts (lab host names or qemu URIs) and print the result')
    .argument('<guest>', 'domain name')
    .requiredOption('--from <host>', 'source: lab host (a, b) or a qemu URI')
    .requiredOption('--to <host>', 'destination: lab host (a, b) or a qemu URI')
    .option('--post-copy', 'switch to post-copy as soon as RAM transfer has begun')
    .option('--post-copy-after <ms>', 'switch to post-copy this long after RAM transfer began')
    .option('--max-downtime <ms>', 'maximum tolerated downtime')
    .option('--bandwidth <MiBps>', 'bandwidth limit in MiB/s')
    .option('--auto-converge', 'throttle vCPUs when the guest dirties memory faster than the link carries it')
    .option('--compression <methods>', 'comma-separated: xbzrle, mt')
    .option('--parallel <n>', 'parallel connections (multifd)')
    .option('--tls', 'encrypt the migration stream (both hosts need x509 certificates)')
    .option('--persist', 'define the domain persistently on the destination')
    .option('--undefine-source', 'undefine the domain on the source after success')
    .option(
      '--migrate-uri <uri>',
      'migration data URI, e.g. tcp://10.77.0.2:49184 (lab hosts default to tcp://ADDRESS)',
    )
    .option(
      '--peer-uri <uri>',
      "peer-to-peer: the destination's libvirt URI as the source host reaches it (lab hosts: qemu+tcp://ADDRESS/system)",
    )
    .option('--tunnelled', "carry the data inside the source daemon's connection to the peer URI (peer-to-peer)")
    .option('--timeout <ms>', 'abort the migration after this long')
    .option('--no-heartbeat', "do not follow the guest's serial heartbeat")
    .option('--no-preflight', 'skip the preflight checks (virtmig preflight) that run first')
    .option('--reserve <MiB>', "memory the destination must keep free beyond the guest's (preflight)")
    .option('--no-predict', "do not measure the guest's dirty rate and predict the migration first")
    .option(
      '--downtime-target <ms>',
      'choose pre-copy, pre-copy with max downtime or auto-converge, or post-copy from the prediction to stay within this downtime',
    )
    .option('--db <file>', 'results database: its trials calibrate the prediction and give a measured link rate')
    .option('--prefix <name>', PREFIX_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: MigrateCliOptions) => {
      const out = makeOutput(Boolean(opts.json));
      const tty = process.stderr.isTTY === true;
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const result = await migrateGuest(
          name,
          { ...opts, prefix: labPrefix(opts.prefix) },
          {
            signal: controller.signal,
            ...(tty ? { onProgress: (p) => process.stderr.write(`\r${progressLine(p)}\u001b[K`) } : {}),
          },
        );
        if (tty) process.stderr.write('\n');
        out.data(result, () => formatMigrationResult(result));
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });
}
