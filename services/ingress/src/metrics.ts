import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry } from '../../common/src/metrics.js';

/** The ingress' Prometheus series: requests, signature failures, produce, in-flight. */
export interface IngressMetrics {
  readonly registry: Registry;
  /** Responses of the webhook route by HTTP status and signature scheme. */
  readonly requests: Counter<'status' | 'scheme'>;
  readonly signatureFailures: Counter<'scheme' | 'reason'>;
  /** From enqueue to the Kafka ack, per accepted request. */
  readonly produceLatency: Histogram;
  /** Records per sendBatch, and how long each sendBatch took. */
  readonly batchSize: Histogram;
  readonly batchDuration: Histogram;
  readonly inFlight: Gauge;
  readonly producerReady: Gauge;
  readonly producerRecreations: Counter;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createIngressMetrics(
  registry: Registry = createMetricsRegistry('ingress'),
): IngressMetrics {
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'ingress_requests_total',
      help: 'Webhook responses by HTTP status and signature scheme',
      labelNames: ['status', 'scheme'],
      registers,
    }),
    signatureFailures: new Counter({
      name: 'ingress_signature_failures_total',
      help: 'Webhooks refused with 401, by scheme and reason (missing, malformed, mismatch)',
      labelNames: ['scheme', 'reason'],
      registers,
    }),
    produceLatency: new Histogram({
      name: 'ingress_produce_latency_seconds',
      help: 'Time from enqueue to Kafka ack of each accepted webhook',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    batchSize: new Histogram({
      name: 'ingress_produce_batch_size',
      help: 'Records per sendBatch',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'ingress_produce_batch_duration_seconds',
      help: 'Duration of each sendBatch, successful or not',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inFlight: new Gauge({
      name: 'ingress_in_flight_requests',
      help: 'Webhooks waiting for a Kafka ack (queued or in the batch being sent)',
      registers,
    }),
    producerReady: new Gauge({
      name: 'ingress_producer_ready',
      help: '1 when the producer is connected and ghl.raw is known, else 0',
      registers,
    }),
    producerRecreations: new Counter({
      name: 'ingress_producer_recreations_total',
      help: 'Producers thrown away after a failed or abandoned send (new producer id each time)',
      registers,
    }),
  };
}
