// The transformer end to end on the real broker and registry: every seed event and GHL alias
// comes out on its topic with its key and values, poison goes to the DLQ with its reason and
// original bytes, and records behind poison in the same partition are still processed.
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DLQ_HEADERS,
  OUTPUT_HEADERS,
  RAW_HEADERS,
} from '../../../services/common/src/record-headers.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { EVENTS_NAMESPACE } from '../../../services/transformer/src/avro/schema-catalog.js';
import { MAPPED_FIXTURES, POISON_FIXTURES } from '../../fixtures/index.js';
import { freshTopics, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { produceAll, rawMessage } from '../../helpers/raw-events.js';
import {
  readPipelineOutputs,
  startTransformer,
  type DecodedOutput,
} from '../../helpers/transformer-harness.js';

describe('transformer: ghl.raw -> NeuronX topics and DLQ', () => {
  const kafka = testKafka('pipeline-test');
  let fresh: FreshTopics;
  let transformer: Transformer;
  let producer: Producer;
  const idOf = new Map<string, string>();

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 3, label: 'pipe' });
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    transformer = await startTransformer(fresh);
  });
  afterAll(async () => {
    await transformer?.close();
    await producer?.disconnect();
    await fresh?.cleanup();
  });

  it('maps all 21 seed events and every GHL alias to the right topic, key, type and fields; poison to the DLQ', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const good = MAPPED_FIXTURES.map((f) => {
      const eventId = `${f.format}-${f.name}-${randomUUID()}`;
      idOf.set(eventId, f.name);
      return rawMessage(f.bytes, {
        eventId,
        eventType: f.name,
        headers: { [RAW_HEADERS.traceparent]: traceparent },
      });
    });
    // Poison first and a good record right behind it in the same partition: it must not block.
    const poison = POISON_FIXTURES.map((p) => ({
      ...rawMessage(p.bytes ?? Buffer.alloc(0), { eventId: `poison-${p.name}-${randomUUID()}` }),
      value: p.bytes,
      partition: 0,
    }));
    const behindPoison = {
      ...rawMessage(MAPPED_FIXTURES[0]!.bytes, { eventId: `behind-${randomUUID()}` }),
      partition: 0,
    };
    idOf.set(behindPoison.key, MAPPED_FIXTURES[0]!.name);
    await produceAll(producer, fresh.names.raw, [...poison, behindPoison, ...good]);

    const expectedOutputs = good.length + 1;
    const { outputs, dlq } = await readPipelineOutputs(kafka, fresh.names, {
      expected: expectedOutputs + poison.length,
      timeoutMs: 60_000,
    });
    expect(outputs).toHaveLength(expectedOutputs);
    expect(dlq).toHaveLength(poison.length);

    const byEventId = new Map<string, DecodedOutput>(
      outputs.map((o) => [String(o.decoded.eventId), o]),
    );
    expect(byEventId.has(behindPoison.key)).toBe(true);
    for (const message of good) {
      const fixture = MAPPED_FIXTURES.find((f) => f.name === idOf.get(message.key))!;
      const out = byEventId.get(message.key);
      expect(out, `${fixture.name} produced no output`).toBeDefined();
      const e = fixture.expected;
      expect(out!.topic).toBe(fresh.names[e.domain]);
      expect(out!.key?.toString()).toBe(e.key);
      expect(out!.decoded).toMatchObject({
        eventId: message.key,
        type: e.neuronxType,
        sourceEventType: fixture.name,
        locationId: e.locationId,
        companyId: e.companyId,
        tenantId: null,
        occurredAt: e.occurredAt,
      });
      const payload = out!.decoded.payload as Record<string, Record<string, unknown>>;
      expect(Object.keys(payload)).toEqual([`${EVENTS_NAMESPACE}.${e.record}`]);
      expect(payload[`${EVENTS_NAMESPACE}.${e.record}`]).toMatchObject(e.fields);
      if (e.attributes) expect(out!.decoded.attributes).toMatchObject(e.attributes);
      expect(out!.headers).toMatchObject({
        [OUTPUT_HEADERS.specversion]: '1.0',
        [OUTPUT_HEADERS.id]: message.key,
        [OUTPUT_HEADERS.type]: e.neuronxType,
        [OUTPUT_HEADERS.source]: `/ghl/locations/${e.locationId}`,
        [OUTPUT_HEADERS.time]: new Date(e.occurredAt).toISOString(),
        [OUTPUT_HEADERS.contentType]: 'application/avro',
        [OUTPUT_HEADERS.traceparent]: traceparent,
      });
    }

    const dlqByEventId = new Map(dlq.map((r) => [r.headers[RAW_HEADERS.eventId], r]));
    for (let i = 0; i < poison.length; i++) {
      const sent = poison[i]!;
      const expected = POISON_FIXTURES[i]!.expected;
      const record = dlqByEventId.get(sent.key);
      expect(record, `no DLQ record for ${POISON_FIXTURES[i]!.name}`).toBeDefined();
      expect(record!.headers[DLQ_HEADERS.reason]).toBe(expected.reason);
      expect(record!.headers[DLQ_HEADERS.stage]).toBe(expected.stage);
      expect(record!.headers[DLQ_HEADERS.source]).toMatch(
        new RegExp(`^${fresh.names.raw.replaceAll('.', '\\.')}/0/\\d+$`),
      );
      expect(record!.headers[DLQ_HEADERS.attempts]).toBe('1');
      expect(Date.parse(record!.headers[DLQ_HEADERS.failedAt]!)).not.toBeNaN();
      expect(record!.headers[DLQ_HEADERS.error]?.length).toBeGreaterThan(0);
      expect(record!.key?.toString()).toBe(sent.key);
      // The original bytes and headers, untouched.
      expect(record!.value === null ? null : Buffer.from(record!.value)).toEqual(
        sent.value === null ? null : Buffer.from(sent.value),
      );
      expect(record!.headers[RAW_HEADERS.requestId]).toBe(
        String((sent.headers as Record<string, string>)[RAW_HEADERS.requestId]),
      );
    }

    const metrics =
      await transformer.metrics.registry.getSingleMetricAsString('transformer_dlq_total');
    expect(metrics).toContain('reason="invalid_json"');
  });
});
