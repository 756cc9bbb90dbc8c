// The HTTP contract through app.inject(): every status, the order of checks, the record handed
// to Kafka, error bodies and logs. Kafka itself is replaced by a recording sink here (and by
// fault-injecting ones for 429/500); the real broker is exercised in test/integration/ingress.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { IngressError, type IngressErrorCode } from '../../../services/common/src/errors.js';
import { deriveEventId } from '../../../services/common/src/event-id.js';
import { createLogger } from '../../../services/common/src/logger.js';
import { buildIngress, type IngressApp } from '../../../services/ingress/src/app.js';
import { loadIngressConfig } from '../../../services/ingress/src/config.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import type { RawRecord, RecordSink } from '../../../services/ingress/src/producer-types.js';

const ed = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: typeof ed.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();
const NOW = Date.parse('2026-01-03T10:30:00.123Z');

class RecordingSink implements RecordSink {
  readonly records: RawRecord[] = [];
  ready = true;
  shutdownBegun = false;
  closed = false;
  constructor(private readonly fault?: () => Error) {}
  async produce(record: RawRecord): Promise<void> {
    if (this.fault) throw this.fault();
    this.records.push(record);
  }
  isReady = () => this.ready;
  pending = () => 0;
  beginShutdown() {
    this.shutdownBegun = true;
  }
  async close() {
    this.closed = true;
  }
}

const apps: IngressApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function setup(env: Record<string, string> = {}, sink = new RecordingSink()) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('ingress', 'debug', {
    hooks: {
      streamWrite: (s: string) => {
        lines.push(JSON.parse(s) as Record<string, unknown>);
        return '';
      },
    },
  });
  const config = loadIngressConfig({
    WEBHOOK_HMAC_SECRETS: 's1,s2',
    GHL_ED25519_PUBLIC_KEY: pem(ed.publicKey),
    GHL_RSA_PUBLIC_KEY: pem(rsa.publicKey),
    RETRY_AFTER_SECONDS: '7',
    BODY_LIMIT_BYTES: String(64 * 1024),
    ...env,
  });
  const app = buildIngress(config, { producer: sink, logger, now: () => NOW });
  apps.push(app);
  return { app, sink, lines };
}

// Deliberately odd bytes: spacing, key order, an escaped unicode character. Any re-serialisation
// would change them and break both the signature and the stored record.
const seedBody = Buffer.from(
  '{ "event":"contact.created",  "locationId":"loc_123","data":{"id":"contact_789","email":"john@example.com","firstName":"J\\u00f6rg"},\n"metadata":{"webhookId":"web_123","attempt":1}}',
  'utf8',
);
const ghlBody = Buffer.from(
  '{"type":"ContactCreate","locationId":"ve9EPM428h8vShlRW1KT","id":"nmFmQEsNgz6AVpgLVUJ0","email":"a@b.c","webhookId":"wh_42"}',
);

const post = (
  app: IngressApp,
  body: Buffer | string,
  headers: Record<string, string> = {},
  url = '/webhooks/ghl',
) =>
  app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: { 'content-type': 'application/json', ...headers },
  });
/** Error bodies are exactly {error: <text>, code}. */
const expectErrorBody = (json: Record<string, unknown>, code: IngressErrorCode) => {
  expect(Object.keys(json).sort()).toEqual(['code', 'error']);
  expect(json.code).toBe(code);
  expect(typeof json.error).toBe('string');
  expect(json.error).not.toBe('');
};
const hmac = (body: Buffer | string, secret = 's1') => ({
  'x-webhook-signature': signHmac(body, secret),
});
const edSig = (body: Buffer) => ({
  'x-ghl-signature': sign(null, body, ed.privateKey).toString('base64'),
});
const rsaSig = (body: Buffer) => ({
  'x-wh-signature': sign('sha256', body, rsa.privateKey).toString('base64'),
});

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

describe('POST /webhooks/ghl: refusals, in the promised order', () => {
  const expectError = (
    res: Awaited<ReturnType<typeof post>>,
    status: number,
    code: IngressErrorCode,
  ) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectErrorBody(res.json(), code);
  };

  it('401 without any signature', async () => {
    const { app, sink } = setup();
    expectError(await post(app, seedBody), 401, 'ING_ERR_MISSING_SIGNATURE');
    expect(sink.records).toHaveLength(0);
  });

  it('401 for a wrong secret, a wrong key, a malformed header', async () => {
    const { app, sink } = setup();
    expectError(await post(app, seedBody, hmac(seedBody, 'nope')), 401, 'ING_ERR_BAD_SIGNATURE');
    const otherKey = generateKeyPairSync('ed25519').privateKey;
    expectError(
      await post(app, ghlBody, {
        'x-ghl-signature': sign(null, ghlBody, otherKey).toString('base64'),
      }),
      401,
      'ING_ERR_BAD_SIGNATURE',
    );
    expectError(
      await post(app, seedBody, { 'x-webhook-signature': 'sha256=abc' }),
      401,
      'ING_ERR_BAD_SIGNATURE',
    );
    expect(sink.records).toHaveLength(0);
  });

  it('401 when the strongest signature present is bad, even if a weaker one is good', async () => {
    const { app } = setup();
    const res = await post(app, seedBody, {
      ...hmac(seedBody),
      ...rsaSig(seedBody),
      'x-ghl-signature': Buffer.alloc(64, 3).toString('base64'),
    });
    expectError(res, 401, 'ING_ERR_BAD_SIGNATURE');
  });

  it('401 for a signature over other bytes than the body (re-serialised JSON)', async () => {
    const { app } = setup();
    const reserialised = JSON.stringify(JSON.parse(seedBody.toString()));
    expectError(await post(app, seedBody, hmac(reserialised)), 401, 'ING_ERR_BAD_SIGNATURE');
  });

  it('stores every signed body that is not a usable envelope, answers 200, and leaves out the headers it cannot give', async () => {
    const { app, sink } = setup();
    const cases: [string, Record<string, string>][] = [
      ['{"event":"contact.created",', {}],
      ['', {}],
      ['[1,2]', {}],
      ['{"locationId":"l"}', { 'location-id': 'l' }],
      ['{"event":"contact.created"}', { 'event-type': 'contact.created' }],
    ];
    for (const [body, facts] of cases) {
      const res = await post(app, body, hmac(body));
      expect(res.statusCode, body).toBe(200);
      const record = sink.records.at(-1)!;
      expect(Buffer.compare(record.value, Buffer.from(body))).toBe(0);
      expect(record.key).toBe(res.json<{ eventId: string }>().eventId);
      expect(record.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(record.headers).toEqual({
        'event-id': record.key,
        'received-at': '2026-01-03T10:30:00.123Z',
        'request-id': record.headers['request-id'],
        'signature-scheme': 'hmac',
        'content-type': 'application/json',
        ...facts,
      });
    }
    expect(sink.records).toHaveLength(cases.length);
    // A body that is not a JSON object is keyed by the hash of its exact bytes.
    expect(sink.records[0]!.key).toBe(
      `sha256:${createHash('sha256').update('{"event":"contact.created",').digest('hex')}`,
    );
  });

  it('agency-level LocationUpdate without locationId: 200, stored, keyed by the location in `id`', async () => {
    const { app, sink } = setup();
    const body = Buffer.from(
      '{"type":"LocationUpdate","id":"loc_sub_1","companyId":"co_1","name":"Downtown","webhookId":"wh_loc_1"}',
    );
    const res = await post(app, body, edSig(body));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'accepted', eventId: 'wh_loc_1' });
    expect(sink.records[0]!.headers).toMatchObject({
      'event-type': 'LocationUpdate',
      'location-id': 'loc_sub_1',
    });
    expect(sink.records[0]!.headers).not.toHaveProperty('company-id');
  });

  it('Company-level INSTALL with no location at all: 200, stored with its company', async () => {
    const { app, sink } = setup();
    const body = Buffer.from(
      '{"type":"INSTALL","appId":"app_1","installType":"Company","companyId":"co_1","webhookId":"wh_inst_1"}',
    );
    const res = await post(app, body, edSig(body));
    expect(res.statusCode).toBe(200);
    expect(sink.records[0]!.key).toBe('wh_inst_1');
    expect(sink.records[0]!.headers).toMatchObject({
      'event-type': 'INSTALL',
      'company-id': 'co_1',
    });
    expect(sink.records[0]!.headers).not.toHaveProperty('location-id');
  });

  it('UTF-8 BOM before the JSON, signed over all bytes: 200, stored byte for byte with its headers', async () => {
    const { app, sink } = setup();
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('{"event":"contact.created","locationId":"loc_bom","data":{"id":"c_bom"}}'),
    ]);
    const res = await post(app, body, hmac(body));
    expect(res.statusCode).toBe(200);
    expect(Buffer.compare(sink.records[0]!.value, body)).toBe(0);
    expect(sink.records[0]!.headers).toMatchObject({
      'event-type': 'contact.created',
      'location-id': 'loc_bom',
    });
    // The same event without the BOM has the same ID: the BOM is encoding, not content.
    expect(res.json<{ eventId: string }>().eventId).toBe(
      deriveEventId({ event: 'contact.created', locationId: 'loc_bom', data: { id: 'c_bom' } })
        .eventId,
    );
  });

  it('checks the signature before the JSON: broken unsigned JSON is a 401', async () => {
    const { app } = setup();
    expectError(await post(app, '{oops'), 401, 'ING_ERR_MISSING_SIGNATURE');
  });

  it('413 over BODY_LIMIT_BYTES, before the signature is looked at', async () => {
    const { app } = setup({ BODY_LIMIT_BYTES: '1048576' });
    const big = Buffer.from(
      `{"event":"a","locationId":"l","pad":"${'x'.repeat(2 * 1024 * 1024)}"}`,
    );
    expectError(await post(app, big, hmac(big)), 413, 'ING_ERR_BODY_TOO_LARGE');
    expectError(await post(app, big), 413, 'ING_ERR_BODY_TOO_LARGE');
  });

  it('415 for text/plain, a missing content type, another charset, before size and signature', async () => {
    const { app } = setup();
    expectError(
      await post(app, seedBody, { ...hmac(seedBody), 'content-type': 'text/plain' }),
      415,
      'ING_ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    const noType = await app.inject({
      method: 'POST',
      url: '/webhooks/ghl',
      payload: seedBody,
      headers: hmac(seedBody),
    });
    expectError(noType, 415, 'ING_ERR_UNSUPPORTED_MEDIA_TYPE');
    expectError(
      await post(app, seedBody, {
        ...hmac(seedBody),
        'content-type': 'application/json; charset=iso-8859-1',
      }),
      415,
      'ING_ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    const gzipped = await post(app, seedBody, { ...hmac(seedBody), 'content-encoding': 'gzip' });
    expectError(gzipped, 415, 'ING_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(gzipped.json()).toMatchObject({ error: 'content-encoding not supported' });
    const big = Buffer.alloc(200 * 1024, 'x');
    expectError(
      await post(app, big, { 'content-type': 'text/plain' }),
      415,
      'ING_ERR_UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('404 for unknown routes and 405 (Allow: POST) for other methods on the webhook path', async () => {
    const { app } = setup();
    expectError(await app.inject({ method: 'GET', url: '/nope' }), 404, 'ING_ERR_NOT_FOUND');
    expectError(
      await post(app, seedBody, hmac(seedBody), '/webhooks/other'),
      404,
      'ING_ERR_NOT_FOUND',
    );
    const get = await app.inject({ method: 'GET', url: '/webhooks/ghl' });
    expectError(get, 405, 'ING_ERR_METHOD_NOT_ALLOWED');
    expect(get.headers.allow).toBe('POST');
  });
});

describe('POST /webhooks/ghl: Kafka trouble is a 429 with Retry-After, never a 5xx', () => {
  for (const code of [
    'ING_ERR_KAFKA_UNAVAILABLE',
    'ING_ERR_PRODUCE_TIMEOUT',
    'ING_ERR_OVERLOADED',
    'ING_ERR_SHUTTING_DOWN',
  ] as const) {
    it(`${code} → 429`, async () => {
      const { app } = setup({}, new RecordingSink(() => new IngressError(code)));
      const res = await post(app, seedBody, hmac(seedBody));
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBe('7');
      expectErrorBody(res.json(), code);
    });
  }

  it('an unexpected failure is a 500 whose body says nothing about the cause', async () => {
    const { app, lines } = setup(
      {},
      new RecordingSink(
        () => new Error('broker 10.1.2.3:9092 said SASL password=hunter2 is wrong'),
      ),
    );
    const res = await post(app, seedBody, { ...hmac(seedBody), 'x-request-id': 'boom-1' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal error', code: 'ING_ERR_INTERNAL' });
    expect(res.body).not.toMatch(/10\.1\.2\.3|hunter2/);
    expect(lines.some((l) => l.level === 50 && l.requestId === 'boom-1')).toBe(true);
  });
});

describe('health, readiness, metrics', () => {
  it('/healthz is always 200; /readyz follows the producer', async () => {
    const sink = new RecordingSink();
    const { app } = setup({}, sink);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    sink.ready = false;
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expectErrorBody(notReady.json(), 'ING_ERR_NOT_READY');
  });

  it('/metrics counts responses by status and scheme and signature failures by reason', async () => {
    const { app } = setup();
    await post(app, seedBody, hmac(seedBody));
    await post(app, seedBody, hmac(seedBody, 'bad'));
    await post(app, seedBody, { 'x-webhook-signature': 'nope' });
    await post(app, seedBody);
    await post(app, 'x', { 'content-type': 'text/plain' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toContain(
      'ingress_requests_total{status="200",scheme="hmac",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_requests_total{status="401",scheme="hmac",service="ingress"} 2',
    );
    expect(text).toContain(
      'ingress_requests_total{status="401",scheme="none",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_requests_total{status="415",scheme="none",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_signature_failures_total{scheme="hmac",reason="mismatch",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_signature_failures_total{scheme="hmac",reason="malformed",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_signature_failures_total{scheme="none",reason="missing",service="ingress"} 1',
    );
    expect(text).toMatch(/ingress_in_flight_requests\{service="ingress"\} 0/);
    expect(text).toMatch(/ingress_produce_latency_seconds_bucket/);
    expect(text).toMatch(/ingress_produce_batch_size_bucket/);
  });
});

describe('logs', () => {
  it('carry the request id on every request line and never the signature, the body or personal data', async () => {
    const { app, lines } = setup();
    const before = lines.length;
    await post(app, seedBody, { ...hmac(seedBody), 'x-request-id': 'log-ok' });
    await post(app, seedBody, { ...hmac(seedBody, 'wrong'), 'x-request-id': 'log-bad' });
    const requestLines = lines.slice(before);
    expect(requestLines.length).toBeGreaterThan(2);
    for (const line of requestLines) expect(['log-ok', 'log-bad']).toContain(line.requestId);
    const text = JSON.stringify(requestLines);
    expect(text).not.toContain(signHmac(seedBody, 's1').slice(7));
    expect(text).not.toContain(signHmac(seedBody, 'wrong').slice(7));
    expect(text).not.toContain('john@example.com');
    expect(text).not.toContain('contact_789');
    expect(requestLines.find((l) => l.requestId === 'log-bad' && l.level === 30)).toMatchObject({
      level: 30,
      code: 'ING_ERR_BAD_SIGNATURE',
      status: 401,
    });
  });
});

describe('shutdown', () => {
  it('app.close() tells the producer to stop taking records, then closes it', async () => {
    const sink = new RecordingSink();
    const { app } = setup({}, sink);
    await app.ready();
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(sink.shutdownBegun).toBe(true);
    expect(sink.closed).toBe(true);
  });
});
