import { readFile } from 'node:fs/promises';
import {
  assertUriPolicy,
  InvalidArgumentError,
  isVirtmigError,
  type ParsedUri,
  parseMigrateUri,
  parseSafeUri,
  parseUri,
  type WorkloadName,
} from '@virtmig/core';
import { createWorkload } from '@virtmig/workloads';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { EXPERIMENT_SPEC_SCHEMA } from './spec-schema.js';
import type { ExperimentSpec, WorkloadSpec } from './spec-types.js';

/** Seconds of one workload run in the guest when the spec does not say. */
export const DEFAULT_WORKLOAD_SECONDS = 2;

const ajv = new Ajv({ allErrors: false, useDefaults: true, strict: true, allowUnionTypes: true });
const validateSchema = ajv.compile(EXPERIMENT_SPEC_SCHEMA);

/** `/matrix/ramMiB/1` -> `matrix.ramMiB[1]`. */
function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? 'spec' : out;
}

/** The most specific of ajv's errors, as a typed error naming the field and what was expected. */
function schemaError(errors: readonly ErrorObject[]): InvalidArgumentError {
  // anyOf reports each branch's error and then its own; the deepest branch error says the most.
  const useful = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
  const e = [...useful].sort((a, b) => b.instancePath.length - a.instancePath.length)[0] ?? errors[0];
  if (!e) return new InvalidArgumentError('spec', 'is invalid');
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return new InvalidArgumentError(fieldPath(e.instancePath, String(p.missingProperty)), 'is required');
    case 'dependencies':
      return new InvalidArgumentError(
        fieldPath(e.instancePath, String(p.missingProperty)),
        `is required with ${fieldPath(e.instancePath, String(p.property))}`,
      );
    case 'additionalProperties':
      return new InvalidArgumentError(fieldPath(e.instancePath, String(p.additionalProperty)), 'is not a known field');
    case 'enum':
      return new InvalidArgumentError(
        fieldPath(e.instancePath),
        `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      );
    case 'const':
      return new InvalidArgumentError(fieldPath(e.instancePath), `must be ${JSON.stringify(p.allowedValue)}`);
    default:
      return new InvalidArgumentError(fieldPath(e.instancePath), e.message ?? 'is invalid');
  }
}

function normaliseWorkload(w: unknown, i: number): WorkloadSpec {
  const o =
    typeof w === 'string' ? { name: w } : (w as { name: string; seconds?: number; options?: Record<string, number> });
  const spec: WorkloadSpec = {
    name: o.name as WorkloadName,
    seconds: o.seconds ?? DEFAULT_WORKLOAD_SECONDS,
    options: o.options ?? {},
  };
  try {
    createWorkload(spec.name).flags({ seconds: spec.seconds }, spec.options);
  } catch (e) {
    if (isVirtmigError(e, 'E_INVALID_ARGUMENT')) throw new InvalidArgumentError(`workloads[${i}].options`, e.message);
    throw e;
  }
  return spec;
}

/**
 * An iSCSI storage without a portal is the lab's own disk, which only exists with `hosts: lab`;
 * CHAP is generated for that disk, so a spec's own LUN cannot ask for it.
 */
function checkStorage(spec: ExperimentSpec): void {
  const s = spec.storage;
  if (s.kind !== 'iscsi') return;
  if (s.portal === undefined && spec.hosts !== 'lab') {
    throw new InvalidArgumentError(
      'storage.portal',
      'is required unless hosts is "lab" (then the lab serves the shared disk)',
    );
  }
  if (s.portal !== undefined && s.chap !== undefined) {
    throw new InvalidArgumentError(
      'storage.chap',
      "only applies to the lab's shared disk (a storage without portal, iqn and lun)",
    );
  }
}

/** Checks what the schema cannot express; throws `E_INVALID_ARGUMENT` naming the field. */
function crossCheck(spec: ExperimentSpec): void {
  if (spec.hosts === 'lab' && spec.migration.enabled && spec.migration.tunnelled) {
    throw new InvalidArgumentError(
      'migration.tunnelled',
      "needs hosts with a peerUri (hosts: xenlab or a hosts list); the QEMU lab's hosts have none",
    );
  }
  if (spec.hosts === 'lab' || spec.hosts === 'xenlab') {
    const runs = spec.hosts === 'lab' ? 'qemu' : 'xen';
    if (spec.driver !== runs) {
      throw new InvalidArgumentError(
        'driver',
        `must be "${runs}" with hosts: ${spec.hosts} (the ${spec.hosts === 'lab' ? 'lab runs QEMU' : 'Xen testbed runs Xen'}), got ${JSON.stringify(spec.driver)}`,
      );
    }
  } else {
    spec.hosts.forEach((pair, i) => {
      for (const end of ['source', 'destination'] as const) {
        let parsed: ParsedUri;
        try {
          parsed = parseUri(pair[end]);
        } catch (e) {
          throw new InvalidArgumentError(`hosts[${i}].${end}`, e instanceof Error ? e.message : String(e));
        }
        assertUriPolicy(parsed, {}, `hosts[${i}].${end}`);
        if (parsed.driver !== spec.driver) {
          throw new InvalidArgumentError(
            `hosts[${i}].${end}`,
            `must be a ${spec.driver} URI (the spec's driver), got ${JSON.stringify(pair[end])}`,
          );
        }
      }
      if (pair.peerUri !== undefined) parseSafeUri(pair.peerUri, {}, `hosts[${i}].peerUri`);
      if (pair.migrateUri !== undefined) parseMigrateUri(pair.migrateUri, `hosts[${i}].migrateUri`);
      // A shared spec must not loosen the URI policy for the person who runs it.
      for (const key of ['allowUnsafeUriParameters', 'allowTestNodeFile'])
        if (pair.connectOptions !== undefined && key in pair.connectOptions)
          throw new InvalidArgumentError(
            `hosts[${i}].connectOptions.${key}`,
            'a spec cannot opt out of the URI policy',
          );
      if (pair.source === pair.destination && spec.migration.enabled) {
        throw new InvalidArgumentError(`hosts[${i}].destination`, 'must differ from the source when trials migrate');
      }
      if (spec.migration.enabled && spec.migration.tunnelled && pair.peerUri === undefined) {
        throw new InvalidArgumentError(
          `hosts[${i}].peerUri`,
          'is needed with migration.tunnelled: the source host migrates peer-to-peer to that URI',
        );
      }
    });
  }
  checkStorage(spec);
  const names = spec.workloads.map((w) => w.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i)
      throw new InvalidArgumentError(`workloads[${i}]`, `duplicate workload ${JSON.stringify(n)}`);
  });
  if (spec.durations.measureMs < spec.sampling.intervalMs) {
    throw new InvalidArgumentError(
      'durations.measureMs',
      `must be at least sampling.intervalMs (${spec.sampling.intervalMs}) so a trial takes a sample`,
    );
  }
  if ((spec.guest.kernel === undefined) !== (spec.guest.initrd === undefined)) {
    throw new InvalidArgumentError(
      spec.guest.kernel === undefined ? 'guest.kernel' : 'guest.initrd',
      'kernel and initrd go together',
    );
  }
}

/**
 * Validates a parsed spec (an object from YAML or JSON) and returns it complete with defaults.
 * Throws `E_INVALID_ARGUMENT` whose `field` is the path of the first bad value (e.g.
 * `matrix.ramMiB[1]`) and whose message says what was expected. The input is not modified.
 */
export function validateSpec(input: unknown): ExperimentSpec {
  const copy: unknown = structuredClone(input);
  if (!validateSchema(copy)) throw schemaError(validateSchema.errors ?? []);
  const raw = copy as unknown as Record<string, unknown> & { workloads: unknown[] };
  const spec = { ...raw, workloads: raw.workloads.map(normaliseWorkload) } as unknown as ExperimentSpec;
  crossCheck(spec);
  return spec;
}

/** Parses YAML or JSON text (JSON is YAML) and validates it; `source` names the text in errors. */
export function parseSpec(text: string, source = 'spec'): ExperimentSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false });
  } catch (e) {
    throw new InvalidArgumentError(
      source,
      `is not valid YAML or JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    );
  }
  return validateSpec(doc);
}

/** Reads and validates a spec file. A missing file is `E_INVALID_ARGUMENT` on `spec`. */
export async function loadSpecFile(path: string): Promise<ExperimentSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(
      'spec',
      `cannot read ${JSON.stringify(path)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
  return parseSpec(text, path);
}
