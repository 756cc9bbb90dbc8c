// The tracing setup: which OTEL_* settings turn it on, the W3C traceparent both ways, and the
// span helpers. The spans of the services themselves are tested with them (ingress, transformer).
import { ROOT_CONTEXT, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  endSpanWhenSettled,
  formatTraceparent,
  startTracing,
  traceparentOf,
  tracesExportersFromEnv,
  TRACING_ENV_VARS,
  TRACING_OFF,
} from '../../../services/common/src/tracing.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

beforeEach(() => {
  for (const name of TRACING_ENV_VARS) vi.stubEnv(name, undefined);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('tracesExportersFromEnv', () => {
  it('is off when nothing is configured (unlike the SDK default of otlp)', () => {
    expect(tracesExportersFromEnv()).toEqual({ exporters: [], unsupported: [] });
  });

  it('is on with OTEL_TRACES_EXPORTER=otlp and/or console, and reports unsupported names', () => {
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'otlp');
    expect(tracesExportersFromEnv().exporters).toEqual(['otlp']);
    vi.stubEnv('OTEL_TRACES_EXPORTER', ' console , otlp,zipkin,otlp ');
    expect(tracesExportersFromEnv()).toEqual({
      exporters: ['console', 'otlp'],
      unsupported: ['zipkin'],
    });
  });

  it('is on with an OTLP endpoint alone', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://collector:4318');
    expect(tracesExportersFromEnv().exporters).toEqual(['otlp']);
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', undefined);
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'http://collector:4318/v1/traces');
    expect(tracesExportersFromEnv().exporters).toEqual(['otlp']);
  });

  it('stays off with none or OTEL_SDK_DISABLED=true, endpoint or not', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://collector:4318');
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'none');
    expect(tracesExportersFromEnv().exporters).toEqual([]);
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'otlp');
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    expect(tracesExportersFromEnv().exporters).toEqual([]);
  });
});

describe('startTracing', () => {
  it('returns TRACING_OFF when no exporter is configured', async () => {
    const tracing = await startTracing('svc');
    expect(tracing).toBe(TRACING_OFF);
    expect(tracing.enabled).toBe(false);
    expect(tracing.parentFrom(TP)).toBe(ROOT_CONTEXT);
    await tracing.shutdown();
  });

  it('exports spans with the service name, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES winning', async () => {
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment.name=test');
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing('svc', { exporter });
    expect(tracing.enabled).toBe(true);
    tracing.tracer.startSpan('a').end();
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans()[0]?.resource.attributes).toMatchObject({
      'service.name': 'svc',
      'deployment.environment.name': 'test',
    });
    await tracing.shutdown();

    vi.stubEnv('OTEL_SERVICE_NAME', 'renamed');
    const other = new InMemorySpanExporter();
    const renamed = await startTracing('svc', { exporter: other });
    renamed.tracer.startSpan('b').end();
    await renamed.forceFlush();
    expect(other.getFinishedSpans()[0]?.resource.attributes['service.name']).toBe('renamed');
    await renamed.shutdown();
  });

  it('parents a span on a traceparent, and starts a trace on none or a malformed one', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing('svc', { exporter });
    const child = tracing.tracer.startSpan('child', {}, tracing.parentFrom(TP, 'vendor=x'));
    expect(child.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.spanContext().traceState?.get('vendor')).toBe('x');
    for (const tp of [undefined, 'garbage', TP.replace('-01', '-zz')]) {
      expect(trace.getSpanContext(tracing.parentFrom(tp))).toBeUndefined();
    }
    child.end();
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    await tracing.shutdown();
  });

  it('follows OTEL_TRACES_SAMPLER: unsampled spans still carry their context (flags 00)', async () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off');
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing('svc', { exporter });
    const span = tracing.tracer.startSpan('dropped');
    expect(traceparentOf(span)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    span.end();
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    await tracing.shutdown();
  });
});

describe('traceparent formatting', () => {
  it('writes what the W3C propagator writes', () => {
    const propagator = new W3CTraceContextPropagator();
    for (const traceFlags of [TraceFlags.SAMPLED, TraceFlags.NONE]) {
      const spanContext = {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags,
      };
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, {
        set: (c: Record<string, string>, k, v) => (c[k] = v),
      });
      expect(formatTraceparent(spanContext)).toBe(carrier.traceparent);
    }
  });
});

describe('endSpanWhenSettled', () => {
  it('ends the span after the work; a rejection is recorded and passed on', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing('svc', { exporter });
    await expect(
      endSpanWhenSettled(tracing.tracer.startSpan('ok'), Promise.resolve(7)),
    ).resolves.toBe(7);
    await expect(
      endSpanWhenSettled(tracing.tracer.startSpan('failed'), Promise.reject(new Error('no ack'))),
    ).rejects.toThrow('no ack');
    await tracing.forceFlush();
    const [ok, failed] = exporter.getFinishedSpans();
    expect(ok?.status.code).toBe(SpanStatusCode.UNSET);
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no ack' });
    expect(failed?.events.map((e) => e.name)).toEqual(['exception']);
    await tracing.shutdown();
  });
});
