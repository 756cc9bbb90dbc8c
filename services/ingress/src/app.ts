import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { INGRESS_ERRORS, IngressError } from '../../common/src/errors.js';
import { createLogger, type Logger } from '../../common/src/logger.js';
import { bodyFacts, rawRecordHeaders } from '../../common/src/raw-record.js';
import { topicNames } from '../../common/src/topics.js';
import {
  endSpanWhenSettled,
  TRACING_OFF,
  traceparentOf as spanTraceparent,
  type Tracing,
} from '../../common/src/tracing.js';
import { createSignatureChecker, type IngressConfig } from './config.js';
import { IngressLogController } from './log-controller.js';
import { createIngressMetrics, type IngressMetrics } from './metrics.js';
import type { RecordSink } from './producer-types.js';
import { UNSIGNED } from './signature.js';
import {
  isIdentityEncoding,
  isJsonContentType,
  traceparentOf,
  usableRequestId,
} from './validation.js';
import { createWebhookSpans } from './webhook-spans.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Which scheme verified the body; the `scheme` label of the request metric. */
    signatureScheme: string;
  }
}

export interface IngressDeps {
  /** Where accepted webhooks go. The app owns it from here on: app.close() closes it. */
  producer: RecordSink;
  logger?: Logger;
  metrics?: IngressMetrics;
  /** Clock for the received-at header (tests pin it). */
  now?: () => number;
  /** OpenTelemetry tracing (common/src/tracing.ts); off when not given. */
  tracing?: Tracing;
}

/**
 * The ingress HTTP app (docs/architecture.md), with nothing listening yet: tests drive it with
 * `app.inject()`, main.ts listens. Checks run in the order the statuses promise: 415 content
 * type, 413 size (both before the body is read), 401 signature, then Kafka. A signed body is
 * never refused for its content: it is stored and the transformer decides what it means.
 */
export function buildIngress(config: IngressConfig, deps: IngressDeps) {
  const logger = deps.logger ?? createLogger('ingress', config.LOG_LEVEL);
  const metrics = deps.metrics ?? createIngressMetrics();
  const { producer } = deps;
  const now = deps.now ?? Date.now;
  const tracing = deps.tracing ?? TRACING_OFF;
  const checker = createSignatureChecker(config);
  const topic = topicNames(config.TOPIC_PREFIX).raw;
  const webhookPath = config.WEBHOOK_PATH;
  const retryAfter = String(config.RETRY_AFTER_SECONDS);
  let closing = false;
  let idleSweep: NodeJS.Timeout | undefined;

  const app = Fastify({
    loggerInstance: logger,
    logController: new IngressLogController({ requestIdLogLabel: 'requestId' }),
    requestIdHeader: false,
    genReqId: (req) => usableRequestId(req.headers['x-request-id']) ?? randomUUID(),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Fastify would answer 503 while closing; GHL treats 5xx as final. Requests that reach us
    // while draining get 429 ING_ERR_SHUTTING_DOWN from the producer instead.
    return503OnClosing: false,
    // A URL Fastify cannot decode ('%zz') is answered by Fastify itself, with its own FST_ERR_*
    // code, unless handed over here: it becomes ING_ERR_BAD_REQUEST through the one error handler.
    frameworkErrors: (err, request, reply) => {
      void answerError(new IngressError('ING_ERR_BAD_REQUEST', err.message), request, reply);
    },
  });
  app.decorateRequest('signatureScheme', 'none');
  app.decorateRequest('traceSpan', null);

  logger.info(
    { topic, path: webhookPath, schemes: checker.schemes, unsigned: config.INGRESS_ALLOW_UNSIGNED },
    'ingress configured',
  );
  if (config.INGRESS_ALLOW_UNSIGNED) {
    logger.warn(
      'INGRESS_ALLOW_UNSIGNED=true: webhooks WITHOUT a signature are accepted. Development only.',
    );
  }

  // Only JSON is parsed, and only into a Buffer: signatures are checked on these exact bytes
  // and the same bytes are written to Kafka. Nothing is ever re-serialised.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: config.BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  );

  const countResponse = (status: number, scheme: string) =>
    metrics.requests.inc({ status: String(status), scheme });

  const { startServerSpan, startProduceSpan, endServerSpan } = createWebhookSpans(
    tracing,
    webhookPath,
    topic,
  );

  app.post(
    webhookPath,
    {
      // Before the body is read, so a 2 MiB text/plain body is a 415, not a 413. Fastify would
      // accept any charset; JSON is UTF-8 and so is what we store. Compressed bodies are refused
      // too: the signature covers the bytes the sender signed, not a gzip of them.
      onRequest: (request, _reply, done) => {
        if (tracing.enabled) startServerSpan(request);
        const { headers } = request;
        if (!isJsonContentType(headers['content-type'])) {
          done(new IngressError('ING_ERR_UNSUPPORTED_MEDIA_TYPE'));
        } else if (!isIdentityEncoding(headers['content-encoding'])) {
          done(
            new IngressError('ING_ERR_UNSUPPORTED_MEDIA_TYPE', 'content-encoding not supported'),
          );
        } else {
          done();
        }
      },
      ...(tracing.enabled
        ? {
            onResponse: (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
              endServerSpan(request, reply);
              done();
            },
          }
        : {}),
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const receivedAt = now();
      const body = request.body as Buffer;
      const signature = checker.check(body, request.headers);
      if (!signature.ok) {
        metrics.signatureFailures.inc({ scheme: signature.scheme, reason: signature.reason });
        request.signatureScheme = signature.scheme;
        throw new IngressError(
          signature.reason === 'missing' ? 'ING_ERR_MISSING_SIGNATURE' : 'ING_ERR_BAD_SIGNATURE',
        );
      }
      request.signatureScheme = signature.scheme;
      if (signature.scheme === UNSIGNED) {
        request.log.warn('accepted an UNSIGNED webhook (INGRESS_ALLOW_UNSIGNED=true)');
      }
      // From here on the event is GHL's and must not be lost: whatever the body holds, it goes
      // to ghl.raw and gets 200. Headers the body cannot give are left out.
      const webhook = bodyFacts(body);
      const { eventId } = webhook;
      // Traced, the record carries the producer span's context (a trace for every event);
      // untraced, the caller's traceparent as it came.
      const produceSpan =
        request.traceSpan === null
          ? undefined
          : startProduceSpan(request.traceSpan, eventId, body.length);
      const headers = rawRecordHeaders(webhook, {
        receivedAt,
        requestId: request.id,
        signatureScheme: signature.scheme,
        contentType: request.headers['content-type']!,
        traceparent: produceSpan
          ? spanTraceparent(produceSpan)
          : traceparentOf(request.headers.traceparent),
      });
      if (webhook.body === undefined)
        request.log.info(
          { eventId },
          'stored a signed body that is not a JSON object; the transformer parks it in the DLQ',
        );

      const produced = producer.produce({ key: eventId, value: body, headers });
      await (produceSpan ? endSpanWhenSettled(produceSpan, produced) : produced);

      countResponse(200, signature.scheme);
      if (closing) reply.header('connection', 'close');
      request.log.debug({ eventId, eventType: webhook.eventType }, 'webhook accepted');
      // The body is two known fields: a template is cheaper than a generic serialiser.
      reply.header('content-type', 'application/json; charset=utf-8');
      return `{"status":"accepted","eventId":${JSON.stringify(eventId)}}`;
    },
  );

  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: webhookPath,
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new IngressError('ING_ERR_METHOD_NOT_ALLOWED');
    },
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async () => {
    if (!producer.isReady()) throw new IngressError('ING_ERR_NOT_READY');
    return { status: 'ready' };
  });

  app.get('/metrics', async (_request, reply) => {
    metrics.inFlight.set(producer.pending());
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.setNotFoundHandler(async () => {
    throw new IngressError('ING_ERR_NOT_FOUND');
  });

  // The one error boundary (docs/style.md): each failure becomes {error, code} with the status of
  // its code; 5xx bodies say nothing about the cause, which goes to the log only.
  const answerError = async (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = toIngressError(err);
    const status = error.statusCode;
    if (status === 429) reply.header('retry-after', retryAfter);
    if (closing) reply.header('connection', 'close');
    if (error.code === 'ING_ERR_NOT_READY') {
      // Readiness probes poll every few seconds through an outage; the outage is logged once.
      request.log.debug({ status, code: error.code }, error.message);
    } else if (status >= 500) {
      request.log.error({ err, status }, 'request failed');
    } else {
      const level = status === 429 ? 'warn' : 'info';
      request.log[level]({ status, code: error.code }, error.message);
    }
    if (request.routeOptions.url === webhookPath) countResponse(status, request.signatureScheme);
    // A 5xx says only the fixed text of its code; whatever the thrown error said stays in the log.
    const message = status >= 500 ? INGRESS_ERRORS[error.code].message : error.message;
    return reply.code(status).send({ error: message, code: error.code });
  };
  app.setErrorHandler(answerError);

  // Shutdown: new webhooks get 429 SHUTTING_DOWN, those in flight still get their answer. Node
  // closes idle keep-alive connections once, when close starts; a connection that was busy then
  // would keep the server (and the shutdown) waiting until the client drops it. So answers now
  // say `Connection: close`, and idle connections are closed again until the server is down.
  app.addHook('preClose', async () => {
    closing = true;
    producer.beginShutdown();
    idleSweep = setInterval(() => app.server.closeIdleConnections(), 100);
    idleSweep.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(idleSweep);
    await producer.close();
  });

  return app;
}

export type IngressApp = ReturnType<typeof buildIngress>;

/** Fastify's own errors (parser, limits, malformed requests) mapped onto the ingress codes. */
function toIngressError(err: unknown): IngressError {
  if (err instanceof IngressError) return err;
  const { code, statusCode } = (err ?? {}) as { code?: unknown; statusCode?: unknown };
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || statusCode === 415) {
    return new IngressError('ING_ERR_UNSUPPORTED_MEDIA_TYPE');
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) {
    return new IngressError('ING_ERR_BODY_TOO_LARGE');
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new IngressError('ING_ERR_BAD_REQUEST', undefined, { cause: err });
  }
  return new IngressError('ING_ERR_INTERNAL', undefined, { cause: err });
}
