// Generates docs/asyncapi.yaml, the pipeline's Kafka contract in the format downstream tools read
// (AsyncAPI 3.0 with the Kafka bindings): every topic of infra/topics.json as a channel, the Avro
// values by reference to schemas/*.avsc, the header names of services/common/src/record-headers.ts.
// Everything comes from those sources, so the document cannot say something the pipeline does
// not do; test/unit/docs/asyncapi.test.ts fails when the committed file differs from a fresh run.
// Not part of the service build: `npm run docs:asyncapi` runs it with tsx.
// This file is the entry point and assembles the document; the pieces live next to it:
// asyncapi-messages.ts (messages and keys), asyncapi-channels.ts (channel bindings, operations),
// asyncapi-headers.ts (header schemas), asyncapi-json.ts (shared JSON types, binding version).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { kafkaConfigSchema } from '../../services/common/src/kafka/kafka-config.js';
import { projectRoot } from '../../services/common/src/project-root.js';
import { topicSpecs } from '../../services/common/src/topics.js';
import { transformerConfigSchema } from '../../services/transformer/src/config.js';
import { channelId, OPERATIONS, topicConfiguration, WHO_WRITES } from './asyncapi-channels.js';
import { headerSchemas } from './asyncapi-headers.js';
import { KAFKA_BINDING_VERSION, type JsonObject } from './asyncapi-json.js';
import {
  avroMessage,
  domainKeyDescription,
  isDomain,
  KEYS,
  plainMessage,
  stringKey,
} from './asyncapi-messages.js';

/** Where the document is written, relative to the project root. */
export const ASYNCAPI_FILE = 'docs/asyncapi.yaml';

/** A config variable's default, as its schema parses it when the variable is unset. */
const defaultOf = (spec: { parse(raw: undefined, name: string): unknown }, name: string) =>
  String(spec.parse(undefined, name));

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
