// registerSchemas against a fake registry (schema-registry-fake.ts): the five subjects registered
// with BACKWARD and their ids cached, retries on 5xx and on a start-up race, and an unreachable or
// silent registry given up at the deadline with a retriable error.
import { afterEach, describe, expect, it } from 'vitest';
import { TransformerError } from '../../../services/common/src/errors.js';
import { DOMAIN_KEYS } from '../../../services/common/src/topics.js';
import { registerSchemas } from '../../../services/transformer/src/avro/schema-catalog.js';
import { schemas } from './schema-catalog-setup.js';
import {
  closeFakeRegistries,
  fakeRegistry,
  fast,
  healthy,
  names,
  reply,
  servers,
} from './schema-registry-fake.js';

afterEach(closeFakeRegistries);

describe('registerSchemas (fault injection)', () => {
  it('registers the five subjects with BACKWARD and caches their ids', async () => {
    const fake = await fakeRegistry(healthy());
    const result = await registerSchemas(fake.url, names, fast);
    expect(result.ids).toEqual({
      contact: 1,
      opportunity: 2,
      conversation: 3,
      appointment: 4,
      workflow: 5,
    });
    const posts = fake.calls.filter((c) => c.method === 'POST').map((c) => c.path);
    expect(posts).toEqual(DOMAIN_KEYS.map((d) => `/subjects/unit.neuronx.${d}-value/versions`));
    const puts = fake.calls.filter((c) => c.method === 'PUT');
    expect(puts.map((c) => JSON.parse(c.body) as unknown)).toEqual(
      DOMAIN_KEYS.map(() => ({ compatibility: 'BACKWARD' })),
    );
    const posted = JSON.parse(fake.calls.find((c) => c.method === 'POST')!.body) as {
      schema: string;
    };
    expect(JSON.parse(posted.schema)).toEqual(schemas.contact);
    expect(result.encode('contact', catalogValue()).readInt32BE(1)).toBe(1);
  });

  it('retries 5xx with backoff, then succeeds', async () => {
    let failures = 2;
    const ok = healthy();
    const fake = await fakeRegistry((call, res) => {
      if (call.method === 'POST' && failures-- > 0)
        return reply(res, 503, { message: 'warming up' });
      ok(call, res);
    });
    const retries: string[] = [];
    const result = await registerSchemas(fake.url, names, {
      ...fast,
      onRetry: ({ error }) => retries.push((error as TransformerError).code),
    });
    expect(retries).toEqual(['TRF_ERR_REGISTRY_UNAVAILABLE', 'TRF_ERR_REGISTRY_UNAVAILABLE']);
    expect(result.ids.contact).toBe(1);
  });

  it('gives up on an unreachable registry at the deadline with a retriable error', async () => {
    const fake = await fakeRegistry(healthy());
    const url = fake.url;
    await new Promise((r) => servers.pop()!.close(r)); // nothing listens there any more
    let retries = 0;
    const started = Date.now();
    const error = await registerSchemas(url, names, {
      ...fast,
      deadline: Date.now() + 400,
      onRetry: () => retries++,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransformerError);
    expect((error as TransformerError).code).toBe('TRF_ERR_REGISTRY_UNAVAILABLE');
    expect((error as TransformerError).retriable).toBe(true);
    expect((error as Error).message).toMatch(/gave up registering unit.neuronx.contact-value/);
    expect(retries).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a registry that never answers and keeps retrying until the deadline', async () => {
    const fake = await fakeRegistry(() => undefined); // accepts, never responds
    const error = await registerSchemas(fake.url, names, {
      ...fast,
      requestTimeoutMs: 100,
      deadline: Date.now() + 500,
    }).catch((e: unknown) => e);
    expect((error as TransformerError).code).toBe('TRF_ERR_REGISTRY_UNAVAILABLE');
    expect(fake.calls.length).toBeGreaterThan(1);
  });
  // Regression: two transformers starting together; the second got this 409 while setting the
  // compatibility rule the first had just created, took it for an incompatible schema and exited.
  it("retries Apicurio's 409 'rule already exists' (a start-up race), then succeeds", async () => {
    let races = 1;
    const ok = healthy();
    const fake = await fakeRegistry((call, res) => {
      if (call.method === 'PUT' && races-- > 0)
        return reply(res, 409, {
          error_code: 409,
          message: "Confluent_Schema_Registry - A rule named 'COMPATIBILITY' already exists.",
        });
      ok(call, res);
    });
    const retries: string[] = [];
    const result = await registerSchemas(fake.url, names, {
      ...fast,
      onRetry: ({ error }) => retries.push((error as TransformerError).code),
    });
    expect(retries).toEqual(['TRF_ERR_REGISTRY_UNAVAILABLE']);
    expect(Object.keys(result.ids)).toEqual([...DOMAIN_KEYS]);
  });
});

function catalogValue() {
  return {
    eventId: 'e',
    type: 'neuronx.contact.deleted',
    sourceEventType: 'ContactDelete',
    tenantId: null,
    locationId: 'l',
    companyId: null,
    occurredAt: 1,
    receivedAt: 1,
    payload: { 'com.neuronx.events.ContactDeleted': { contactId: 'c' } },
    attributes: {},
  };
}
