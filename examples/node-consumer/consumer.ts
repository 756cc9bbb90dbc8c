// Reads the five NeuronX topics and prints each event as one JSON line: a downstream consumer in
// its smallest useful form, with kafkajs reading read_committed and the values decoded through
// the schema registry by @kafkajs/confluent-schema-registry. It stops on its own after
// --idle-seconds without a new event or after --max-events events, so it can run in scripts and
// CI; a real consumer would run forever.
//
// kafkajs 2.2.4 can hand a read_committed consumer records of aborted transactions (README.md,
// "Versions and quirks"), and the pipeline does abort transactions. The fix replaces one kafkajs
// module, so it must be installed before kafkajs is loaded: kafkajs is therefore loaded with
// require() below, after the install, never with a static import (those would run first).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type * as KafkaJS from 'kafkajs';
// A downstream team copies this one self-contained file into its own code base.
import { installAbortedFilter } from '../../services/common/src/kafka/kafkajs-aborted-filter.js';

const require = createRequire(import.meta.url);
if (!installAbortedFilter(require)) {
  // Something loaded kafkajs first: it may already hold the buggy filter.
  throw new Error('kafkajs was loaded before the aborted-transaction filter could be installed');
}
const { Kafka, logLevel } = require('kafkajs') as typeof KafkaJS;

const TOPICS = [
  'neuronx.contact',
  'neuronx.opportunity',
  'neuronx.conversation',
  'neuronx.appointment',
  'neuronx.workflow',
];

const env = process.env;
const { values: args } = parseArgs({
  options: {
    brokers: { type: 'string', default: env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    // Apicurio's Confluent-compatible API: <host>/apis/ccompat/v7.
    'registry-url': {
      type: 'string',
      default: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    },
    'topic-prefix': { type: 'string', default: env.TOPIC_PREFIX ?? '' },
    'group-id': { type: 'string', default: env.GROUP_ID ?? 'neuronx-example-node' },
    // 0 means never / no limit.
    'idle-seconds': { type: 'string', default: env.IDLE_SECONDS ?? '10' },
    'max-events': { type: 'string', default: env.MAX_EVENTS ?? '0' },
  },
});
const idleMs = Number(args['idle-seconds']) * 1000;
const maxEvents = Number(args['max-events']);
if (!Number.isFinite(idleMs) || !Number.isInteger(maxEvents)) {
  console.error('--idle-seconds must be a number and --max-events an integer');
  process.exit(2);
}
const topics = TOPICS.map((t) => args['topic-prefix'] + t);

// stdout carries only the events: kafkajs' own log goes to stderr.
const toStderr: KafkaJS.logCreator =
  () =>
  ({ namespace, label, log }) =>
    console.error(JSON.stringify({ level: label, namespace, ...log }));

const kafka = new Kafka({
  clientId: 'neuronx-example-node',
  brokers: args.brokers.split(','),
  logLevel: logLevel.WARN,
  logCreator: toStderr,
});
const registry = new SchemaRegistry({ host: args['registry-url'] });
const consumer = kafka.consumer({
  groupId: args['group-id'],
  // The pipeline writes in transactions and aborts on any failure: read_uncommitted would hand
  // out events that were rolled back (and later written again).
  readUncommitted: false,
  maxWaitTimeInMs: 500,
});

let count = 0;
let stopReason: string | undefined;
let failure: unknown;
let lastActivity = Date.now();
const stop = (reason: string) => {
  stopReason ??= reason;
};
process.once('SIGTERM', () => stop('signal'));
process.once('SIGINT', () => stop('signal'));

// Joining the group takes a moment; the idle clock starts once partitions are ours.
consumer.on(consumer.events.GROUP_JOIN, () => {
  lastActivity = Date.now();
});
consumer.on(consumer.events.CRASH, ({ payload }) => {
  if (!payload.restart) {
    failure = payload.error;
    stop('consumer crashed');
  }
});

const header = (headers: KafkaJS.IHeaders | undefined, name: string): string | null => {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? null : first.toString();
};

await consumer.connect();
await consumer.subscribe({ topics, fromBeginning: true });
await consumer.run({
  // Offsets are resolved only for printed events and committed after each batch and at
  // disconnect: a crash repeats events rather than losing them (dedupe on eventId).
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
    for (const message of batch.messages) {
      if (stopReason !== undefined) return;
      let value: unknown;
      try {
        // avsc decodes the payload union in wrapped form: { "com.neuronx.events.<Record>": {…} }.
        value = message.value === null ? null : await registry.decode(message.value);
      } catch (error) {
        failure = error;
        stop(`cannot decode ${batch.topic}/${batch.partition}/${message.offset}`);
        return;
      }
      const line = {
        topic: batch.topic,
        partition: batch.partition,
        offset: Number(message.offset),
        key: message.key?.toString('utf8') ?? null,
        ce_id: header(message.headers, 'ce_id'),
        value,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      resolveOffset(message.offset);
      count++;
      lastActivity = Date.now();
      if (maxEvents > 0 && count >= maxEvents) stop(`${maxEvents} events`);
      await heartbeat();
    }
  },
});

while (stopReason === undefined) {
  if (idleMs > 0 && Date.now() - lastActivity >= idleMs) stop(`idle for ${idleMs / 1000} s`);
  else await new Promise((resolve) => setTimeout(resolve, 200));
}
await consumer.disconnect(); // commits the resolved offsets and leaves the group
console.error(`stopped after ${count} events (${stopReason})`);
if (failure !== undefined) {
  console.error(failure);
  process.exitCode = 1;
}
