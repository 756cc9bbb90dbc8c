// `npm run bench:trace`: one event among BENCH_RECORDS (1,000,000) ghl.raw records spread over
// the last 24 h, each with an output on neuronx.contact, found with its output by `ghl-pipeline
// trace` (traceEvents, the code the CLI and the console run). Figures: the trace with no time hint
// (the event's whole ghl.raw partition: 1/6 of the topic), the trace given a one-hour window, and
// the baseline measured in the same run: a naive scan of every ghl.raw partition for the key
// (the same topic reader, every record decoded). For comparison, the event's partition is also
// read as the trace read it before the Fetch path: a kafkajs consumer, every record decoded.
//
// Env: BENCH_RECORDS (1000000), KAFKA_BROKERS/SCHEMA_REGISTRY_URL (else the local stack). The
// topics are deleted at the end. The last line on stdout is the JSON result.
import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { OpsContext, opsConfigSchema } from '../../services/common/src/ops/context.js';
import { traceEvents } from '../../services/common/src/ops/trace.js';
import { messageBytes } from '../../services/common/src/ops/trace-reads.js';
import { partitionOfKey } from '../../services/common/src/kafka/partitioner.js';
import type { TraceResult } from '../../services/common/src/ops/trace-types.js';
import { int, loadConfig } from '../../services/common/src/config.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { recordFacts } from '../../services/common/src/raw-record.js';
import { RAW_HEADERS, OUTPUT_HEADERS } from '../../services/common/src/record-headers.js';
import { registerDomainSchemas } from '../../services/common/src/schema-registration.js';
import { avroTypeOf, loadSchemas } from '../../services/common/src/schema-registry.js';
import { applyTopics } from '../../services/common/src/kafka/topic-apply.js';
import { readTopicRange } from '../../services/common/src/kafka/topic-reader.js';
import { topicNames, topicSpecs } from '../../services/common/src/topics.js';
import { benchStack } from './bench-stack.js';

const config = loadConfig({
  BENCH_RECORDS: int({ default: 1_000_000, min: 1000, describe: 'ghl.raw records' }),
});
const log = (...parts: unknown[]) => console.error('[bench:trace]', ...parts);
const DAY_MS = 24 * 3_600_000;
const TARGET_MS = 1000;

const stack = await benchStack(log);
const prefix = `bench-trace-${randomUUID().slice(0, 8)}.`;
const names = topicNames(prefix);
const kafka = createKafka({ brokers: stack.brokers.split(','), clientId: 'bench-trace' });
const admin = kafka.admin();
await admin.connect();
const io = { stdout: { write: () => undefined }, stderr: { write: (t: string) => log(t.trim()) } };
const ctx = new OpsContext(
  loadConfig(opsConfigSchema, {
    KAFKA_BROKERS: stack.brokers,
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    TOPIC_PREFIX: prefix,
    TRANSFORMER_GROUP_ID: `${prefix}transformer`,
  }),
  true,
  io,
);
try {
  await applyTopics(admin, topicSpecs(prefix));
  const { ids } = await registerDomainSchemas(stack.registryUrl, names, {
    deadline: Date.now() + 60_000,
  });
  const contactType = avroTypeOf('contact', loadSchemas().contact);
  const encode = (eventId: string) => {
    const value = {
      ...(contactType.random() as unknown as Record<string, unknown>),
      eventId,
      tenantId: 'tenant-bench',
    };
    const avro = contactType.toBuffer(value);
    const out = Buffer.alloc(5 + avro.length);
    out.writeInt32BE(ids.contact, 1);
    avro.copy(out, 5);
    return out;
  };
  const filler = encode('filler');

  // ghl.raw: records spread evenly over the last 24 h; each gets an output 50 ms later.
  const n = config.BENCH_RECORDS;
  const start = Date.now() - DAY_MS;
  const target = Math.floor(n / 2);
  const targetId = `evt-${target}-${randomUUID()}`;
  const idOf = (i: number) => (i === target ? targetId : `evt-${i}`);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const began = Date.now();
  const SLICE = 20_000;
  for (let i = 0; i < n; i += SLICE) {
    const raw: Message[] = [];
    const outputs: Message[] = [];
    for (let j = i; j < Math.min(n, i + SLICE); j++) {
      const ts = start + Math.floor((j / n) * DAY_MS);
      const id = idOf(j);
      const contact = `contact-${j % 50_000}`;
      const body = JSON.stringify({
        event: 'contact.updated',
        locationId: `loc_${j % 100}`,
        companyId: 'comp_bench',
        timestamp: new Date(ts).toISOString(),
        data: { id: contact, firstName: 'Bench', lastName: `N${j}`, tags: ['lead'] },
      });
      raw.push({
        key: id,
        value: body,
        timestamp: String(ts),
        headers: {
          [RAW_HEADERS.eventId]: id,
          [RAW_HEADERS.eventType]: 'contact.updated',
          [RAW_HEADERS.locationId]: `loc_${j % 100}`,
          [RAW_HEADERS.receivedAt]: new Date(ts).toISOString(),
          [RAW_HEADERS.requestId]: `req-${j}`,
          [RAW_HEADERS.signatureScheme]: 'hmac',
          [RAW_HEADERS.contentType]: 'application/json',
        },
      });
      outputs.push({
        key: contact,
        value: j === target ? encode(targetId) : filler,
        timestamp: String(ts + 50),
        headers: { [OUTPUT_HEADERS.id]: id, [OUTPUT_HEADERS.type]: 'neuronx.contact.updated' },
      });
    }
    // 2,000 records per send (about 130 KB per partition batch): kafkajs never splits a
    // partition's batch, and the broker takes at most max.message.bytes.
    const sends: Promise<unknown>[] = [];
    for (let k = 0; k < raw.length; k += 2000) {
      sends.push(producer.send({ topic: names.raw, acks: 1, messages: raw.slice(k, k + 2000) }));
      sends.push(
        producer.send({ topic: names.contact, acks: 1, messages: outputs.slice(k, k + 2000) }),
      );
    }
    await Promise.all(sends);
    if (i % 100_000 === 0) log(`written ${i + raw.length} of ${n}`);
  }
  await producer.disconnect();
  log(`wrote ${n} raw records and ${n} outputs in ${((Date.now() - began) / 1000).toFixed(1)} s`);

  const trace = async (query: Parameters<typeof traceEvents>[1]) => {
    const t0 = performance.now();
    const result: TraceResult = await traceEvents(ctx, query);
    const ms = Math.round(performance.now() - t0);
    log(
      `trace ${ms} ms: ${result.scanned.map((x) => `${x.topic.slice(prefix.length)} ${x.records} rec ${x.ms} ms`).join(', ')}`,
    );
    const steps = result.events[0]?.steps ?? [];
    const raw = steps.filter((s) => s.kind === 'delivery').length;
    const outputs = steps.filter((s) => s.kind === 'output').length;
    if (raw !== 1 || outputs !== 1)
      throw new Error(
        `trace found ${raw} raw record(s) and ${outputs} output(s), expected 1 and 1`,
      );
    return { ms, records: result.totals.records, bytes: result.totals.bytes };
  };
  const targetTs = start + Math.floor((target / n) * DAY_MS);
  // Warm-up (connections, registry cache), then the measured runs.
  await trace({ eventId: targetId, since: targetTs - 60_000, until: targetTs + 60_000 });
  const plain = [await trace({ eventId: targetId }), await trace({ eventId: targetId })];
  const hinted = await trace({
    eventId: targetId,
    since: targetTs - 30 * 60_000,
    until: targetTs + 30 * 60_000,
  });
  const best = plain.reduce((a, b) => (b.ms < a.ms ? b : a));

  // Baseline: what a reader without the partitioner does, every partition of ghl.raw.
  const b0 = performance.now();
  const offsets = await admin.fetchTopicOffsets(names.raw);
  let baselineRecords = 0;
  let baselineBytes = 0;
  let baselineFound = 0;
  await readTopicRange(kafka, {
    topic: names.raw,
    ranges: offsets.map((o) => ({
      partition: o.partition,
      start: BigInt(o.low),
      end: BigInt(o.high),
    })),
    onRecord: (_p, m) => {
      baselineRecords++;
      baselineBytes += messageBytes(m);
      if (m.key?.toString() === targetId) baselineFound++;
      return true;
    },
  });
  const baselineMs = Math.round(performance.now() - b0);
  if (baselineFound !== 1) throw new Error(`baseline found the event ${baselineFound} times`);

  // The event's partition read the previous way: a kafkajs consumer, facts of every record.
  const eventPartition = partitionOfKey(targetId, offsets.length);
  const own = offsets.find((o) => o.partition === eventPartition)!;
  const c0 = performance.now();
  let consumerRecords = 0;
  let consumerFound = 0;
  await readTopicRange(kafka, {
    topic: names.raw,
    via: 'consumer',
    ranges: [{ partition: eventPartition, start: BigInt(own.low), end: BigInt(own.high) }],
    onRecord: (_p, m) => {
      consumerRecords++;
      messageBytes(m);
      if (recordFacts(m).eventId === targetId) consumerFound++;
      return true;
    },
  });
  const consumerMs = Math.round(performance.now() - c0);
  if (consumerFound !== 1) throw new Error(`consumer read found the event ${consumerFound} times`);

  const result = {
    records: n,
    window_h: 24,
    trace_ms: best.ms,
    trace_runs_ms: plain.map((p) => p.ms),
    trace_records_read: best.records,
    trace_bytes_read: best.bytes,
    hinted_trace_ms: hinted.ms,
    hinted_records_read: hinted.records,
    hinted_bytes_read: hinted.bytes,
    baseline_ms: baselineMs,
    baseline_records_read: baselineRecords,
    baseline_bytes_read: baselineBytes,
    consumer_partition_ms: consumerMs,
    consumer_partition_records: consumerRecords,
    ratio: Number((baselineMs / best.ms).toFixed(1)),
    hinted_ratio: Number((baselineMs / hinted.ms).toFixed(1)),
    target_ms: TARGET_MS,
    met_without_hint: best.ms <= TARGET_MS,
    met_with_one_hour_window: hinted.ms <= TARGET_MS,
  };
  console.log(JSON.stringify(result));
} finally {
  await ctx.close().catch(() => undefined);
  await admin.deleteTopics({ topics: Object.values(names) }).catch(() => undefined);
  await admin.disconnect();
  await stack.release();
}
