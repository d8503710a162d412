import type { SchemaObject } from 'ajv';

/**
 * The JSON schema (draft-07) of an experiment spec. ajv validates against it and fills in the
 * defaults, so the rest of the runner only sees complete specs.
 */
const uint = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });
/**
 * Longest list a matrix dimension may have: far above any real study (the paper's longest has 8
 * caps) and small enough that ajv's uniqueness check and the trial-count product stay cheap.
 */
const LIST_MAX = 1024;
/** Keys of option maps: identifiers, so no key can be `__proto__` or carry a metacharacter. */
const OPTION_KEY = { pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' };
const uintList = (minimum: number, maximum: number) => ({
  type: 'array',
  minItems: 1,
  maxItems: LIST_MAX,
  uniqueItems: true,
  items: uint(minimum, maximum),
});
const WORKLOADS = ['dhrystone', 'linpack', 'livermore', 'dirtier'];

/**
 * The experiment spec schema. Typed as ajv's schema object, so the reference documents it as one
 * value rather than each JSON-schema keyword.
 */
export const EXPERIMENT_SPEC_SCHEMA: SchemaObject = {
  $id: 'https://virtmig.dev/schemas/experiment.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'hosts', 'workloads', 'matrix'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
    driver: { type: 'string', pattern: '^[a-z][a-z0-9]*$', default: 'qemu' },
    hosts: {
      anyOf: [
        { enum: ['lab', 'xenlab'] },
        {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['source', 'destination'],
            properties: {
              source: { type: 'string', minLength: 1 },
              destination: { type: 'string', minLength: 1 },
              migrateUri: { type: 'string', pattern: '^[a-z][a-z0-9+]*://\\S+$' },
              peerUri: { type: 'string', pattern: '^[a-z][a-z0-9+]*://\\S*$' },
              connectOptions: {
                type: 'object',
                propertyNames: OPTION_KEY,
                additionalProperties: { type: ['string', 'number', 'boolean'] },
              },
            },
          },
        },
      ],
    },
    storage: {
      type: 'object',
      default: { kind: 'none' },
      required: ['kind'],
      properties: { kind: { enum: ['none', 'iscsi'] } },
      if: { properties: { kind: { const: 'iscsi' } } },
      // biome-ignore lint/suspicious/noThenProperty: if/then/else is JSON Schema's conditional, not a thenable
      then: {
        additionalProperties: false,
        required: ['kind'],
        // A LUN is named in full or not at all (then the lab serves its own; see spec.ts). Draft-07
        // spells 2019-09's dependentRequired as `dependencies`, which ajv's default draft takes.
        dependencies: { portal: ['iqn', 'lun'], iqn: ['portal', 'lun'], lun: ['portal', 'iqn'] },
        properties: {
          kind: { const: 'iscsi' },
          // Checked by @virtmig/iscsi's own validators (spec.ts), the ones its adapters apply.
          portal: { type: 'string' },
          iqn: { type: 'string' },
          lun: uint(0, 16383),
          chap: { type: 'boolean' },
        },
      },
      else: { additionalProperties: false, properties: { kind: { const: 'none' } } },
    },
    guest: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        image: { enum: ['lab', 'none'], default: 'lab' },
        // Absolute paths, checked by @virtmig/iscsi's path validator (spec.ts).
        kernel: { type: 'string' },
        initrd: { type: 'string' },
        bootTimeoutMs: { ...uint(1, 3_600_000), default: 60_000 },
      },
    },
    workloads: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: {
        anyOf: [
          { enum: WORKLOADS },
          {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: {
              name: { enum: WORKLOADS },
              label: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' },
              seconds: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
              options: { type: 'object', propertyNames: OPTION_KEY, additionalProperties: { type: 'number' } },
            },
          },
        ],
      },
    },
    matrix: {
      type: 'object',
      additionalProperties: false,
      required: ['ramMiB', 'vcpus', 'capPercent', 'trials'],
      properties: {
        ramMiB: uintList(16, 1 << 24),
        vcpus: uintList(1, 4096),
        capPercent: uintList(0, 409_600),
        hostCores: { ...uintList(1, 4096), default: [1] },
        trials: uint(1, 10_000),
      },
    },
    migration: {
      type: 'object',
      additionalProperties: false,
      default: { enabled: false },
      properties: {
        enabled: { type: 'boolean', default: true },
        cells: {
          type: 'object',
          additionalProperties: false,
          properties: { ramMiB: uintList(16, 1 << 24), vcpus: uintList(1, 4096), capPercent: uintList(0, 409_600) },
        },
        live: { type: 'boolean', default: true },
        maxDowntimeMs: uint(1, 3_600_000),
        bandwidthMiBps: uint(1, 1 << 20),
        autoConverge: { type: 'boolean' },
        postCopyAfterMs: uint(0, 3_600_000),
        compression: { type: 'array', items: { enum: ['xbzrle', 'zlib', 'zstd', 'mt'] }, uniqueItems: true },
        parallelConnections: uint(1, 64),
        tunnelled: { type: 'boolean' },
        timeoutMs: { ...uint(1, 86_400_000), default: 300_000 },
      },
    },
    sampling: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { intervalMs: { ...uint(10, 3_600_000), default: 1000 } },
    },
    durations: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        warmupMs: { ...uint(0, 86_400_000), default: 2000 },
        measureMs: { ...uint(1, 86_400_000), default: 10_000 },
      },
    },
    policy: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        thresholdPercent: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 65 },
        selection: { enum: ['study', 'mmt', 'mc', 'random', 'balance'], default: 'study' },
      },
    },
  },
} as const;
