// The transformer's span per ghl.raw record: parent, attributes, the output traceparent, and how
// it ends with its transaction. The partition worker's use of it runs against the real broker in
// test/integration/tracing/trace.test.ts.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../../services/common/src/tracing.js';
import { RecordTracing } from '../../../services/transformer/src/eos/record-tracing.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const message = (headers: Record<string, string>, offset = '41'): KafkaMessage => ({
  key: Buffer.from('evt-1'),
  value: Buffer.from('{}'),
  offset,
  timestamp: '0',
  attributes: 0,
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
});

describe('RecordTracing', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;
  let records: RecordTracing;
  beforeEach(async () => {
    exporter = new InMemorySpanExporter();
    tracing = await startTracing('neuronx-transformer', { exporter });
    records = new RecordTracing(tracing, 'p.ghl.raw', 'group-1');
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  it('starts a CONSUMER span, child of the span the raw traceparent names, with Kafka attributes', async () => {
    const span = records.start(4, message({ 'event-id': 'evt-1', traceparent: TP }));
    const output = records.traceparentOf(span);
    records.end([span]);
    await tracing.forceFlush();
    const [done] = exporter.getFinishedSpans();
    expect(done?.name).toBe('process p.ghl.raw');
    expect(done?.kind).toBe(SpanKind.CONSUMER);
    expect(done?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(done?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(done?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'p.ghl.raw',
      'messaging.destination.partition.id': '4',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.operation': 'process',
      'messaging.consumer.group.name': 'group-1',
      'messaging.kafka.offset': 41,
      'messaging.message.id': 'evt-1',
    });
    expect(output).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${done?.spanContext().spanId}-01`);
    expect(done?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('starts a new trace for a record without (or with a malformed) traceparent', async () => {
    const spans = [
      records.start(0, message({})),
      records.start(0, message({ traceparent: 'not-a-traceparent' })),
    ];
    records.end(spans);
    await tracing.forceFlush();
    const done = exporter.getFinishedSpans();
    expect(done.map((s) => s.parentSpanContext)).toEqual([undefined, undefined]);
    expect(done[0]?.attributes).not.toHaveProperty('messaging.message.id');
    expect(done[0]?.spanContext().traceId).not.toBe(done[1]?.spanContext().traceId);
  });

  it('ends the spans of a failed transaction with ERROR and the exception', async () => {
    const spans = [records.start(1, message({ traceparent: TP })), records.start(1, message({}))];
    records.fail(spans, new Error('transaction aborted'));
    await tracing.forceFlush();
    for (const done of exporter.getFinishedSpans()) {
      expect(done.status).toEqual({ code: SpanStatusCode.ERROR, message: 'transaction aborted' });
      expect(done.events.map((e) => e.name)).toEqual(['exception']);
    }
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });
});
