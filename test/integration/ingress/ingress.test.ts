// The ingress against the real broker of the integration stack: how many records land in ghl.raw,
// the acceptance statuses over real HTTP, readiness and metrics, and signed deliveries that are
// never lost on their way through a real transformer. Every test has its own topics (fresh prefix).
// The exact bytes and headers written: ingress-bytes.test.ts; the shared setup: ingress-setup.ts.
import { randomUUID, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import { readCommitted, stackEnv } from '../../helpers/integration.js';
import { readPipelineOutputs, startTransformer } from '../../helpers/transformer-harness.js';
import {
  postWebhook,
  seedContactCreated,
  startIngress,
  testKeys,
  type RunningIngress,
} from './ingress-harness.js';
import { cleanups, ingressWithTopics, kafka, runCleanups } from './ingress-setup.js';

afterEach(runCleanups);

describe('ingress → ghl.raw on the real broker', () => {
  it('answers 1,000 concurrent signed webhooks with 1,000 × 200 and writes exactly 1,000 records, batched', async () => {
    const { ingress, topics } = await ingressWithTopics();
    const bodies = Array.from({ length: 1000 }, (_, n) => seedContactCreated(n));
    const responses = await Promise.all(
      bodies.map((body) =>
        postWebhook(ingress.url, body, { 'x-webhook-signature': signHmac(body, 's1') }),
      ),
    );
    const statuses = new Map<number, number>();
    for (const r of responses) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 200: 1000 });
    const ids = new Set(responses.map((r) => r.body.eventId as string));
    expect(ids.size).toBe(1000);

    const records = await readCommitted(kafka, [topics.names.raw], {
      expected: 1000,
      timeoutMs: 60_000,
      settleMs: 1000,
    });
    expect(records).toHaveLength(1000);
    expect(new Set(records.map((r) => r.key?.toString()))).toEqual(ids);
    const bodyById = new Map(responses.map((r, i) => [r.body.eventId as string, bodies[i]!]));
    for (const record of records) {
      expect(Buffer.compare(record.value!, bodyById.get(record.key!.toString())!)).toBe(0);
    }
    // Micro-batching happened: fewer sendBatch calls than requests.
    const batches = (await ingress.metrics.batchSize.get()).values.find(
      (v) => v.metricName === 'ingress_produce_batch_size_count',
    )?.value;
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(1000);
  });

  it('gives the acceptance statuses over real HTTP: 401, 413, 415 reach nothing; signed broken JSON is kept', async () => {
    const { ingress, topics } = await ingressWithTopics();
    const body = seedContactCreated(1);
    const wrong = await postWebhook(ingress.url, body, {
      'x-webhook-signature': signHmac(body, 'not-a-secret'),
    });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'ING_ERR_BAD_SIGNATURE']);
    const broken = '{"event":"contact.created","locationId":';
    const kept = await postWebhook(ingress.url, broken, {
      'x-webhook-signature': signHmac(broken, 's1'),
    });
    expect(kept.status).toBe(200);
    const huge = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const big = await postWebhook(ingress.url, huge, {
      'x-webhook-signature': signHmac(huge, 's1'),
    });
    expect([big.status, big.body.code]).toEqual([413, 'ING_ERR_BODY_TOO_LARGE']);
    const text = await postWebhook(ingress.url, body, {
      'content-type': 'text/plain',
      'x-webhook-signature': signHmac(body, 's1'),
    });
    expect([text.status, text.body.code]).toEqual([415, 'ING_ERR_UNSUPPORTED_MEDIA_TYPE']);
    const records = await readCommitted(kafka, [topics.names.raw], {
      expected: 2,
      timeoutMs: 3000,
      settleMs: 0,
    });
    expect(records).toHaveLength(1);
    expect(records[0]!.value!.toString()).toBe(broken);
    expect(records[0]!.key!.toString()).toBe(kept.body.eventId);
  });

  it('is not ready and answers 429 at once while ghl.raw does not exist', async () => {
    const ingress = await startIngress(
      { KAFKA_BROKERS: stackEnv().brokers, TOPIC_PREFIX: `missing-${Date.now()}.` },
      { waitReady: false },
    );
    cleanups.push(() => ingress.close());
    await new Promise((r) => setTimeout(r, 1500));
    const readyz = await fetch(ingress.url.replace('/webhooks/ghl', '/readyz'));
    expect(readyz.status).toBe(503);
    const body = seedContactCreated(2);
    const res = await postWebhook(ingress.url, body, {
      'x-webhook-signature': signHmac(body, 's1'),
    });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('ING_ERR_KAFKA_UNAVAILABLE');
    expect(res.retryAfter).toBe('10');
    expect(res.ms).toBeLessThan(500);
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain(`${ingress.config.TOPIC_PREFIX}ghl.raw`);
    } finally {
      await admin.disconnect();
    }
  });

  it('/readyz is 200 and /metrics reports the accepted requests', async () => {
    const { ingress } = await ingressWithTopics();
    const base = ingress.url.replace('/webhooks/ghl', '');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const body = seedContactCreated(3);
    expect(
      (await postWebhook(ingress.url, body, { 'x-webhook-signature': signHmac(body, 's2') }))
        .status,
    ).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(
      'ingress_requests_total{status="200",scheme="hmac",service="ingress"} 1',
    );
    expect(metrics).toContain('ingress_producer_ready{service="ingress"} 1');
  });
});

// Real GHL retries only 429: any other refusal of a validly signed delivery loses the event for
// good. These go through the real ingress, ghl.raw and a real transformer.
describe('signed deliveries are never lost: ingress → ghl.raw → transformer', () => {
  const sendSigned = (ingress: RunningIngress, body: Buffer) =>
    postWebhook(ingress.url, body, {
      'x-ghl-signature': sign(null, body, testKeys.ed25519.privateKey).toString('base64'),
    });

  it('agency-level LocationUpdate (no locationId) and a UTF-8 BOM body: 200, in ghl.raw, then a DLQ record with its reason and an output', async () => {
    const { ingress, topics } = await ingressWithTopics();
    const transformer = await startTransformer(topics);
    cleanups.push(() => transformer.close());

    const agency = Buffer.from(
      `{"type":"LocationUpdate","id":"loc_sub_1","companyId":"co_1","name":"Downtown","webhookId":"wh-agency-${randomUUID()}"}`,
    );
    const install = Buffer.from(
      `{"type":"INSTALL","appId":"app_1","installType":"Company","companyId":"co_1","webhookId":"wh-install-${randomUUID()}"}`,
    );
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        `{"type":"ContactCreate","locationId":"loc_bom","id":"c_bom","email":"bom@example.com","webhookId":"wh-bom-${randomUUID()}"}`,
      ),
    ]);
    const answers = [];
    for (const body of [agency, install, bom]) answers.push(await sendSigned(ingress, body));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const [agencyId, installId, bomId] = answers.map((a) => a.body.eventId as string);

    const raw = await readCommitted(kafka, [topics.names.raw], { expected: 3 });
    expect(raw).toHaveLength(3);
    const rawOf = (id: string) => raw.find((r) => r.key?.toString() === id)!;
    expect(Buffer.compare(rawOf(agencyId!).value!, agency)).toBe(0);
    expect(rawOf(agencyId!).headers).toMatchObject({
      'event-type': 'LocationUpdate',
      'location-id': 'loc_sub_1',
    });
    expect(rawOf(installId!).headers).toMatchObject({
      'event-type': 'INSTALL',
      'company-id': 'co_1',
    });
    expect(Buffer.compare(rawOf(bomId!).value!, bom)).toBe(0);

    const { outputs, dlq } = await readPipelineOutputs(kafka, topics.names, {
      expected: 3,
      timeoutMs: 60_000,
    });
    expect(dlq.map((r) => [r.key?.toString(), r.headers['dlq-reason']]).sort()).toEqual(
      [
        [agencyId, 'unmapped_event_type'],
        [installId, 'unmapped_event_type'],
      ].sort(),
    );
    for (const r of dlq)
      expect(Buffer.compare(r.value!, r.key!.toString() === agencyId ? agency : install)).toBe(0);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]!.topic).toBe(topics.names.contact);
    expect(outputs[0]!.decoded).toMatchObject({
      eventId: bomId,
      type: 'neuronx.contact.ingested',
      locationId: 'loc_bom',
    });
  });
});
