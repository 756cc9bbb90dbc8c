// The console's answers to requests Fastify refuses itself, before any route runs: each status has
// its code in CONSOLE_ERRORS (413 and 415 their own, the rest CONSOLE_ERR_BAD_REQUEST), so the
// answer's status is always its code's. Nothing here reaches Kafka.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_ERRORS } from '../../../services/common/src/errors.js';
import { buildConsole } from '../../../services/console/src/app.js';
import { loadConsoleConfig } from '../../../services/console/src/config.js';
import { CSRF_HEADER, csrfTokenOf } from '../../../services/console/src/security.js';

const token = 'unit-console-token-0123456789';

describe('console: Fastify refusals', () => {
  let app: FastifyInstance;
  beforeAll(() => {
    const config = loadConsoleConfig({
      KAFKA_BROKERS: '127.0.0.1:1',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1',
      CONSOLE_TOKEN: token,
    });
    ({ app } = buildConsole(config, { logger: pino({ level: 'silent' }) }));
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (body: string, contentType: string) =>
    app.inject({
      method: 'POST',
      url: '/api/failures/records/preview',
      headers: {
        authorization: `Bearer ${token}`,
        [CSRF_HEADER]: csrfTokenOf(token),
        'content-type': contentType,
      },
      payload: body,
    });

  it.each([
    [
      'a body over 64 KiB',
      () => post(`"${'x'.repeat(65 * 1024)}"`, 'application/json'),
      413,
      'CONSOLE_ERR_BODY_TOO_LARGE',
    ],
    [
      'a content type Fastify does not parse',
      () => post('<records/>', 'application/xml'),
      415,
      'CONSOLE_ERR_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'malformed JSON',
      () => post('{"records": [', 'application/json'),
      400,
      'CONSOLE_ERR_BAD_REQUEST',
    ],
  ] as const)('%s: %i with its code', async (_what, send, status, code) => {
    const res = await send();
    const body = res.json<{ error: unknown; code: string }>();
    expect([res.statusCode, body.code]).toEqual([status, code]);
    expect(CONSOLE_ERRORS[code].statusCode).toBe(status);
    expect(typeof body.error).toBe('string');
  });

  it('a path Fastify cannot decode: 400 CONSOLE_ERR_BAD_REQUEST, never its own FST_ERR_BAD_URL', async () => {
    for (const url of ['/api/%zz', '/assets/app.js%']) {
      const res = await app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json<Record<string, unknown>>();
      expect(Object.keys(body).sort()).toEqual(['code', 'error']);
      expect(body.code).toBe('CONSOLE_ERR_BAD_REQUEST');
      expect(typeof body.error).toBe('string');
    }
  });
});
