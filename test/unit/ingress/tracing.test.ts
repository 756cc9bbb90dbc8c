// The ingress's spans through app.inject() with an in-memory exporter: an HTTP server span per
// webhook (continuing the caller's traceparent or starting a trace), a producer span for the wait
// for the Kafka ack whose context is the ghl.raw traceparent, and what failures look like.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { IngressError } from '../../../services/common/src/errors.js';
import { createLogger } from '../../../services/common/src/logger.js';
import { startTracing, type Tracing } from '../../../services/common/src/tracing.js';
import { buildIngress, type IngressApp } from '../../../services/ingress/src/app.js';
import { loadIngressConfig } from '../../../services/ingress/src/config.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import type { RawRecord, RecordSink } from '../../../services/ingress/src/producer-types.js';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const body = Buffer.from(
  '{"event":"contact.created","locationId":"loc_1","data":{"id":"c_1"},"metadata":{"webhookId":"wh_1"}}',
);

class Sink implements RecordSink {
  readonly records: RawRecord[] = [];
  constructor(private readonly fault?: () => Error) {}
  async produce(record: RawRecord): Promise<void> {
    if (this.fault) throw this.fault();
    this.records.push(record);
  }
  isReady = () => true;
  pending = () => 0;
  beginShutdown() {}
  async close() {}
}

const opened: { app: IngressApp; tracing: Tracing }[] = [];
afterEach(async () => {
  for (const { app, tracing } of opened.splice(0)) {
    await app.close();
    await tracing.shutdown();
  }
});

async function setup(sink = new Sink()) {
  const exporter = new InMemorySpanExporter();
  const tracing = await startTracing('ghl-ingress', { exporter });
  const config = loadIngressConfig({ WEBHOOK_HMAC_SECRETS: 's1', TOPIC_PREFIX: 'p.' });
  const app = buildIngress(config, {
    producer: sink,
    logger: createLogger('ingress', 'silent'),
    tracing,
  });
  opened.push({ app, tracing });
  const spans = async (): Promise<ReadableSpan[]> => {
    await tracing.forceFlush();
    return exporter.getFinishedSpans();
  };
  return { app, sink, spans };
}

const post = (app: IngressApp, headers: Record<string, string>) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/ghl?x=1',
    payload: body,
    headers: { 'content-type': 'application/json', 'user-agent': 'ghl/1', ...headers },
  });

describe('ingress tracing', () => {
  it('continues the caller trace: SERVER span, PRODUCER child, ghl.raw traceparent = the producer span', async () => {
    const { app, sink, spans } = await setup();
    const res = await post(app, {
      'x-webhook-signature': signHmac(body, 's1'),
      traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
    });
    expect(res.statusCode).toBe(200);
    const { eventId } = res.json<{ eventId: string }>();
    const done = await spans();
    const server = done.find((s) => s.kind === SpanKind.SERVER)!;
    const produce = done.find((s) => s.kind === SpanKind.PRODUCER)!;
    expect(done).toHaveLength(2);
    expect(server.name).toBe('POST /webhooks/ghl');
    expect(server.spanContext().traceId).toBe(CALLER_TRACE);
    expect(server.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(server.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/webhooks/ghl',
      'url.path': '/webhooks/ghl',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'client.address': '127.0.0.1',
      'user_agent.original': 'ghl/1',
      'http.response.status_code': 200,
    });
    expect(produce.name).toBe('send p.ghl.raw');
    expect(produce.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(produce.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'p.ghl.raw',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.operation': 'publish',
      'messaging.kafka.message.key': eventId,
      'messaging.message.id': eventId,
      'messaging.message.body.size': body.length,
    });
    expect(sink.records[0]!.headers.traceparent).toBe(
      `00-${CALLER_TRACE}-${produce.spanContext().spanId}-01`,
    );
  });

  it('starts a trace when the caller sent no (or a malformed) traceparent: every record gets one', async () => {
    const { app, sink, spans } = await setup();
    const extras: Record<string, string>[] = [{}, { traceparent: 'garbage' }];
    for (const extra of extras) {
      const res = await post(app, { 'x-webhook-signature': signHmac(body, 's1'), ...extra });
      expect(res.statusCode).toBe(200);
    }
    const done = await spans();
    const servers = done.filter((s) => s.kind === SpanKind.SERVER);
    expect(servers.map((s) => s.parentSpanContext)).toEqual([undefined, undefined]);
    for (const [i, record] of sink.records.entries()) {
      const produce = done.find(
        (s) =>
          s.kind === SpanKind.PRODUCER &&
          s.parentSpanContext?.spanId === servers[i]!.spanContext().spanId,
      )!;
      expect(record.headers.traceparent).toBe(
        `00-${servers[i]!.spanContext().traceId}-${produce.spanContext().spanId}-01`,
      );
    }
  });

  it('a refused request has its server span only, with the status; a failed produce is recorded', async () => {
    const { app, spans } = await setup();
    expect((await post(app, { 'x-webhook-signature': 'sha256=00' })).statusCode).toBe(401);
    const [refused] = await spans();
    expect(refused?.kind).toBe(SpanKind.SERVER);
    expect(refused?.attributes['http.response.status_code']).toBe(401);
    expect(refused?.status.code).toBe(SpanStatusCode.UNSET);

    const failing = await setup(new Sink(() => new IngressError('ING_ERR_KAFKA_UNAVAILABLE')));
    const res = await post(failing.app, { 'x-webhook-signature': signHmac(body, 's1') });
    expect(res.statusCode).toBe(429);
    const done = await failing.spans();
    const produce = done.find((s) => s.kind === SpanKind.PRODUCER);
    expect(produce?.status.code).toBe(SpanStatusCode.ERROR);
    expect(produce?.events.map((e) => e.name)).toEqual(['exception']);
    expect(done.find((s) => s.kind === SpanKind.SERVER)?.attributes).toMatchObject({
      'http.response.status_code': 429,
    });
  });
});
