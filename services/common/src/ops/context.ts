// The context the operations shared by the CLI and the console run with (config, Kafka and
// registry clients, topic names, output, interrupts), and the settings it reads.
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Admin, Kafka } from '../kafka/kafka-client.js';
import { optionalStr, str, type loadConfig } from '../config.js';
import { createKafka, parseBrokers } from '../kafka/kafka-client.js';
import { kafkaConfigSchema, topicSizingSchema } from '../kafka/kafka-config.js';
import { createRegistryClient } from '../schema-registry.js';
import { TOPIC_KEYS, topicNames, type TopicNames } from '../topics.js';
import { CommandFailed } from './errors.js';
import type { OpsIo } from './io.js';

/** The settings the operations read: the CLI's whole config, and part of the console's. */
export const opsConfigSchema = {
  ...kafkaConfigSchema,
  ...topicSizingSchema,
  TRANSFORMER_GROUP_ID: str({
    default: 'neuronx-transformer',
    describe: "the transformer's consumer group (default group of `ghl-pipeline lag`)",
  }),
  TENANT_MAP_FILE: optionalStr({
    describe: "the transformer's base tenant map; `tenants list|delete` show what it resolves to",
  }),
};
export type OpsConfig = ReturnType<typeof loadConfig<typeof opsConfigSchema>>;

/**
 * What every CLI command and console operation gets: config, topic names, output, and lazily
 * created clients it must not close.
 */
export class OpsContext {
  readonly names: TopicNames;
  private kafkaClient: Kafka | undefined;
  private adminClient: Admin | undefined;
  private registryClient: SchemaRegistry | undefined;
  private interrupt: { controller: AbortController; detach: () => void } | undefined;

  constructor(
    readonly config: OpsConfig,
    readonly json: boolean,
    readonly io: OpsIo,
  ) {
    this.names = topicNames(config.TOPIC_PREFIX);
  }

  kafka(): Kafka {
    this.kafkaClient ??= createKafka({
      brokers: parseBrokers(this.config.KAFKA_BROKERS),
      clientId: 'ghl-pipeline-cli',
      retry: { retries: 3, initialRetryTime: 200 },
    });
    return this.kafkaClient;
  }

  async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = this.kafka().admin();
      try {
        await admin.connect();
      } catch (err) {
        throw new CommandFailed(
          `cannot reach Kafka at ${this.config.KAFKA_BROKERS}: ${(err as Error).message}`,
        );
      }
      this.adminClient = admin;
    }
    return this.adminClient;
  }

  /** Confluent-compatible registry client; it caches schemas by id, so one lookup per schema. */
  registry(): SchemaRegistry {
    this.registryClient ??= createRegistryClient(this.config.SCHEMA_REGISTRY_URL);
    return this.registryClient;
  }

  /**
   * The full name of a topic given as declared (`neuronx.contact`, prefixed with TOPIC_PREFIX)
   * or in full; fails with one line when the broker does not have it.
   */
  async resolveTopic(name: string): Promise<string> {
    const base = topicNames('');
    const key = TOPIC_KEYS.find((k) => base[k] === name);
    const candidates = key ? [this.names[key], name] : [name];
    const existing = new Set(await (await this.admin()).listTopics());
    const found = candidates.find((c) => existing.has(c));
    if (found) return found;
    throw new CommandFailed(
      `unknown topic "${name}"${candidates[0] !== name ? ` (looked for ${candidates[0]} too)` : ''}; declared topics: ${TOPIC_KEYS.map((k) => this.names[k]).join(', ')}`,
    );
  }

  /** Aborted on SIGINT/SIGTERM (or by the injected signal) while the command runs. */
  interruptSignal(): AbortSignal {
    if (!this.interrupt) {
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const external = this.io.signal;
      external?.addEventListener('abort', onSignal, { once: true });
      if (external?.aborted) controller.abort();
      this.interrupt = {
        controller,
        detach: () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          external?.removeEventListener('abort', onSignal);
        },
      };
    }
    return this.interrupt.controller.signal;
  }

  /** Prints `value` as one JSON document with --json, else the human rendering. */
  print(value: unknown, human: () => string): void {
    this.io.stdout.write(this.json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
  }

  /** A line on stderr that does not end the command (never mixed into --json stdout). */
  warn(message: string): void {
    this.io.stderr.write(`warning: ${message}\n`);
  }

  async close(): Promise<void> {
    this.interrupt?.detach();
    await this.adminClient?.disconnect();
  }
}
