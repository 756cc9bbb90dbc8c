// POST /webhooks/ghl when the sink fails: Kafka trouble is a 429 with Retry-After, anything else
// a 500 whose body gives nothing away.
import { afterEach, describe, expect, it } from 'vitest';
import { IngressError } from '../../../services/common/src/errors.js';
import {
  closeApps,
  expectErrorBody,
  hmac,
  post,
  RecordingSink,
  seedBody,
  setup,
} from './app-harness.js';

afterEach(closeApps);

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
