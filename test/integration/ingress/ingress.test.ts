// The ingress against the real broker of the integration stack: what lands in ghl.raw, how many,
// and the acceptance statuses over real HTTP. Every test has its own topics (fresh prefix).
import { randomUUID, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import {
  freshTopics,
  readCommitted,
  stackEnv,
  testKafka,
  type FreshTopics,
} from '../../helpers/integration.js';
import { readPipelineOutputs, startTransformer } from '../../helpers/transformer-harness.js';
import {
  postWebhook,
  seedContactCreated,
  startIngress,
  testKeys,
  type RunningIngress,
} from './ingress-harness.js';

const kafka = testKafka('ingress-it-reader');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ingressWithTopics(
  env: Record<string, string> = {},
): Promise<{ ingress: RunningIngress; topics: FreshTopics }> {
  const topics = await freshTopics({ label: 'ingress' });
  cleanups.push(() => topics.cleanup());
  const ingress = await startIngress({
    KAFKA_BROKERS: stackEnv().brokers,
    TOPIC_PREFIX: topics.prefix,
    ...env,
  });
  cleanups.push(() => ingress.close());
  return { ingress, topics };
}

describe('ingress → ghl.raw on the real broker', () => {
  it('writes the exact request bytes and the ghl.raw headers, for each signature scheme and both rotating secrets', async () => {
    const { ingress, topics } = await ingressWithTopics();
    // Odd but valid JSON: the stored bytes must be these, not a re-serialisation.
    const seed1 = Buffer.from(
      '{"event":"contact.created" , "locationId":"loc_1","data":{"id":"c_1","name":"Ren\\u00e9e","n":1.50}}',
    );
    const seed2 = Buffer.from(
      '{"locationId":"loc_2","event":"contact.updated","data":{"id":"c_2"},"metadata":{"attempt":3}}\n',
    );
    const ghlEd = Buffer.from(
      '{"type":"ContactCreate","locationId":"ve9EPM428h8vShlRW1KT","id":"c_3","webhookId":"wh-ed-1"}',
    );
    const ghlRsa = Buffer.from(
      '{"type":"OpportunityStageUpdate","locationId":"loc_4","id":"o_4","webhookId":"wh-rsa-1"}',
    );
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const sent: {
      body: Buffer;
      scheme: string;
      type: string;
      location: string;
      headers: Record<string, string>;
    }[] = [
      {
        body: seed1,
        scheme: 'hmac',
        type: 'contact.created',
        location: 'loc_1',
        headers: {
          'x-webhook-signature': signHmac(seed1, 's1'),
          'x-request-id': 'req_1',
          traceparent,
        },
      },
      {
        body: seed2,
        scheme: 'hmac',
        type: 'contact.updated',
        location: 'loc_2',
        headers: {
          'x-webhook-signature': signHmac(seed2, 's2'),
          'content-type': 'application/json; charset=utf-8',
        },
      },
      {
        body: ghlEd,
        scheme: 'ed25519',
        type: 'ContactCreate',
        location: 've9EPM428h8vShlRW1KT',
        headers: {
          'x-ghl-signature': sign(null, ghlEd, testKeys.ed25519.privateKey).toString('base64'),
        },
      },
      {
        body: ghlRsa,
        scheme: 'rsa',
        type: 'OpportunityStageUpdate',
        location: 'loc_4',
        headers: {
          'x-wh-signature': sign('sha256', ghlRsa, testKeys.rsa.privateKey).toString('base64'),
        },
      },
    ];
    const before = Date.now();
    const responses = [];
    for (const s of sent) responses.push(await postWebhook(ingress.url, s.body, s.headers));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const ids = responses.map((r) => r.body.eventId as string);
    expect(ids[2]).toBe('wh-ed-1');
    expect(ids[3]).toBe('wh-rsa-1');
    expect(ids[0]).toMatch(/^sha256:[0-9a-f]{64}$/);

    const records = await readCommitted(kafka, [topics.names.raw], { expected: 4 });
    expect(records).toHaveLength(4);
    for (const [i, s] of sent.entries()) {
      const record = records.find((r) => r.key?.toString() === ids[i]);
      expect(record, `record for ${ids[i]}`).toBeDefined();
      expect(Buffer.compare(record!.value!, s.body)).toBe(0);
      expect(record!.headers).toMatchObject({
        'event-id': ids[i],
        'event-type': s.type,
        'location-id': s.location,
        'signature-scheme': s.scheme,
        'content-type': s.headers['content-type'] ?? 'application/json',
      });
      const receivedAt = Date.parse(record!.headers['received-at']!);
      expect(receivedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(receivedAt).toBeLessThanOrEqual(Date.now());
      expect(record!.headers['request-id']).toBeTruthy();
    }
    const first = records.find((r) => r.key?.toString() === ids[0])!;
    expect(first.headers['request-id']).toBe('req_1');
    expect(first.headers.traceparent).toBe(traceparent);
    expect(records.find((r) => r.key?.toString() === ids[1])!.headers).not.toHaveProperty(
      'traceparent',
    );
  });

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

  // Regression: a body at the 1 MiB limit plus key and headers is above the broker's default
  // message.max.bytes, so it was answered 429 on every retry and GHL eventually dropped it.
  // ghl.raw now accepts records up to 1.25 MiB (infra/topics.json).
  it('stores a body of exactly BODY_LIMIT_BYTES (1 MiB) byte for byte', async () => {
    const { ingress, topics } = await ingressWithTopics();
    const head = seedContactCreated(1_048_576);
    const padding = 1_048_576 - head.length;
    // Pad with JSON whitespace after the object: still valid JSON, exactly 1 MiB on the wire.
    const body = Buffer.concat([head, Buffer.alloc(padding, 0x20)]);
    expect(body.length).toBe(1_048_576);
    const res = await postWebhook(ingress.url, body, {
      'x-webhook-signature': signHmac(body, 's1'),
    });
    expect(res.status).toBe(200);
    const [record] = await readCommitted(kafka, [topics.names.raw], { expected: 1 });
    expect(record?.value?.equals(body)).toBe(true);
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
