// Broker outage and recovery with ONE ingress instance. The shared broker of the suite is never
// stopped: this file starts its own single-node Kafka on free ports under .stack/, stops it,
// starts it again on the same data dir, and removes it afterwards.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local-stack/free-port.js';
import { startKafka, stopKafka } from '../../../infra/local-stack/kafka-server.js';
import { stackRoot } from '../../../infra/local-stack/paths.js';
import { createKafka } from '../../../services/common/src/kafka/kafka-client.js';
import { applyTopics } from '../../../services/common/src/kafka/topic-apply.js';
import { topicNames, topicSpecs } from '../../../services/common/src/topics.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import { readCommitted, sleep, uniquePrefix } from '../../helpers/integration.js';
import {
  postWebhook,
  seedContactCreated,
  startIngress,
  type Posted,
  type RunningIngress,
} from './ingress-harness.js';

const PRODUCE_TIMEOUT_MS = 2000;

describe('ingress during a broker outage (dedicated broker)', () => {
  const dir = join(stackRoot(), `ingress-outage-${process.pid}-${randomUUID().slice(0, 8)}`);
  const prefix = uniquePrefix('outage');
  let port = 0;
  let controllerPort = 0;
  let brokers = '';
  let ingress: RunningIngress | undefined;
  let n = 0;
  const accepted: string[] = [];

  const send = async (): Promise<Posted> => {
    const body = seedContactCreated(++n);
    const res = await postWebhook(ingress!.url, body, {
      'x-webhook-signature': signHmac(body, 's1'),
    });
    if (res.status === 200) accepted.push(res.body.eventId as string);
    return res;
  };

  beforeAll(async () => {
    port = await freePort();
    do controllerPort = await freePort();
    while (controllerPort === port);
    brokers = (await startKafka({ dir, port, controllerPort, heapMb: 512 })).brokers;
    const admin = createKafka({ brokers: [brokers], clientId: 'outage-admin' }).admin();
    await admin.connect();
    // Idempotent, so retried on the KRaft metadata race described in ingress-harness.ts.
    for (let attempt = 1; ; attempt++) {
      try {
        await applyTopics(
          admin,
          topicSpecs(prefix, { partitions: 3 }).filter((s) => s.key === 'raw'),
        );
        break;
      } catch (err) {
        if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION' || attempt >= 3) {
          throw err;
        }
        await sleep(500);
      }
    }
    await admin.disconnect();
    ingress = await startIngress({
      KAFKA_BROKERS: brokers,
      TOPIC_PREFIX: prefix,
      PRODUCE_TIMEOUT_MS: String(PRODUCE_TIMEOUT_MS),
      RETRY_AFTER_SECONDS: '30',
    });
  });

  afterAll(async () => {
    await ingress?.close();
    await stopKafka(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 429 + Retry-After within PRODUCE_TIMEOUT_MS + 1 s while the broker is down, never 200, and recovers without a restart', async () => {
    // Up: accepted.
    expect((await send()).status).toBe(200);

    // Down: the first requests find out the hard way, bounded by the produce timeout.
    expect(await stopKafka(dir)).not.toBe('not-running');
    const firstWave = await Promise.all(Array.from({ length: 5 }, () => send()));
    for (const res of firstWave) {
      expect(res.status).toBe(429);
      expect(res.retryAfter).toBe('30');
      expect(['ING_ERR_PRODUCE_TIMEOUT', 'ING_ERR_KAFKA_UNAVAILABLE']).toContain(res.body.code);
      expect(res.ms).toBeLessThanOrEqual(PRODUCE_TIMEOUT_MS + 1000);
    }
    // Once the ingress knows Kafka is down it fails fast instead of holding requests.
    await sleep(1500);
    const readyWhileDown = await fetch(ingress!.url.replace('/webhooks/ghl', '/readyz'));
    expect(readyWhileDown.status).toBe(503);
    const secondWave = [];
    for (let i = 0; i < 5; i++) secondWave.push(await send());
    for (const res of secondWave) {
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('ING_ERR_KAFKA_UNAVAILABLE');
      expect(res.retryAfter).toBe('30');
      expect(res.ms).toBeLessThan(300);
    }
    expect(accepted).toHaveLength(1);

    // Back: the same ingress instance reconnects by itself (capped backoff) and accepts again.
    await startKafka({ dir, port, controllerPort, heapMb: 512 });
    const deadline = Date.now() + 60_000;
    let recovered: Posted | undefined;
    while (Date.now() < deadline) {
      const res = await send();
      expect([200, 429]).toContain(res.status);
      if (res.status === 200) {
        recovered = res;
        break;
      }
      await sleep(250);
    }
    expect(recovered?.status).toBe(200);
    const more = await Promise.all(Array.from({ length: 20 }, () => send()));
    expect(more.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect((await fetch(ingress!.url.replace('/webhooks/ghl', '/readyz'))).status).toBe(200);

    // Every 200 is durable: all accepted event IDs are in ghl.raw after the outage.
    const kafka = createKafka({ brokers: [brokers], clientId: 'outage-reader' });
    const records = await readCommitted(kafka, [topicNames(prefix).raw], {
      expected: accepted.length,
      timeoutMs: 30_000,
    });
    const stored = new Set(records.map((r) => r.key?.toString()));
    for (const id of accepted) expect(stored.has(id), id).toBe(true);
    expect(accepted).toHaveLength(22);
  });
});
