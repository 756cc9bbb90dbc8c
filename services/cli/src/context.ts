import type { Admin, Kafka } from 'kafkajs';
import type { loadConfig } from '../../common/src/config.js';
import { createKafka, parseBrokers } from '../../common/src/kafka-client.js';
import { kafkaConfigSchema, topicSizingSchema } from '../../common/src/kafka-config.js';
import { topicNames, type TopicNames } from '../../common/src/topics.js';

export const cliConfigSchema = { ...kafkaConfigSchema, ...topicSizingSchema };
export type CliConfig = ReturnType<typeof loadConfig<typeof cliConfigSchema>>;

/** What every command gets: config, topic names, and lazily created Kafka clients it must not close. */
export class CliContext {
  readonly names: TopicNames;
  private kafkaClient: Kafka | undefined;
  private adminClient: Admin | undefined;

  constructor(
    readonly config: CliConfig,
    readonly json: boolean,
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
      await admin.connect();
      this.adminClient = admin;
    }
    return this.adminClient;
  }

  /** Prints `value` as one JSON document with --json, else the human rendering. */
  print(value: unknown, human: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
  }

  async close(): Promise<void> {
    await this.adminClient?.disconnect();
  }
}
