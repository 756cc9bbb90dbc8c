// The baseline of `npm run bench:transformer`: a plain, non-transactional kafkajs consume ->
// produce copy of ghl.raw (acks=all, offsets committed after every batch), run as a child process
// in the same arrangement as the transformer. Env: KAFKA_BROKERS, INPUT, OUTPUT, GROUP, CONCURRENCY.
import { createKafka, parseBrokers } from '../../services/common/src/kafka/kafka-client.js';
import { chunkTopicMessages } from '../../services/transformer/src/eos/send-chunks.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const kafka = createKafka({
  brokers: parseBrokers(env('KAFKA_BROKERS')),
  clientId: 'bench-passthrough',
});
const producer = kafka.producer();
const consumer = kafka.consumer({
  groupId: env('GROUP'),
  maxBytesPerPartition: 2 * 1024 * 1024,
  maxWaitTimeInMs: 100,
});
const output = env('OUTPUT');

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: env('INPUT'), fromBeginning: true });
await consumer.run({
  autoCommitThreshold: 1,
  partitionsConsumedConcurrently: Number(process.env.CONCURRENCY ?? 6),
  eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
    const messages = batch.messages.map((m) => ({
      key: m.key,
      value: m.value,
      headers: m.headers,
    }));
    for (const call of chunkTopicMessages([{ topic: output, messages }], 768 * 1024)) {
      await producer.sendBatch({ topicMessages: call, acks: -1 });
    }
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
    await heartbeat();
  },
});

const stop = async () => {
  await consumer.disconnect();
  await producer.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
