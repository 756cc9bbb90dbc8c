import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';

/** The pipeline's topics, by role. infra/topics.json is the single source of names and settings. */
export const TOPIC_KEYS = [
  'raw',
  'contact',
  'opportunity',
  'conversation',
  'appointment',
  'workflow',
  'dlq',
  'dedup',
  'tenants',
] as const;
export type TopicKey = (typeof TOPIC_KEYS)[number];
export type TopicNames = Readonly<Record<TopicKey, string>>;

/** The five Avro output topics, one per NeuronX domain. */
export const DOMAIN_KEYS = [
  'contact',
  'opportunity',
  'conversation',
  'appointment',
  'workflow',
] as const;
export type Domain = (typeof DOMAIN_KEYS)[number];

interface TopicFileEntry {
  key: TopicKey;
  name: string;
  description: string;
  configs: Record<string, string>;
}
interface TopicFile {
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
function topicFile(): TopicFile {
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
