// One trace per webhook, end to end on the real broker and registry: a real ingress and a real
// transformer in this process, each with tracing on and an in-memory exporter. For a webhook
// with a traceparent and one without, the chain must be
//   caller span (or none) -> ingress SERVER span -> ingress PRODUCER span (= ghl.raw traceparent)
//   -> transformer CONSUMER span (= the output record's traceparent), all in one trace.
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_HEADERS, RAW_HEADERS } from '../../../services/common/src/record-headers.js';
import { startTracing, type Tracing } from '../../../services/common/src/tracing.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import {
  freshTopics,
  readCommitted,
  sleep,
  stackEnv,
  testKafka,
  type FreshTopics,
} from '../../helpers/integration.js';
import { readPipelineOutputs, startTransformer } from '../../helpers/transformer-harness.js';
import {
  postWebhook,
  seedContactCreated,
  startIngress,
  type RunningIngress,
} from '../ingress/ingress-harness.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

function parseTraceparent(value: string | undefined): { traceId: string; spanId: string } {
  const match = TRACEPARENT.exec(value ?? '');
  expect(match, `traceparent ${value}`).not.toBeNull();
  return { traceId: match![1]!, spanId: match![2]! };
}

/** The exporter's span with this id, flushing until it is there (spans end after the commit). */
async function spanWithId(
  tracing: Tracing,
  exporter: InMemorySpanExporter,
  spanId: string,
): Promise<ReadableSpan> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await tracing.forceFlush();
    const span = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === spanId);
    if (span) return span;
    if (Date.now() > deadline) throw new Error(`no finished span ${spanId}`);
    await sleep(100);
  }
}

describe('tracing: ingress -> ghl.raw -> transformer -> output in one trace', () => {
  const kafka = testKafka('trace-test');
  const ingressSpans = new InMemorySpanExporter();
  const transformerSpans = new InMemorySpanExporter();
  let ingressTracing: Tracing;
  let transformerTracing: Tracing;
  let fresh: FreshTopics;
  let ingress: RunningIngress;
  let transformer: Transformer;

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 3, label: 'trace' });
    ingressTracing = await startTracing('ghl-ingress', { exporter: ingressSpans });
    transformerTracing = await startTracing('neuronx-transformer', { exporter: transformerSpans });
    ingress = await startIngress(
      { KAFKA_BROKERS: stackEnv().brokers, TOPIC_PREFIX: fresh.prefix },
      { tracing: ingressTracing },
    );
    transformer = await startTransformer(fresh, {}, { tracing: transformerTracing });
  });
  afterAll(async () => {
    await ingress?.close();
    await transformer?.close();
    await ingressTracing?.shutdown();
    await transformerTracing?.shutdown();
    await fresh?.cleanup();
  });

  it('continues the caller trace, or starts one, and the output traceparent names the transformer span', async () => {
    const withCaller = seedContactCreated(1);
    const withoutCaller = seedContactCreated(2);
    const posted = [
      await postWebhook(ingress.url, withCaller, {
        'x-webhook-signature': signHmac(withCaller, 's1'),
        traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
      }),
      await postWebhook(ingress.url, withoutCaller, {
        'x-webhook-signature': signHmac(withoutCaller, 's1'),
      }),
    ];
    expect(posted.map((p) => p.status)).toEqual([200, 200]);
    const eventIds = posted.map((p) => p.body.eventId as string);

    const raw = await readCommitted(kafka, [fresh.names.raw], { expected: 2 });
    const { outputs, dlq } = await readPipelineOutputs(kafka, fresh.names, { expected: 2 });
    expect(dlq).toEqual([]);

    for (const [i, eventId] of eventIds.entries()) {
      const rawRecord = raw.find((r) => r.headers[RAW_HEADERS.eventId] === eventId);
      const output = outputs.find((o) => o.headers[OUTPUT_HEADERS.id] === eventId);
      expect(rawRecord, `ghl.raw record of ${eventId}`).toBeDefined();
      expect(output, `output of ${eventId}`).toBeDefined();
      const rawTrace = parseTraceparent(rawRecord!.headers[RAW_HEADERS.traceparent]);
      const outputTrace = parseTraceparent(output!.headers[OUTPUT_HEADERS.traceparent]);

      // The ghl.raw traceparent names the ingress's producer span, child of its server span.
      const produce = await spanWithId(ingressTracing, ingressSpans, rawTrace.spanId);
      expect(produce.kind).toBe(SpanKind.PRODUCER);
      expect(produce.name).toBe(`send ${fresh.names.raw}`);
      expect(produce.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': fresh.names.raw,
        'messaging.operation.type': 'send',
        'messaging.kafka.message.key': eventId,
      });
      const server = await spanWithId(
        ingressTracing,
        ingressSpans,
        produce.parentSpanContext!.spanId,
      );
      expect(server.kind).toBe(SpanKind.SERVER);
      expect(server.name).toBe(`POST ${ingress.config.WEBHOOK_PATH}`);
      expect(server.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': ingress.config.WEBHOOK_PATH,
        'http.response.status_code': 200,
      });
      expect(server.resource.attributes['service.name']).toBe('ghl-ingress');
      if (i === 0) {
        // Continues the caller's trace, as a child of the caller's span.
        expect(server.spanContext().traceId).toBe(CALLER_TRACE);
        expect(server.parentSpanContext?.spanId).toBe(CALLER_SPAN);
        expect(server.parentSpanContext?.isRemote).toBe(true);
      } else {
        // No traceparent came in: the ingress started the trace.
        expect(server.parentSpanContext).toBeUndefined();
      }

      // The output traceparent names the transformer's span, child of the producer span.
      const process = await spanWithId(transformerTracing, transformerSpans, outputTrace.spanId);
      expect(process.kind).toBe(SpanKind.CONSUMER);
      expect(process.name).toBe(`process ${fresh.names.raw}`);
      expect(process.parentSpanContext?.spanId).toBe(produce.spanContext().spanId);
      expect(process.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': fresh.names.raw,
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': fresh.group,
        'messaging.message.id': eventId,
        'messaging.kafka.offset': Number(rawRecord!.offset),
      });
      expect(process.resource.attributes['service.name']).toBe('neuronx-transformer');

      // One trace from the caller (or the ingress) to the output.
      const traceId = server.spanContext().traceId;
      expect([rawTrace.traceId, outputTrace.traceId, process.spanContext().traceId]).toEqual([
        traceId,
        traceId,
        traceId,
      ]);
    }
    const traceIds = eventIds.map((id) =>
      parseTraceparent(
        outputs.find((o) => o.headers[OUTPUT_HEADERS.id] === id)!.headers.traceparent,
      ),
    );
    expect(traceIds[0]!.traceId).not.toBe(traceIds[1]!.traceId);
  });
});
