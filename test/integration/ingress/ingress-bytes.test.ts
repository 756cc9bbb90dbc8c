// The ingress against the real broker of the integration stack: what it writes to ghl.raw is the
// request's exact bytes (odd but valid JSON, a body of exactly 1 MiB) with the ghl.raw headers, for
// each signature scheme. Every test has its own topics (fresh prefix). Counts, statuses and
// deliveries through a transformer: ingress.test.ts; the shared setup: ingress-setup.ts.
import { sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import { readCommitted } from '../../helpers/integration.js';
import { postWebhook, seedContactCreated, testKeys } from './ingress-harness.js';
import { ingressWithTopics, kafka, runCleanups } from './ingress-setup.js';

afterEach(runCleanups);

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
});
