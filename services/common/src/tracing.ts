// OpenTelemetry tracing for the services: one setup, driven by the SDK's standard OTEL_*
// variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
// and W3C trace context (https://www.w3.org/TR/trace-context/) as the only propagation format.
//
// Off unless an exporter is configured: the services then hold TRACING_OFF, whose `enabled` is
// the one boolean the hot paths test before doing any span work. The SDK and the exporter are
// loaded only when tracing is on.
//
// Nothing is registered globally (no global tracer provider, propagator or context manager):
// each service passes its Tracing explicitly and parents spans with explicit contexts, so an
// ingress and a transformer can run in one process (the integration tests) with separate
// providers, and no AsyncLocalStorage runs on any request.
import {
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanStatusCode,
  type Context,
  type Span,
  type SpanContext,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import {
  getBooleanFromEnv,
  getStringFromEnv,
  getStringListFromEnv,
  setGlobalErrorHandler,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from './logger.js';

export interface Tracing {
  /** False: no span is ever started; callers test this before any span work. */
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /**
   * A context whose remote parent is the span a W3C `traceparent` names (with its `tracestate`,
   * when given); ROOT_CONTEXT when there is none or it is malformed, so a span started under it
   * begins a new trace.
   */
  parentFrom(traceparent: string | undefined, tracestate?: string): Context;
  /** Exports the spans ended so far. */
  forceFlush(): Promise<void>;
  /** Exports what is left and stops; call once, after the service stopped. */
  shutdown(): Promise<void>;
}

/** Tracing switched off: a no-op tracer, nothing to flush. */
export const TRACING_OFF: Tracing = Object.freeze({
  enabled: false,
  tracer: new ProxyTracerProvider().getTracer('off'),
  parentFrom: () => ROOT_CONTEXT,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
});

/** Span exporters the services can build from OTEL_TRACES_EXPORTER. */
export type TracesExporterName = 'otlp' | 'console';
const SUPPORTED_EXPORTERS: readonly string[] = ['otlp', 'console'];

/**
 * The OTEL_* variables tracing reads (through the SDK): the README documents each of them.
 * Exporter choice is ours (tracesExportersFromEnv); the rest the SDK reads itself.
 */
export const TRACING_ENV_VARS = [
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
] as const;

/**
 * Which span exporters the environment asks for; empty means tracing stays off.
 *
 * Unlike the SDK's default (OTEL_TRACES_EXPORTER unset = otlp to localhost), an unconfigured
 * service does not trace: `OTEL_TRACES_EXPORTER=otlp|console` (comma-separated) or an OTLP
 * endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns it on.
 * `none` anywhere in the list, or `OTEL_SDK_DISABLED=true`, keeps it off. Names the services
 * do not support are returned in `unsupported` (the spec says: warn and ignore them).
 */
export function tracesExportersFromEnv(): {
  exporters: TracesExporterName[];
  unsupported: string[];
} {
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return { exporters: [], unsupported: [] };
  const named = getStringListFromEnv('OTEL_TRACES_EXPORTER');
  if (named !== undefined && named.length > 0) {
    if (named.includes('none')) return { exporters: [], unsupported: [] };
    const exporters = [
      ...new Set(named.filter((n): n is TracesExporterName => SUPPORTED_EXPORTERS.includes(n))),
    ];
    return { exporters, unsupported: named.filter((n) => !SUPPORTED_EXPORTERS.includes(n)) };
  }
  const endpoint =
    getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ??
    getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  return { exporters: endpoint ? ['otlp'] : [], unsupported: [] };
}

export interface TracingOptions {
  logger?: Logger;
  /**
   * Exports to this exporter instead of what the environment names, and turns tracing on
   * whatever the environment says (tests pass an InMemorySpanExporter).
   */
  exporter?: SpanExporter;
}

/**
 * Tracing for one service: TRACING_OFF unless an exporter is configured (tracesExportersFromEnv
 * or `options.exporter`). When on: a tracer provider whose resource is `service.name` =
 * `serviceName` overridden by OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, the sampler of
 * OTEL_TRACES_SAMPLER (default parentbased_always_on), and a batch span processor (OTEL_BSP_*)
 * per exporter; the OTLP exporter (HTTP, JSON) reads its own OTEL_EXPORTER_OTLP_* variables.
 * Call `shutdown()` when the service stops, so the last spans are exported.
 */
export async function startTracing(
  serviceName: string,
  options: TracingOptions = {},
): Promise<Tracing> {
  const { logger } = options;
  const fromEnv = options.exporter ? undefined : tracesExportersFromEnv();
  if (fromEnv && fromEnv.unsupported.length > 0)
    logger?.warn(
      { unsupported: fromEnv.unsupported, supported: SUPPORTED_EXPORTERS },
      'OTEL_TRACES_EXPORTER names exporters this service does not have; ignored',
    );
  if (fromEnv && fromEnv.exporters.length === 0) return TRACING_OFF;

  const [{ BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter }, resources, semconv] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const exporters: SpanExporter[] = [];
  if (options.exporter) exporters.push(options.exporter);
  for (const name of fromEnv?.exporters ?? []) {
    if (name === 'console') exporters.push(new ConsoleSpanExporter());
    else {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      exporters.push(new OTLPTraceExporter());
    }
  }
  const resource = resources
    .resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: serviceName })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: exporters.map((e) => new BatchSpanProcessor(e)),
  });
  // The SDK reports export failures through its global error handler, silent by default.
  if (logger) setGlobalErrorHandler((err) => logger.warn({ err }, 'tracing: span export failed'));
  logger?.info(
    {
      exporters: fromEnv?.exporters ?? ['injected'],
      serviceName: resource.attributes['service.name'],
    },
    'tracing on',
  );

  const propagator = new W3CTraceContextPropagator();
  return {
    enabled: true,
    tracer: provider.getTracer(serviceName),
    parentFrom(traceparent, tracestate) {
      if (traceparent === undefined) return ROOT_CONTEXT;
      return propagator.extract(ROOT_CONTEXT, { traceparent, tracestate }, CARRIER_GETTER);
    },
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** Reads the two W3C headers from the small carrier parentFrom builds. */
const CARRIER_GETTER: TextMapGetter<TraceCarrier> = {
  get: (carrier, key) =>
    key === 'traceparent'
      ? carrier.traceparent
      : key === 'tracestate'
        ? carrier.tracestate
        : undefined,
  keys: () => ['traceparent', 'tracestate'],
};
interface TraceCarrier {
  traceparent: string;
  tracestate: string | undefined;
}

/**
 * The W3C `traceparent` naming a span (version 00): `00-<trace id>-<span id>-<flags>`, the
 * format W3CTraceContextPropagator injects, without a carrier object per call.
 */
export function traceparentOf(span: Span): string {
  return formatTraceparent(span.spanContext());
}

export function formatTraceparent(context: SpanContext): string {
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/** Ends `span` when `work` settles; a rejection is recorded on it (exception event, ERROR). */
export async function endSpanWhenSettled<T>(span: Span, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Marks a span failed by `err`: an exception event and ERROR status (the span is not ended). */
export function failSpan(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

// Messaging attributes are still "development" in the semantic conventions package (only in its
// unstable `incubating` entry point, whose names may change in a minor release); the names used
// here are spelled once, as that package's authors recommend.
// https://opentelemetry.io/docs/specs/semconv/messaging/kafka/
export const MESSAGING = {
  system: 'messaging.system',
  destinationName: 'messaging.destination.name',
  partitionId: 'messaging.destination.partition.id',
  /** The pre-1.26 name of the operation kind (`publish`, `process`); kept for older backends. */
  operation: 'messaging.operation',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  consumerGroup: 'messaging.consumer.group.name',
  messageId: 'messaging.message.id',
  bodySize: 'messaging.message.body.size',
  kafkaKey: 'messaging.kafka.message.key',
  kafkaOffset: 'messaging.kafka.offset',
} as const;
export const MESSAGING_SYSTEM_KAFKA = 'kafka';
