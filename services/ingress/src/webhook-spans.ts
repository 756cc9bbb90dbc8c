// The OpenTelemetry spans of a webhook request: the HTTP server span and the producer span for
// the wait for the Kafka ack. buildIngress (app.ts) starts them only when tracing is enabled; the
// server span lives on `request.traceSpan`, a request decoration this module declares and alone
// writes (app.ts registers it with `decorateRequest('traceSpan', null)` and reads it).
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MESSAGING, MESSAGING_SYSTEM_KAFKA, type Tracing } from '../../common/src/tracing.js';
import { traceparentOf } from './validation.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The webhook's HTTP server span; null when tracing is off or for other routes. */
    traceSpan: Span | null;
  }
}

/** The span helpers of one ingress app, for its webhook path and its ghl.raw topic. */
export interface WebhookSpans {
  /**
   * Starts the server span `POST <webhookPath>` on `request.traceSpan`, under the caller's
   * traceparent when valid.
   */
  startServerSpan(request: FastifyRequest): void;
  /** Starts the producer span `send <topic>` under `parent`; `bytes` is the body's size. */
  startProduceSpan(parent: Span, eventId: string, bytes: number): Span;
  /** Ends and clears `request.traceSpan` (nothing when it is null) with the reply's status. */
  endServerSpan(request: FastifyRequest, reply: FastifyReply): void;
}

/** The spans of the app serving `webhookPath` and writing to `topic`, started on `tracing`. */
export function createWebhookSpans(
  tracing: Tracing,
  webhookPath: string,
  topic: string,
): WebhookSpans {
  // Tracing (README, Configuration: Tracing): an HTTP server span per webhook, continuing the caller's
  // traceparent or starting a trace, and a producer span for the wait for the Kafka ack, whose
  // context is the traceparent stored with the record. Span names and attributes follow the
  // semantic conventions: https://opentelemetry.io/docs/specs/semconv/http/http-spans/ and
  // .../messaging/kafka/.
  const serverSpanName = `POST ${webhookPath}`;
  const startServerSpan = (request: FastifyRequest): void => {
    const { headers } = request;
    const tracestate = headers.tracestate;
    const parent = tracing.parentFrom(
      traceparentOf(headers.traceparent),
      typeof tracestate === 'string' ? tracestate : undefined,
    );
    const queryAt = request.url.indexOf('?');
    request.traceSpan = tracing.tracer.startSpan(
      serverSpanName,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: 'POST',
          [ATTR_HTTP_ROUTE]: webhookPath,
          [ATTR_URL_PATH]: queryAt < 0 ? request.url : request.url.slice(0, queryAt),
          [ATTR_URL_SCHEME]: request.protocol,
          [ATTR_NETWORK_PROTOCOL_VERSION]: request.raw.httpVersion,
          [ATTR_CLIENT_ADDRESS]: request.ip,
          ...(headers['user-agent'] ? { [ATTR_USER_AGENT_ORIGINAL]: headers['user-agent'] } : {}),
        },
      },
      parent,
    );
  };
  const startProduceSpan = (parent: Span, eventId: string, bytes: number): Span =>
    tracing.tracer.startSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [MESSAGING.system]: MESSAGING_SYSTEM_KAFKA,
          [MESSAGING.destinationName]: topic,
          [MESSAGING.operationType]: 'send',
          [MESSAGING.operationName]: 'send',
          [MESSAGING.operation]: 'publish',
          [MESSAGING.kafkaKey]: eventId,
          [MESSAGING.messageId]: eventId,
          [MESSAGING.bodySize]: bytes,
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
  // 5xx only: for a server span a 4xx is the client's doing, not a failure (semantic conventions).
  const endServerSpan = (request: FastifyRequest, reply: FastifyReply) => {
    const span = request.traceSpan;
    if (span === null) return;
    request.traceSpan = null;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  return { startServerSpan, startProduceSpan, endServerSpan };
}
