// Starts a real ingress (app + Kafka batching producer) on a loopback port for integration tests.
import { generateKeyPairSync } from 'node:crypto';
import { createLogger } from '../../../services/common/src/logger.js';
import type { Tracing } from '../../../services/common/src/tracing.js';
import { buildIngress, type IngressApp } from '../../../services/ingress/src/app.js';
import type { BatchingProducer } from '../../../services/ingress/src/batching-producer.js';
import { loadIngressConfig, type IngressConfig } from '../../../services/ingress/src/config.js';
import { createKafkaSink } from '../../../services/ingress/src/kafka-sink.js';
import {
  createIngressMetrics,
  type IngressMetrics,
} from '../../../services/ingress/src/metrics.js';

export const testKeys = {
  ed25519: generateKeyPairSync('ed25519'),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};
const pem = (key: (typeof testKeys)['ed25519']['publicKey']) =>
  key.export({ type: 'spki', format: 'pem' }).toString();

export interface RunningIngress {
  app: IngressApp;
  producer: BatchingProducer;
  metrics: IngressMetrics;
  config: IngressConfig;
  url: string;
  close(): Promise<void>;
}

/**
 * An ingress on 127.0.0.1:<random port>; `waitReady` waits for the producer's first connect,
 * `tracing` is handed to the app (off when not given).
 */
export async function startIngress(
  env: Record<string, string>,
  opts: { waitReady?: boolean; tracing?: Tracing } = {},
): Promise<RunningIngress> {
  const config = loadIngressConfig({
    WEBHOOK_HMAC_SECRETS: 's1,s2',
    GHL_ED25519_PUBLIC_KEY: pem(testKeys.ed25519.publicKey),
    GHL_RSA_PUBLIC_KEY: pem(testKeys.rsa.publicKey),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    INGRESS_PORT: '0',
    ...env,
  });
  const logger = createLogger('ingress', config.LOG_LEVEL);
  const metrics = createIngressMetrics();
  const producer = createKafkaSink(config, { logger, metrics, clientId: 'ingress-it' });
  const app = buildIngress(config, { producer, logger, metrics, tracing: opts.tracing });
  const ready = producer.start();
  if (opts.waitReady ?? true) await ready;
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  let closed = false;
  return {
    app,
    producer,
    metrics,
    config,
    url: `${address}${config.WEBHOOK_PATH}`,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

export interface Posted {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
  ms: number;
}

export async function postWebhook(
  url: string,
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<Posted> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    retryAfter: res.headers.get('retry-after'),
    ms: performance.now() - started,
  };
}

/** A seed-format contact.created body, unique per `n`. */
export const seedContactCreated = (n: number, extra = ''): Buffer =>
  Buffer.from(
    JSON.stringify({
      event: 'contact.created',
      locationId: `loc_${n % 7}`,
      companyId: 'comp_456',
      timestamp: new Date(Date.UTC(2026, 0, 3, 10, 30, 0, n)).toISOString(),
      data: {
        id: `contact_${n}`,
        email: `person${n}@example.com`,
        firstName: 'Jo',
        tags: ['lead'],
      },
      metadata: { webhookId: 'web_123', attempt: 1 },
    }) + extra,
    'utf8',
  );
