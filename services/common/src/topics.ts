import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as declared from './generated/topics.js';
import { projectRoot } from './project-root.js';

// infra/topics.json is the single source of the topics, their roles, which of them are NeuronX
// domains and how each domain topic is keyed; generated/topics.ts carries its roles into the type
// system (`npm run schemas:types`; a unit test fails when the two drift).

/** The pipeline's topics, by role, in the order of infra/topics.json. */
export const TOPIC_KEYS = declared.TOPIC_KEYS;
export type TopicKey = (typeof TOPIC_KEYS)[number];
export type TopicNames = Readonly<Record<TopicKey, string>>;

/** The Avro output topics, one per NeuronX domain (the entries with `domain`). */
export const DOMAIN_KEYS = declared.DOMAIN_KEYS;
export type Domain = (typeof DOMAIN_KEYS)[number];

/**
 * Payload fields that make each domain topic's Kafka key, joined by ':' (`domain.keyFields` in
 * infra/topics.json). Every one is a required (non-null) string field of its payload records.
 */
export const DOMAIN_KEY_FIELDS: Readonly<Record<Domain, readonly string[]>> =
  declared.DOMAIN_KEY_FIELDS;

/** The Kafka key of a built payload: the entity id (workflow: `workflowId:contactId`). */
export function keyOf(domain: Domain, payload: Readonly<Record<string, unknown>>): string {
  const fields = DOMAIN_KEY_FIELDS[domain];
  if (fields.length === 1) return String(payload[fields[0]!]);
  return fields.map((f) => String(payload[f])).join(':');
}

/** One entry of infra/topics.json. */
export interface TopicFileEntry {
  key: TopicKey;
  name: string;
  description: string;
  /** Present on the NeuronX domain topics (Avro values of schemas/<key>.avsc). */
  domain?: { keyFields: string[] };
  configs: Record<string, string>;
}
/** infra/topics.json. */
export interface TopicFile {
  defaults: {
    partitions: number;
    replicationFactor: number;
    minInsyncReplicas: number;
    maxMessageBytes: number;
  };
  topics: TopicFileEntry[];
}

export interface TopicSpec {
  readonly key: TopicKey;
  readonly name: string;
  readonly description: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface TopicSizing {
  /** Partitions of every topic (ghl.raw and the dedup changelog must match). */
  partitions?: number;
  replicationFactor?: number;
  minInsyncReplicas?: number;
  /** max.message.bytes of every topic, so every topic takes what ghl.raw takes. */
  maxMessageBytes?: number;
}

let file: TopicFile | undefined;
/** infra/topics.json as declared (read once). */
export function topicFile(): TopicFile {
  file ??= JSON.parse(
    readFileSync(join(projectRoot(), 'infra', 'topics.json'), 'utf8'),
  ) as TopicFile;
  return file;
}

/** Topic names for a deployment; `prefix` isolates tests (and side-by-side environments). */
export function topicNames(prefix = ''): TopicNames {
  const names = {} as Record<TopicKey, string>;
  for (const t of topicFile().topics) names[t.key] = `${prefix}${t.name}`;
  for (const key of TOPIC_KEYS)
    if (!names[key]) throw new Error(`infra/topics.json has no topic for "${key}"`);
  return Object.freeze(names);
}

/** The domain (output) topics' names, in DOMAIN_KEYS order: what the transformer's outputs go to. */
export function domainTopicNames(names: TopicNames): string[] {
  return DOMAIN_KEYS.map((d) => names[d]);
}

/** Full topic specs with sizing applied; one partition count for all keeps raw == changelog. */
export function topicSpecs(prefix = '', sizing: TopicSizing = {}): TopicSpec[] {
  const { defaults, topics } = topicFile();
  const partitions = sizing.partitions ?? defaults.partitions;
  const replicationFactor = sizing.replicationFactor ?? defaults.replicationFactor;
  const minIsr =
    sizing.minInsyncReplicas ?? Math.min(defaults.minInsyncReplicas, replicationFactor);
  const maxMessageBytes = sizing.maxMessageBytes ?? defaults.maxMessageBytes;
  if (minIsr > replicationFactor) {
    throw new Error(
      `min.insync.replicas (${minIsr}) cannot exceed the replication factor (${replicationFactor})`,
    );
  }
  return topics.map((t) => ({
    key: t.key,
    name: `${prefix}${t.name}`,
    description: t.description,
    partitions,
    replicationFactor,
    configs: {
      ...t.configs,
      'max.message.bytes': String(maxMessageBytes),
      'min.insync.replicas': String(minIsr),
    },
  }));
}
