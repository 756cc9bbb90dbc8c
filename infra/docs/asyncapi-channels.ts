// The channel and operation details of docs/asyncapi.yaml: each topic's Kafka channel binding
// configs, who writes and reads it, and the operations on the non-Avro topics.
import type { TopicKey, TopicSpec } from '../../services/common/src/topics.js';
import type { JsonObject } from './asyncapi-json.js';

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`infra/topics.json: ${value} is not an integer`);
  return n;
};

/** A topic's configs for the Kafka channel binding: numbers as numbers, cleanup.policy a list. */
export function topicConfiguration(configs: Readonly<Record<string, string>>): JsonObject {
  const out: JsonObject = {};
  for (const name of Object.keys(configs).sort()) {
    const value = configs[name]!;
    out[name] = name === 'cleanup.policy' ? value.split(',').map((p) => p.trim()) : integer(value);
  }
  return out;
}

/** The channel id of a topic: its topic name. */
export const channelId = (spec: TopicSpec): string => spec.name;

/** Who writes and who reads each topic; appended to the topic description of infra/topics.json. */
export const WHO_WRITES: Record<TopicKey, string> = {
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

/** The operations on each topic; a domain topic gets its one emit operation where it is built. */
export const OPERATIONS: Record<
  TopicKey,
  { id: string; action: 'send' | 'receive'; summary: string }[]
> = {
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
      summary: 'The transformer replays the changelog up to its marker when it takes a partition.',
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
