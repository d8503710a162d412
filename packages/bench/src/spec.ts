import { readFile, stat } from 'node:fs/promises';
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
import { assertAbsolutePath, assertIscsiName, parsePortal } from '@virtmig/iscsi';
import { createWorkload } from '@virtmig/workloads';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { assertTrialCount } from './matrix.js';
import { EXPERIMENT_SPEC_SCHEMA } from './spec-schema.js';
import type { ExperimentSpec, WorkloadSpec } from './spec-types.js';

/** Seconds of one workload run in the guest when the spec does not say. */
export const DEFAULT_WORKLOAD_SECONDS = 2;

/** Largest spec text (and file) accepted: 1 MiB, a thousand times the study's own spec. */
export const MAX_SPEC_BYTES = 1 << 20;

/** Deepest nesting a spec may have; the schema's own is 5, so deeper is never a spec. */
export const MAX_SPEC_DEPTH = 16;

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
    typeof w === 'string'
      ? { name: w }
      : (w as { name: string; label?: string; seconds?: number; options?: Record<string, number> });
  const spec: WorkloadSpec = {
    name: o.name as WorkloadName,
    label: o.label ?? o.name,
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
  // The iSCSI package's validators, the ones its initiators and targets apply, so a spec can
  // never name a LUN that the storage code would refuse later.
  if (s.portal !== undefined) parsePortal(s.portal, 'storage.portal');
  if (s.iqn !== undefined) assertIscsiName(s.iqn, 'storage.iqn');
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
  const labels = spec.workloads.map((w) => w.label);
  labels.forEach((n, i) => {
    if (labels.indexOf(n) !== i)
      throw new InvalidArgumentError(
        `workloads[${i}]`,
        `duplicate workload ${JSON.stringify(n)} (give repeated workloads distinct labels)`,
      );
  });
  if (spec.durations.measureMs < spec.sampling.intervalMs) {
    throw new InvalidArgumentError(
      'durations.measureMs',
      `must be at least sampling.intervalMs (${spec.sampling.intervalMs}) so a trial takes a sample`,
    );
  }
  if (spec.guest.kernel !== undefined) assertAbsolutePath(spec.guest.kernel, 'guest.kernel');
  if (spec.guest.initrd !== undefined) assertAbsolutePath(spec.guest.initrd, 'guest.initrd');
  if ((spec.guest.kernel === undefined) !== (spec.guest.initrd === undefined)) {
    throw new InvalidArgumentError(
      spec.guest.kernel === undefined ? 'guest.kernel' : 'guest.initrd',
      'kernel and initrd go together',
    );
  }
}

/** Refuses nesting deeper than {@link MAX_SPEC_DEPTH} (and cycles), walking without recursion. */
function assertDepth(input: unknown): void {
  const stack: [unknown, number][] = [[input, 0]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_SPEC_DEPTH) throw new InvalidArgumentError('spec', `nests deeper than ${MAX_SPEC_DEPTH} levels`);
    if (seen.has(v)) throw new InvalidArgumentError('spec', 'refers to itself');
    seen.add(v);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
}

/**
 * Validates a parsed spec (an object from YAML or JSON) and returns it complete with defaults.
 * The input is not modified.
 * @throws `E_INVALID_ARGUMENT` whose `field` is the path of the first bad value (e.g.
 * `matrix.ramMiB[1]`) and whose message says what was expected; `matrix` when it expands to
 * more than {@link MAX_TRIALS} trials (counted, not expanded).
 */
export function validateSpec(input: unknown): ExperimentSpec {
  assertDepth(input);
  const copy: unknown = structuredClone(input);
  if (!validateSchema(copy)) throw schemaError(validateSchema.errors ?? []);
  const raw = copy as unknown as Record<string, unknown> & { workloads: unknown[]; matrix: ExperimentSpec['matrix'] };
  assertTrialCount(raw);
  const spec = { ...raw, workloads: raw.workloads.map(normaliseWorkload) } as unknown as ExperimentSpec;
  crossCheck(spec);
  return spec;
}

/**
 * Parses YAML or JSON text (JSON is YAML) and validates it; `source` names the text in errors.
 * A parse error says where (line and column) and what, never the text there: a spec may hold
 * credentials in `connectOptions`.
 * @throws `E_INVALID_ARGUMENT` as {@link validateSpec} does, and for text that is not YAML, is
 * larger than {@link MAX_SPEC_BYTES} or is nested deeper than {@link MAX_SPEC_DEPTH}.
 */
export function parseSpec(text: string, source = 'spec'): ExperimentSpec {
  if (typeof text !== 'string') throw new InvalidArgumentError(source, 'must be the text of a spec');
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES)
    throw new InvalidArgumentError(source, `is larger than ${MAX_SPEC_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    throw new InvalidArgumentError(source, `is not valid YAML or JSON: ${yamlErrorWhere(e, text)}`);
  }
  return validateSpec(doc);
}

/** The kind and position of a YAML parse error, without the source text the message may quote. */
function yamlErrorWhere(e: unknown, text: string): string {
  const at = (e as { pos?: readonly number[] }).pos?.[0];
  let where = '';
  if (typeof at === 'number') {
    const before = text.slice(0, at).split('\n');
    where = ` at line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
  }
  const err = e as { code?: unknown };
  return `${typeof err.code === 'string' ? err.code : e instanceof RangeError ? 'nested too deeply' : 'parse error'}${where}`;
}

/**
 * Reads and validates a spec file.
 * @throws `E_INVALID_ARGUMENT` on `spec` for a missing file, one that is not a regular file (a
 * FIFO or device would never end) or is larger than {@link MAX_SPEC_BYTES}; else as {@link parseSpec}.
 */
export async function loadSpecFile(path: string): Promise<ExperimentSpec> {
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new InvalidArgumentError('spec', `${JSON.stringify(path)} is not a regular file`);
    if (st.size > MAX_SPEC_BYTES)
      throw new InvalidArgumentError('spec', `${JSON.stringify(path)} is larger than ${MAX_SPEC_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isVirtmigError(e)) throw e;
    throw new InvalidArgumentError(
      'spec',
      `cannot read ${JSON.stringify(path)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
  return parseSpec(text, path);
}
