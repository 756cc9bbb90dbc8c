// registerSchemas when the registry says no, and its compatibility rules: an incompatible schema
// (409) and rejected credentials (401) fail at once, without retries; a subject left without a
// rule is set to BACKWARD first, a stricter level is kept and a weaker one refused.
import { afterEach, describe, expect, it } from 'vitest';
import type { TransformerError } from '../../../services/common/src/errors.js';
import { DOMAIN_KEYS } from '../../../services/common/src/topics.js';
import { registerSchemas } from '../../../services/transformer/src/avro/schema-catalog.js';
import {
  closeFakeRegistries,
  fakeRegistry,
  fast,
  healthy,
  names,
  reply,
  type Handler,
} from './schema-registry-fake.js';

afterEach(closeFakeRegistries);

describe('registerSchemas (fault injection)', () => {
  it('fails at once on 409 with TRF_ERR_SCHEMA_INCOMPATIBLE naming the subject and the diff', async () => {
    const ok = healthy();
    const fake = await fakeRegistry((call, res) => {
      if (call.method === 'POST' && call.path.includes('opportunity'))
        return reply(res, 409, {
          error_code: 409,
          message:
            'Incompatible artifact: num of incompatible diffs: {1}, list of diff types: [x at /fields/10]',
        });
      ok(call, res);
    });
    let retries = 0;
    const error = await registerSchemas(fake.url, names, {
      ...fast,
      onRetry: () => retries++,
    }).catch((e: unknown) => e);
    expect((error as TransformerError).code).toBe('TRF_ERR_SCHEMA_INCOMPATIBLE');
    expect((error as TransformerError).retriable).toBe(false);
    expect((error as Error).message).toContain('unit.neuronx.opportunity-value');
    expect((error as Error).message).toContain('schemas/opportunity.avsc');
    expect((error as Error).message).toContain('x at /fields/10');
    expect(retries).toBe(0);
  });
  it('fails at once on 401 with TRF_ERR_REGISTRY_REJECTED', async () => {
    const fake = await fakeRegistry((_call, res) => reply(res, 401, { message: 'Unauthorized' }));
    let retries = 0;
    const error = await registerSchemas(fake.url, names, {
      ...fast,
      onRetry: () => retries++,
    }).catch((e: unknown) => e);
    expect((error as TransformerError).code).toBe('TRF_ERR_REGISTRY_REJECTED');
    expect((error as TransformerError).retriable).toBe(false);
    expect(retries).toBe(0);
  });

  it('repairs a subject left without a rule (Apicurio answers NONE) to BACKWARD before registering', async () => {
    const fake = await fakeRegistry(healthy({ 'unit.neuronx.contact-value': 'NONE' }));
    await registerSchemas(fake.url, names, fast);
    const contactCalls = fake.calls.filter((c) => c.path.includes('unit.neuronx.contact-value'));
    const firstPut = contactCalls.findIndex((c) => c.method === 'PUT');
    const post = contactCalls.findIndex((c) => c.method === 'POST');
    expect(firstPut).toBeGreaterThanOrEqual(0);
    expect(firstPut).toBeLessThan(post);
    expect(JSON.parse(contactCalls[firstPut]!.body)).toEqual({ compatibility: 'BACKWARD' });
  });

  it('accepts a stricter level as set, and refuses a weaker one (FORWARD) without registering', async () => {
    const level = (l: string): Handler =>
      healthy(Object.fromEntries(DOMAIN_KEYS.map((d) => [`unit.neuronx.${d}-value`, l])));
    const strict = await fakeRegistry(level('FULL_TRANSITIVE'));
    await registerSchemas(strict.url, names, fast);
    expect(strict.calls.filter((c) => c.method === 'PUT')).toEqual([]);

    const weak = await fakeRegistry(level('FORWARD'));
    const error = await registerSchemas(weak.url, names, fast).catch((e: unknown) => e);
    expect((error as TransformerError).code).toBe('TRF_ERR_SCHEMA_INCOMPATIBLE');
    expect((error as Error).message).toMatch(/compatibility FORWARD.*BACKWARD/);
    expect(weak.calls.filter((c) => c.method === 'POST')).toEqual([]);
  });
});
