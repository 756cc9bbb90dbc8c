// schemas/*.avsc against the real registry (Apicurio's Confluent API locally): registration under
// `<topic>-value` with BACKWARD, idempotence, a generic Confluent consumer decoding our bytes, and
// an incompatible schema edit failing start-up with a clear error.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { TransformerError } from '../../../services/common/src/errors.js';
import { DOMAIN_KEYS, topicNames, type TopicNames } from '../../../services/common/src/topics.js';
import {
  loadSchemas,
  registerSchemas,
  subjectOf,
  type AvroRecordSchema,
} from '../../../services/transformer/src/avro/schema-catalog.js';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { MAPPED_FIXTURES, rawRecordOf } from '../../fixtures/index.js';
import { stackEnv, uniquePrefix } from '../../helpers/integration.js';

const registryUrl = () => stackEnv().registryUrl;
const subjectsToDelete: string[] = [];

function freshNames(): TopicNames {
  const names = topicNames(uniquePrefix('schemas'));
  subjectsToDelete.push(...DOMAIN_KEYS.map((d) => subjectOf(names[d])));
  return names;
}

async function getJson(path: string): Promise<unknown> {
  const res = await fetch(`${registryUrl()}${path}`);
  expect(res.status, path).toBe(200);
  return res.json();
}

afterAll(async () => {
  // Best effort: soft then hard delete, so repeated runs against a shared registry stay tidy.
  for (const subject of subjectsToDelete) {
    const url = `${registryUrl()}/subjects/${encodeURIComponent(subject)}`;
    await fetch(url, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${url}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

describe('schema catalog against the real schema registry', () => {
  it('registers all five subjects with BACKWARD; a fresh generic client decodes every fixture', async () => {
    const names = freshNames();
    const catalog = await registerSchemas(registryUrl(), names, { deadline: Date.now() + 60_000 });

    for (const domain of DOMAIN_KEYS) {
      const subject = subjectOf(names[domain]);
      expect(catalog.subjects[domain]).toBe(subject);
      expect(await getJson(`/config/${encodeURIComponent(subject)}`)).toMatchObject({
        compatibilityLevel: 'BACKWARD',
      });
      const latest = (await getJson(
        `/subjects/${encodeURIComponent(subject)}/versions/latest`,
      )) as { id: number; schema: string };
      expect(latest.id).toBe(catalog.ids[domain]);
      expect(JSON.parse(latest.schema)).toMatchObject({
        name: loadSchemas()[domain].name,
        namespace: 'com.neuronx.events',
      });
    }

    // A consumer that knows nothing but the registry URL (empty cache: fetches by id).
    const consumer = new SchemaRegistry({ host: registryUrl() });
    for (const fixture of MAPPED_FIXTURES) {
      const decision = transform(rawRecordOf(fixture.bytes, { eventId: `evt-${fixture.name}` }), {
        tenantOf: () => 'tenant-1',
        unknownTenantPolicy: 'null',
        unmappedEventPolicy: 'dlq',
      });
      if (decision.kind !== 'emit') throw new Error(`${fixture.name}: ${decision.message}`);
      const bytes = catalog.encode(decision.domain, decision.value);
      expect(bytes[0]).toBe(0);
      expect(bytes.readInt32BE(1)).toBe(catalog.ids[decision.domain]);
      const decoded = (await consumer.decode(bytes)) as Record<string, unknown>;
      expect(decoded, fixture.name).toEqual(decision.value);
      expect(decoded.type).toBe(fixture.expected.neuronxType);
      expect(decoded.payload).toEqual({
        [`com.neuronx.events.${fixture.expected.record}`]: expect.objectContaining(
          fixture.expected.fields,
        ) as unknown,
      });
    }
  });

  it('is idempotent: registering the same schemas again returns the same ids, no new versions', async () => {
    const names = freshNames();
    const first = await registerSchemas(registryUrl(), names);
    const second = await registerSchemas(registryUrl(), names);
    expect(second.ids).toEqual(first.ids);
    for (const domain of DOMAIN_KEYS) {
      const versions = await getJson(
        `/subjects/${encodeURIComponent(subjectOf(names[domain]))}/versions`,
      );
      expect(versions).toEqual([1]);
    }
  });

  it('accepts a compatible evolution (new field with a default) and refuses one without a default', async () => {
    const names = freshNames();
    const original = await registerSchemas(registryUrl(), names);
    const schemas = loadSchemas();

    const compatible = structuredClone<AvroRecordSchema>(schemas.contact);
    compatible.fields.push({ name: 'region', type: ['null', 'string'], default: null });
    const evolved = await registerSchemas(registryUrl(), names, {
      schemas: { ...schemas, contact: compatible },
    });
    expect(evolved.ids.contact).not.toBe(original.ids.contact);
    expect(evolved.ids.workflow).toBe(original.ids.workflow);

    const incompatible = structuredClone<AvroRecordSchema>(compatible);
    incompatible.fields.push({ name: 'mandatoryNewField', type: 'string' });
    const error = await registerSchemas(registryUrl(), names, {
      schemas: { ...schemas, contact: incompatible },
      deadline: Date.now() + 10_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransformerError);
    const e = error as TransformerError;
    expect(e.code).toBe('TRF_ERR_SCHEMA_INCOMPATIBLE');
    expect(e.retriable).toBe(false);
    expect(e.message).toContain(subjectOf(names.contact));
    expect(e.message).toContain('schemas/contact.avsc');
    expect(e.message).toMatch(/not BACKWARD compatible/);
    expect(e.message).toContain('mandatoryNewField'); // the registry's diff names the field
  });

  it('repairs a subject that exists without a compatibility rule, then enforces BACKWARD', async () => {
    const names = freshNames();
    const subject = subjectOf(names.workflow);
    // What a start that died between "register" and "set compatibility" leaves behind.
    const res = await fetch(`${registryUrl()}/subjects/${encodeURIComponent(subject)}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(loadSchemas().workflow) }),
    });
    expect(res.status).toBe(200);
    const { id: registeredId } = (await res.json()) as { id: number };
    const config = await fetch(`${registryUrl()}/config/${encodeURIComponent(subject)}`);
    // Confluent answers 404 here, Apicurio answers NONE: both must end up BACKWARD.
    if (config.status === 200)
      expect(((await config.json()) as { compatibilityLevel: string }).compatibilityLevel).not.toBe(
        'BACKWARD',
      );

    const catalog = await registerSchemas(registryUrl(), names);
    expect(catalog.ids.workflow).toBe(registeredId);
    expect(await getJson(`/config/${encodeURIComponent(subject)}`)).toMatchObject({
      compatibilityLevel: 'BACKWARD',
    });
  });
});
