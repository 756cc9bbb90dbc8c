import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createIngressMetrics } from '../../../services/ingress/src/metrics.js';

describe('ingress metrics', () => {
  it('registers every ingress series on the given registry', async () => {
    const registry = new Registry();
    const metrics = createIngressMetrics(registry);
    metrics.requests.inc({ status: '200', scheme: 'hmac' });
    metrics.signatureFailures.inc({ scheme: 'ed25519', reason: 'mismatch' });
    metrics.produceLatency.observe(0.004);
    metrics.batchSize.observe(17);
    metrics.batchDuration.observe(0.002);
    metrics.inFlight.set(3);
    const text = await registry.metrics();
    for (const name of [
      'ingress_requests_total{status="200",scheme="hmac"} 1',
      'ingress_signature_failures_total{scheme="ed25519",reason="mismatch"} 1',
      'ingress_produce_latency_seconds_bucket{le="0.005"} 1',
      'ingress_produce_batch_size_bucket{le="20"} 1',
      'ingress_produce_batch_duration_seconds_count 1',
      'ingress_in_flight_requests 3',
      'ingress_producer_ready 0',
      'ingress_producer_recreations_total 0',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('gives each instance its own registry with process metrics and a service label', async () => {
    const a = createIngressMetrics();
    const b = createIngressMetrics();
    a.requests.inc({ status: '401', scheme: 'none' });
    expect(await b.registry.metrics()).not.toContain('status="401"');
    const text = await a.registry.metrics();
    expect(text).toContain(
      'ingress_requests_total{status="401",scheme="none",service="ingress"} 1',
    );
    expect(text).toContain('process_cpu_user_seconds_total{service="ingress"}');
  });
});
