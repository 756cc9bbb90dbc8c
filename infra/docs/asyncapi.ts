// Generates docs/asyncapi.yaml, the pipeline's Kafka contract in the format downstream tools read
// (AsyncAPI 3.0 with the Kafka bindings): every topic of infra/topics.json as a channel, the Avro
// values by reference to schemas/*.avsc, the header names of services/common/src/record-headers.ts.
// Everything comes from those sources, so the document cannot say something the pipeline does
// not do; test/unit/docs/asyncapi.test.ts fails when the committed file differs from a fresh run.
// Not part of the service build: `npm run docs:asyncapi` runs it with tsx.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import type { DlqStage } from '../../services/common/src/dlq-record.js';
import { DLQ_REASONS } from '../../services/common/src/errors.js';
import { kafkaConfigSchema } from '../../services/common/src/kafka-config.js';
import { projectRoot } from '../../services/common/src/project-root.js';
import {
  DLQ_HEADERS,
  OUTPUT_HEADERS,
  RAW_HEADERS,
  REPLAY_HEADERS,
} from '../../services/common/src/record-headers.js';
import { schemaFile, subjectOf } from '../../services/common/src/schema-registry.js';
import {
  DOMAIN_KEY_FIELDS,
  DOMAIN_KEYS,
  topicSpecs,
  type Domain,
  type TopicKey,
  type TopicSpec,
} from '../../services/common/src/topics.js';
import { SIGNATURE_SCHEMES } from '../../services/ingress/src/signature.js';
import { transformerConfigSchema } from '../../services/transformer/src/config.js';
import { EVENT_MAPPINGS } from '../../services/transformer/src/mapping/event-mapping.js';

/** Where the document is written, relative to the project root. */
export const ASYNCAPI_FILE = 'docs/asyncapi.yaml';

/** The Kafka bindings version the document follows (the newest the AsyncAPI 3.0 specs define). */
const KAFKA_BINDING_VERSION = '0.5.0';
/** Avro 1.9 is what the AsyncAPI Avro schema parser understands; our schemas use nothing newer. */
const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro;version=1.9.0';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const defaultOf = (spec: { parse(raw: undefined, name: string): unknown }, name: string) =>
  String(spec.parse(undefined, name));

/** A header value schema: Kafka header values are bytes, the pipeline writes UTF-8 text. */
const text = (description: string, extra: JsonObject = {}): JsonObject => ({
  type: 'string',
  description,
  ...extra,
});

// Descriptions are keyed by the constants' own keys, so a header added to record-headers.ts does
// not typecheck here until it is documented.
const RAW_HEADER_DOCS: Record<keyof typeof RAW_HEADERS, JsonObject> = {
  eventId: text(
    'The pipeline event ID: the body `eventId`, else GHL `webhookId`, else `sha256:` + a hash of the body without its delivery fields. Also the record key.',
  ),
  eventType: text(
    'The event type exactly as received: the seed `event` (`contact.created`) or the GHL `type` (`ContactCreate`). Absent when the body names none.',
  ),
  locationId: text(
    'The GHL location (sub-account): the body `locationId`, or the `id` of an agency-level `LocationCreate`/`LocationUpdate`. Absent when the body names none.',
  ),
  companyId: text(
    'The GHL company (agency), only on agency-level events that name no location (e.g. a Company-level `INSTALL`).',
  ),
  receivedAt: text('When the ingress received the webhook, ISO 8601 in UTC.', {
    format: 'date-time',
  }),
  requestId: text('The ingress request id of the delivery.'),
  signatureScheme: text('The signature that authenticated the delivery.', {
    enum: [...SIGNATURE_SCHEMES],
  }),
  contentType: text('The Content-Type of the webhook request, as received.'),
  traceparent: text('W3C trace context of the webhook request; only when it carried a valid one.', {
    pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
  }),
};

const REPLAY_HEADER_DOCS: Record<keyof typeof REPLAY_HEADERS, JsonObject> = {
  replayId: text(
    'Set by `ghl-pipeline replay`: the transformer deduplicates the record under replay-id + event ID, so each replay re-emits once.',
  ),
  replayOf: text('Set by `ghl-pipeline replay`: `topic/partition/offset` of the replayed record.'),
  redriveOf: text(
    'Set by `ghl-pipeline dlq redrive`: `topic/partition/offset` of the redriven DLQ record.',
  ),
};

/** The dlq-stage values; a Record so a new stage does not typecheck until it is listed. */
const DLQ_STAGE_DOCS: Record<DlqStage, true> = {
  parse: true,
  normalise: true,
  map: true,
  tenant: true,
  payload: true,
  encode: true,
  produce: true,
};

const DLQ_HEADER_DOCS: Record<keyof typeof DLQ_HEADERS, JsonObject> = {
  reason: text('Why the record failed permanently.', { enum: [...DLQ_REASONS] }),
  error: text(
    'What went wrong, for humans triaging (names fields and types, never values); at most 1000 characters.',
  ),
  source: text('`topic/partition/offset` of the ghl.raw record that failed.'),
  failedAt: text('When the transformer gave up on the record, ISO 8601 in UTC.', {
    format: 'date-time',
  }),
  attempts: text('How many times processing the record was tried (decimal).', {
    pattern: '^[0-9]+$',
  }),
  stage: text('Where in the transformation the failure happened.', {
    enum: Object.keys(DLQ_STAGE_DOCS),
  }),
  truncated: text(
    'Only when the DLQ topic could not take the whole record: the original value size in bytes. The value is then a prefix of the original and only the identifying raw headers are kept; dlq-source names the ghl.raw record that holds every byte until its retention ends.',
    { pattern: '^[0-9]+$' },
  ),
};

const OUTPUT_HEADER_DOCS: Record<keyof typeof OUTPUT_HEADERS, JsonObject> = {
  specversion: text('CloudEvents spec version.', { const: '1.0' }),
  id: text('The event ID (the value `eventId`): unique per GHL event, use it to deduplicate.'),
  source: text('`/ghl/locations/<locationId>`.', { pattern: '^/ghl/locations/.+$' }),
  type: text('The NeuronX event type (the value `type`).'),
  time: text('When the change happened (the value `occurredAt`), ISO 8601 in UTC.', {
    format: 'date-time',
  }),
  contentType: text('The value encoding.', { const: 'application/avro' }),
  traceparent: text(
    'W3C trace context of the webhook request; only when the ghl.raw record carried one.',
    { pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' },
  ),
};

/** An object schema of headers named by a constants object, in the constants' order. */
function headerProperties<K extends string>(
  names: Readonly<Record<K, string>>,
  docs: Readonly<Record<K, JsonObject>>,
): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(names) as K[]) out[names[key]] = docs[key];
  return out;
}

const RAW_REQUIRED = [
  RAW_HEADERS.eventId,
  RAW_HEADERS.receivedAt,
  RAW_HEADERS.requestId,
  RAW_HEADERS.signatureScheme,
  RAW_HEADERS.contentType,
];

function headerSchemas(): JsonObject {
  const raw = {
    ...headerProperties(RAW_HEADERS, RAW_HEADER_DOCS),
    ...headerProperties(REPLAY_HEADERS, REPLAY_HEADER_DOCS),
  };
  const dlq = headerProperties(DLQ_HEADERS, DLQ_HEADER_DOCS);
  const output = headerProperties(OUTPUT_HEADERS, OUTPUT_HEADER_DOCS);
  return {
    RawHeaders: {
      type: 'object',
      description:
        'Headers of a ghl.raw record, written by the ingress; `ghl-pipeline replay` and `dlq redrive` republish a record with its original headers plus theirs.',
      required: RAW_REQUIRED,
      properties: raw,
    },
    DlqHeaders: {
      type: 'object',
      description:
        'Headers of a ghl.dlq record: the original ghl.raw headers plus the dlq-* ones (`dlq redrive` strips the dlq-* headers again).',
      required: Object.values(DLQ_HEADERS).filter((h) => h !== DLQ_HEADERS.truncated),
      properties: { ...raw, ...dlq },
    },
    OutputHeaders: {
      type: 'object',
      description:
        'CloudEvents binary-mode headers (Kafka protocol binding) of every NeuronX event.',
      required: Object.values(OUTPUT_HEADERS).filter((h) => h !== OUTPUT_HEADERS.traceparent),
      properties: output,
    },
  };
}

interface AvroRecord {
  name: string;
  doc?: string;
}

const readAvro = (root: string, domain: Domain): AvroRecord =>
  JSON.parse(readFileSync(join(root, schemaFile(domain)), 'utf8')) as AvroRecord;

const isDomain = (key: TopicKey): key is Domain => (DOMAIN_KEYS as readonly string[]).includes(key);

/** The Kafka key of each domain topic, from the payload fields the transformer keys by. */
const domainKeyDescription = (domain: Domain): string => {
  const fields = DOMAIN_KEY_FIELDS[domain];
  return fields.length === 1
    ? `The ${fields[0]} of the payload.`
    : `The payload's ${fields.join(', ')}, joined by ':' (\`${fields.join(':')}\`).`;
};

const KEYS: Record<Exclude<TopicKey, Domain>, string> = {
  raw: 'The event ID (the event-id header).',
  dlq: 'The key of the ghl.raw record (the event ID); a truncated record without one is keyed by its dlq-source.',
  dedup:
    'The dedup key: the event ID, or `replay:<replay-id>:<event ID>` for a replayed record; `__marker__:<uuid>` for the restore markers the transformer writes when it takes a partition over.',
  tenants: 'The GHL locationId.',
};

const stringKey = (description: string): JsonObject => ({ type: 'string', description });

/** The message of a non-Avro topic (its id, then the message object). */
function plainMessage(key: Exclude<TopicKey, Domain>): [string, JsonObject] {
  switch (key) {
    case 'raw':
      return [
        'GhlWebhook',
        {
          name: 'GhlWebhook',
          title: 'GHL webhook, exact bytes',
          contentType: 'application/json',
          headers: { $ref: '#/components/schemas/RawHeaders' },
          payload: {
            description:
              'The webhook body byte for byte as the ingress received it, never re-serialised: normally a JSON object, the seed envelope `{event, locationId, companyId, timestamp, data, metadata}` or a GHL flat body `{type, locationId, timestamp, webhookId, …}`. The ingress stores every correctly signed body whatever it holds, so a record may also carry other JSON or bytes that are not JSON (the transformer dead-letters those). Mapping: schemas/README.md.',
          },
        },
      ];
    case 'dlq':
      return [
        'DeadLetter',
        {
          name: 'DeadLetter',
          title: 'A ghl.raw record that failed permanently',
          contentType: 'application/json',
          headers: { $ref: '#/components/schemas/DlqHeaders' },
          payload: {
            description:
              'The original ghl.raw value byte for byte (the webhook body, JSON or not); a prefix of it when the dlq-truncated header is set.',
          },
        },
      ];
    case 'dedup':
      return [
        'DedupEntry',
        {
          name: 'DedupEntry',
          title: 'Dedup changelog entry (internal to the transformer)',
          contentType: 'text/plain',
          payload: {
            type: ['string', 'null'],
            pattern: '^[0-9]+$',
            description:
              'Expiry of the dedup key in epoch milliseconds, as decimal text; null (a tombstone) once the key expired, and for the restore markers.',
          },
        },
      ];
    case 'tenants':
      return [
        'TenantMapping',
        {
          name: 'TenantMapping',
          title: 'locationId → tenantId',
          contentType: 'application/json',
          payload: {
            type: ['object', 'null'],
            required: ['tenantId'],
            properties: { tenantId: { type: 'string', minLength: 1 } },
            description:
              '`{"tenantId":"…"}` as `ghl-pipeline tenants set` writes it (a bare non-blank string is read too); null (a tombstone, `tenants delete`) removes the mapping. A value that cannot be read is ignored.',
          },
        },
      ];
  }
}

/** The message of a domain topic: the Avro record of schemas/<domain>.avsc. */
function avroMessage(root: string, domain: Domain, topic: string): [string, JsonObject] {
  const record = readAvro(root, domain);
  const types = Object.values(EVENT_MAPPINGS)
    .filter((m) => m.domain === domain)
    .map((m) => m.neuronxType);
  return [
    record.name,
    {
      name: record.name,
      title: `NeuronX ${domain} event`,
      ...(record.doc ? { summary: record.doc } : {}),
      description: `Confluent wire format: magic byte 0, the 4-byte schema id, then the Avro binary of \`${schemaFile(domain)}\`, registered under subject \`${subjectOf(topic)}\` with BACKWARD compatibility (docs/schema-evolution.md). Event types: ${types.map((t) => `\`${t}\``).join(', ')}.`,
      contentType: 'application/avro',
      headers: {
        allOf: [
          { $ref: '#/components/schemas/OutputHeaders' },
          { properties: { [OUTPUT_HEADERS.type]: { type: 'string', enum: types } } },
        ],
      },
      payload: {
        schemaFormat: AVRO_SCHEMA_FORMAT,
        schema: { $ref: `../${schemaFile(domain)}` },
      },
    },
  ];
}

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`infra/topics.json: ${value} is not an integer`);
  return n;
};

/** A topic's configs for the Kafka channel binding: numbers as numbers, cleanup.policy a list. */
function topicConfiguration(configs: Readonly<Record<string, string>>): JsonObject {
  const out: JsonObject = {};
  for (const name of Object.keys(configs).sort()) {
    const value = configs[name]!;
    out[name] = name === 'cleanup.policy' ? value.split(',').map((p) => p.trim()) : integer(value);
  }
  return out;
}

const channelId = (spec: TopicSpec): string => spec.name;

const WHO_WRITES: Record<TopicKey, string> = {
  raw: 'Written by the ingress (and by `ghl-pipeline replay` / `dlq redrive`), read by the transformer read_committed.',
  contact:
    'Written by the transformer, exactly once per event (transactions: read read_committed).',
  opportunity:
    'Written by the transformer, exactly once per event (transactions: read read_committed).',
  conversation:
    'Written by the transformer, exactly once per event (transactions: read read_committed).',
  appointment:
    'Written by the transformer, exactly once per event (transactions: read read_committed).',
  workflow:
    'Written by the transformer, exactly once per event (transactions: read read_committed).',
  dlq: 'Written by the transformer in the same transactions as the outputs; read and redriven by `ghl-pipeline dlq`.',
  dedup:
    "The transformer's own state; downstream consumers have no use for it. Partitioned like ghl.raw.",
  tenants:
    'Written by `ghl-pipeline tenants set|delete`, followed by the transformer (with TENANT_MAP_FILE as the fallback).',
};

const OPERATIONS: Record<TopicKey, { id: string; action: 'send' | 'receive'; summary: string }[]> =
  {
    raw: [
      {
        id: 'storeWebhook',
        action: 'send',
        summary:
          'The ingress writes each signed webhook (acks=all, idempotent) and answers 200 only after the ack.',
      },
      {
        id: 'transformWebhook',
        action: 'receive',
        summary:
          'The transformer consumes ghl.raw read_committed, one transactional producer per partition.',
      },
    ],
    contact: [],
    opportunity: [],
    conversation: [],
    appointment: [],
    workflow: [],
    dlq: [
      {
        id: 'deadLetter',
        action: 'send',
        summary: 'The transformer dead-letters a record that failed permanently.',
      },
    ],
    dedup: [
      {
        id: 'recordDedupKey',
        action: 'send',
        summary:
          'The transformer records each dedup key in the transaction that emits its event, tombstones expired keys and writes a marker when it takes a partition over.',
      },
      {
        id: 'restoreDedupState',
        action: 'receive',
        summary:
          'The transformer replays the changelog up to its marker when it takes a partition.',
      },
    ],
    tenants: [
      {
        id: 'followTenants',
        action: 'receive',
        summary: 'The transformer follows the locationId → tenantId map.',
      },
    ],
  };

/** The AsyncAPI document as a plain object, in a fixed key order. */
export function asyncApiDocument(): JsonObject {
  const root = projectRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  // No prefix and no sizing overrides: the document states infra/topics.json, whatever the
  // environment of the run says.
  const specs = topicSpecs('', {});
  const channels: JsonObject = {};
  const messages: JsonObject = {};
  const operations: JsonObject = {};
  const groupId = defaultOf(transformerConfigSchema.TRANSFORMER_GROUP_ID, 'TRANSFORMER_GROUP_ID');

  for (const spec of specs) {
    const id = channelId(spec);
    const [messageId, message] = isDomain(spec.key)
      ? avroMessage(root, spec.key, spec.name)
      : plainMessage(spec.key);
    const keyText = isDomain(spec.key) ? domainKeyDescription(spec.key) : KEYS[spec.key];
    const avro = isDomain(spec.key);
    messages[messageId] = {
      ...message,
      bindings: {
        kafka: {
          key: stringKey(keyText),
          ...(avro
            ? {
                schemaIdLocation: 'payload',
                schemaIdPayloadEncoding: 'confluent',
                schemaLookupStrategy: 'TopicNameStrategy',
              }
            : {}),
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
    channels[id] = {
      address: spec.name,
      title: spec.name,
      description: `${spec.description} ${WHO_WRITES[spec.key]}`,
      messages: { [messageId]: { $ref: `#/components/messages/${messageId}` } },
      bindings: {
        kafka: {
          partitions: spec.partitions,
          replicas: spec.replicationFactor,
          topicConfiguration: topicConfiguration(spec.configs),
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
    const ops = isDomain(spec.key)
      ? [
          {
            id: `emit${messageId}`,
            action: 'send' as const,
            summary: `The transformer writes each ${spec.key} event in the transaction that consumes its ghl.raw record.`,
          },
        ]
      : OPERATIONS[spec.key];
    for (const op of ops) {
      operations[op.id] = {
        action: op.action,
        channel: { $ref: `#/channels/${id}` },
        summary: op.summary,
        messages: [{ $ref: `#/channels/${id}/messages/${messageId}` }],
        ...(op.id === 'transformWebhook'
          ? {
              bindings: {
                kafka: {
                  groupId: {
                    type: 'string',
                    default: groupId,
                    description:
                      'TRANSFORMER_GROUP_ID; the transactional ids are `<group>-ghl.raw-<partition>`.',
                  },
                  bindingVersion: KAFKA_BINDING_VERSION,
                },
              },
            }
          : {}),
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'GHL → Kafka → NeuronX pipeline',
      version: pkg.version,
      description: [
        'GoHighLevel webhooks made durable in Kafka (`ghl.raw`) and turned, exactly once, into Avro NeuronX events for downstream teams (`neuronx.*`). Generated by `npm run docs:asyncapi` from infra/topics.json, schemas/*.avsc and the header names in services/common; do not edit by hand.',
        '',
        'Topic names get `TOPIC_PREFIX` prepended when it is set, subjects too. Partitions, replicas and `min.insync.replicas` are the defaults of infra/topics.json; a deployment may size them with `TOPIC_PARTITIONS`, `TOPIC_REPLICATION_FACTOR`, `TOPIC_MIN_INSYNC_REPLICAS` and `TOPIC_MAX_MESSAGE_BYTES`.',
        '',
        'Schema evolution rules: docs/schema-evolution.md. Field-by-field mapping: schemas/README.md.',
      ].join('\n'),
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    servers: {
      kafka: {
        host: '{bootstrapServers}',
        protocol: 'kafka',
        description:
          'The Kafka cluster of the deployment (`KAFKA_BROKERS`), with the schema registry of the Avro values (`SCHEMA_REGISTRY_URL`, Confluent-compatible API; Apicurio Registry in the local stack).',
        variables: {
          bootstrapServers: {
            default: defaultOf(kafkaConfigSchema.KAFKA_BROKERS, 'KAFKA_BROKERS'),
            description: 'Comma-separated bootstrap brokers (`KAFKA_BROKERS`).',
          },
        },
        bindings: {
          kafka: {
            schemaRegistryUrl: defaultOf(
              kafkaConfigSchema.SCHEMA_REGISTRY_URL,
              'SCHEMA_REGISTRY_URL',
            ),
            schemaRegistryVendor: 'confluent',
            bindingVersion: KAFKA_BINDING_VERSION,
          },
        },
      },
    },
    channels,
    operations,
    components: { messages, schemas: headerSchemas() },
  };
}

/** The document as YAML text, exactly as committed. */
export function renderAsyncApi(): string {
  // lineWidth 0: no folding, so the output is already what Prettier would write; no aliases, so
  // a reader sees every binding in full.
  return stringify(asyncApiDocument(), {
    lineWidth: 0,
    singleQuote: true,
    aliasDuplicateObjects: false,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(join(projectRoot(), ASYNCAPI_FILE), renderAsyncApi());
  console.log(`wrote ${ASYNCAPI_FILE}`);
}
