// POST /webhooks/ghl refusals and their order: signatures (401) before the JSON, the body size
// (413), the media type (415), unknown routes and methods (404/405); and the signed bodies that
// are no usable envelope, stored all the same with the headers they can give.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngressErrorCode } from '../../../services/common/src/errors.js';
import { deriveEventId } from '../../../services/common/src/event-id.js';
import {
  closeApps,
  edSig,
  expectErrorBody,
  ghlBody,
  hmac,
  post,
  rsaSig,
  seedBody,
  setup,
} from './app-harness.js';

afterEach(closeApps);

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

  it('400 ING_ERR_BAD_REQUEST for a path Fastify cannot decode, never its own FST_ERR_BAD_URL', async () => {
    const { app, sink } = setup();
    for (const url of ['/webhooks/%zz', '/webhooks/ghl%', '/%E0%A4%A']) {
      const res = await post(app, seedBody, hmac(seedBody), url);
      expectError(res, 400, 'ING_ERR_BAD_REQUEST');
    }
    expect(sink.records).toHaveLength(0);
  });
});
