// Smoke test of @kafkajs/confluent-schema-registry 3.x against Apicurio's Confluent-compatible API.
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { stackEnv, uniquePrefix } from '../../helpers/integration.js';

const v1 = {
  type: 'record',
  name: 'SmokeEvent',
  namespace: 'com.neuronx.smoke',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'occurredAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};
const v2WithDefault = {
  ...v1,
  fields: [...v1.fields, { name: 'tenantId', type: ['null', 'string'], default: null }],
};
const v3WithoutDefault = {
  ...v1,
  fields: [...v2WithDefault.fields, { name: 'required', type: 'string' }],
};

describe('schema registry client 3.x against the real registry (Apicurio ccompat API when local)', () => {
  it('registers under <topic>-value, encodes to Confluent wire format, decodes, and rejects an incompatible change', async () => {
    const registry = new SchemaRegistry({ host: stackEnv().registryUrl });
    const subject = `${uniquePrefix('smoke')}neuronx.contact-value`;
    const opts = { subject, compatibility: COMPATIBILITY.BACKWARD };

    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v1) },
      opts,
    );
    const encoded = await registry.encode(id, { eventId: 'evt-1', occurredAt: 1_700_000_000_000 });
    expect(encoded[0]).toBe(0); // magic byte
    expect(encoded.readInt32BE(1)).toBe(id); // schema id, big-endian
    // A second client with an empty cache fetches the writer schema by id from the registry.
    const decoded = (await new SchemaRegistry({ host: stackEnv().registryUrl }).decode(
      encoded,
    )) as Record<string, unknown>;
    expect(decoded.eventId).toBe('evt-1');
    // avsc without a logical-type implementation keeps timestamp-millis as epoch millis.
    expect(decoded.occurredAt).toBe(1_700_000_000_000);

    const second = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v2WithDefault) },
      opts,
    );
    expect(second.id).not.toBe(id);
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v3WithoutDefault) }, opts),
    ).rejects.toMatchObject({ status: 409 });

    const config = await fetch(`${stackEnv().registryUrl}/config/${encodeURIComponent(subject)}`);
    expect(await config.json()).toMatchObject({ compatibilityLevel: 'BACKWARD' });
  });
});
