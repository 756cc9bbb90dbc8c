// POST /webhooks/ghl answers 200 only once the record is handed to Kafka (a recording sink here):
// the exact bytes and ghl.raw headers of each accepted signature scheme, the webhook path, and
// unsigned webhooks in development mode.
import { afterEach, describe, expect, it } from 'vitest';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import { closeApps, edSig, ghlBody, hmac, post, rsaSig, seedBody, setup } from './app-harness.js';

afterEach(closeApps);

describe('POST /webhooks/ghl: 200 only after the record is handed to Kafka', () => {
  it('accepts a seed-signed webhook and produces the exact bytes with the ghl.raw headers', async () => {
    const { app, sink } = setup();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await post(app, seedBody, {
      ...hmac(seedBody),
      'content-type': 'application/json; charset=utf-8',
      'x-request-id': 'req_1234567890',
      traceparent,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ status: string; eventId: string }>();
    expect(Object.keys(body).sort()).toEqual(['eventId', 'status']);
    expect(body.status).toBe('accepted');
    expect(body.eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(sink.records).toHaveLength(1);
    const [record] = sink.records;
    expect(record!.key).toBe(body.eventId);
    expect(Buffer.compare(record!.value, seedBody)).toBe(0);
    expect(record!.headers).toEqual({
      'event-id': body.eventId,
      'event-type': 'contact.created',
      'location-id': 'loc_123',
      'received-at': '2026-01-03T10:30:00.123Z',
      'request-id': 'req_1234567890',
      'signature-scheme': 'hmac',
      'content-type': 'application/json; charset=utf-8',
      traceparent,
    });
  });

  it('accepts either secret during a rotation, and uppercase hex', async () => {
    const { app, sink } = setup();
    expect((await post(app, seedBody, hmac(seedBody, 's2'))).statusCode).toBe(200);
    const upper = signHmac(seedBody, 's1').replace(/[a-f0-9]{64}$/, (h) => h.toUpperCase());
    expect((await post(app, seedBody, { 'x-webhook-signature': upper })).statusCode).toBe(200);
    expect(sink.records).toHaveLength(2);
  });

  it('accepts a real GHL payload signed with Ed25519: event type as received, webhookId as event ID', async () => {
    const { app, sink } = setup();
    const res = await post(app, ghlBody, edSig(ghlBody));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'accepted', eventId: 'wh_42' });
    expect(sink.records[0]!.headers).toMatchObject({
      'event-id': 'wh_42',
      'event-type': 'ContactCreate',
      'location-id': 've9EPM428h8vShlRW1KT',
      'signature-scheme': 'ed25519',
      'content-type': 'application/json',
    });
    expect(sink.records[0]!.headers).not.toHaveProperty('traceparent');
    // Without X-Request-Id the ingress makes one.
    expect(sink.records[0]!.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts a legacy RSA-signed GHL payload', async () => {
    const { app, sink } = setup();
    expect((await post(app, ghlBody, rsaSig(ghlBody))).statusCode).toBe(200);
    expect(sink.records[0]!.headers['signature-scheme']).toBe('rsa');
  });

  it('serves a configured WEBHOOK_PATH (and only that one)', async () => {
    const { app } = setup({ WEBHOOK_PATH: '/hooks/in' });
    expect((await post(app, seedBody, hmac(seedBody), '/hooks/in')).statusCode).toBe(200);
    expect((await post(app, seedBody, hmac(seedBody))).statusCode).toBe(404);
  });

  it('accepts unsigned webhooks only with INGRESS_ALLOW_UNSIGNED=true, and warns each time', async () => {
    const { app, sink, lines } = setup({ INGRESS_ALLOW_UNSIGNED: 'true' });
    expect(lines.some((l) => l.level === 40 && /INGRESS_ALLOW_UNSIGNED/.test(String(l.msg)))).toBe(
      true,
    );
    const res = await post(app, seedBody, { 'x-request-id': 'dev-1' });
    expect(res.statusCode).toBe(200);
    expect(sink.records[0]!.headers['signature-scheme']).toBe('unsigned');
    expect(
      lines.some(
        (l) => l.level === 40 && l.requestId === 'dev-1' && /UNSIGNED/.test(String(l.msg)),
      ),
    ).toBe(true);
    expect((await post(app, seedBody, hmac(seedBody, 'wrong'))).statusCode).toBe(401);
  });
});
