// The messages of docs/asyncapi.yaml: one per topic, with the Kafka key description. Domain
// topics carry the Avro record of schemas/<domain>.avsc; the others are described by hand here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTPUT_HEADERS } from '../../services/common/src/record-headers.js';
import { schemaFile, subjectOf } from '../../services/common/src/schema-registry.js';
import {
  DOMAIN_KEY_FIELDS,
  DOMAIN_KEYS,
  type Domain,
  type TopicKey,
} from '../../services/common/src/topics.js';
import { EVENT_MAPPINGS } from '../../services/transformer/src/mapping/event-mapping.js';
import type { JsonObject } from './asyncapi-json.js';

/** Avro 1.9 is what the AsyncAPI Avro schema parser understands; our schemas use nothing newer. */
const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro;version=1.9.0';

interface AvroRecord {
  name: string;
  doc?: string;
}

const readAvro = (root: string, domain: Domain): AvroRecord =>
  JSON.parse(readFileSync(join(root, schemaFile(domain)), 'utf8')) as AvroRecord;

/** Whether a topic key names a domain topic (an Avro neuronx.* topic). */
export const isDomain = (key: TopicKey): key is Domain =>
  (DOMAIN_KEYS as readonly string[]).includes(key);

/** The Kafka key of each domain topic, from the payload fields the transformer keys by. */
export const domainKeyDescription = (domain: Domain): string => {
  const fields = DOMAIN_KEY_FIELDS[domain];
  return fields.length === 1
    ? `The ${fields[0]} of the payload.`
    : `The payload's ${fields.join(', ')}, joined by ':' (\`${fields.join(':')}\`).`;
};

/** The Kafka key of each non-Avro topic. */
export const KEYS: Record<Exclude<TopicKey, Domain>, string> = {
  raw: 'The event ID (the event-id header).',
  dlq: 'The key of the ghl.raw record (the event ID); a truncated record without one is keyed by its dlq-source.',
  dedup:
    'The dedup key: the event ID, or `replay:<replay-id>:<event ID>` for a replayed record; `__marker__:<uuid>` for the restore markers the transformer writes when it takes a partition over.',
  tenants: 'The GHL locationId.',
};

/** A Kafka key schema: every topic is keyed by UTF-8 text. */
export const stringKey = (description: string): JsonObject => ({ type: 'string', description });

/** The message of a non-Avro topic (its id, then the message object). */
export function plainMessage(key: Exclude<TopicKey, Domain>): [string, JsonObject] {
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
export function avroMessage(root: string, domain: Domain, topic: string): [string, JsonObject] {
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
