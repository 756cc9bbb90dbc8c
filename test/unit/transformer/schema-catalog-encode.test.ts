// The schema catalog's encode: the wire format (magic byte, schema id) that a generic Avro decoder
// reads back, for every fixture and random values of every payload record; defaults, large
// values, validation errors that name paths without values; subject names and refused schemas.
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { TransformerError } from '../../../services/common/src/errors.js';
import { DOMAIN_KEYS, type Domain } from '../../../services/common/src/topics.js';
import {
  avroTypeOf,
  subjectOf,
  type AvroRecordSchema,
} from '../../../services/transformer/src/avro/schema-catalog.js';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { MAPPED_FIXTURES, rawRecordOf } from '../../fixtures/index.js';
import { IDS, catalog, schemas, type FieldSchema } from './schema-catalog-setup.js';

describe('schema catalog: encode', () => {
  const decoders = Object.fromEntries(
    // Default avsc options: what a generic consumer (the registry library's decode) uses.
    DOMAIN_KEYS.map((d) => [d, avro.Type.forSchema(schemas[d] as avro.Schema)]),
  ) as Record<Domain, avro.Type>;

  const decode = (domain: Domain, buf: Buffer): unknown => {
    expect(buf[0]).toBe(0); // magic byte
    expect(buf.readInt32BE(1)).toBe(IDS[domain]); // schema id, big-endian
    return decoders[domain].fromBuffer(buf.subarray(5));
  };

  it.each(MAPPED_FIXTURES.map((f) => [`${f.format} ${f.name}`, f] as const))(
    'round-trips the transform output of %s',
    (_label, fixture) => {
      const d = transform(rawRecordOf(fixture.bytes, { eventId: 'e' }), {
        tenantOf: () => 'tenant-1',
        unknownTenantPolicy: 'null',
        unmappedEventPolicy: 'dlq',
      });
      if (d.kind !== 'emit') throw new Error(d.message);
      expect(decode(d.domain, catalog.encode(d.domain, d.value))).toEqual(d.value);
    },
  );

  const branches = DOMAIN_KEYS.flatMap((domain) =>
    (
      (avroTypeOf(domain, schemas[domain]) as avro.types.RecordType).field('payload')
        .type as avro.types.WrappedUnionType
    ).types.map((branch) => [branch.name!, domain, branch] as const),
  );
  it('has a round-trip case for each of the 21 payload records', () => {
    expect(branches).toHaveLength(21);
  });

  it.each(branches)('round-trips random values of %s', (name, domain, branch) => {
    for (let i = 0; i < 20; i++) {
      const value = {
        eventId: `e-${i}`,
        type: 'neuronx.test',
        sourceEventType: 'test',
        tenantId: i % 2 ? null : 't',
        locationId: 'l',
        companyId: null,
        occurredAt: 1_700_000_000_000 + i,
        receivedAt: 1_700_000_000_500,
        payload: { [name]: branch.random() as unknown },
        attributes: i % 2 ? {} : { k: '"v"' },
      };
      expect(decode(domain, catalog.encode(domain, value))).toEqual(value);
    }
  });

  it('fills defaults for omitted optional fields (older writers stay valid)', () => {
    const buf = catalog.encode('contact', {
      eventId: 'e',
      type: 'neuronx.contact.deleted',
      sourceEventType: 'contact.deleted',
      locationId: 'l',
      occurredAt: 1,
      receivedAt: 2,
      payload: { 'com.neuronx.events.ContactDeleted': { contactId: 'c' } },
    });
    expect(decode('contact', buf)).toMatchObject({
      tenantId: null,
      companyId: null,
      attributes: {},
    });
  });

  it('grows its scratch buffer for large values and returns independent buffers', () => {
    const big = 'x'.repeat(200_000);
    const value = (body: string) => ({
      eventId: 'e',
      type: 'neuronx.message.received',
      sourceEventType: 'InboundMessage',
      tenantId: null,
      locationId: 'l',
      companyId: null,
      occurredAt: 1,
      receivedAt: 2,
      payload: {
        'com.neuronx.events.MessageReceived': {
          conversationId: 'cv',
          messageId: null,
          contactId: null,
          channel: null,
          direction: null,
          body,
          attachments: [],
        },
      },
      attributes: {},
    });
    const first = catalog.encode('conversation', value(big));
    const second = catalog.encode('conversation', value('small'));
    expect(first.length).toBeGreaterThan(200_000);
    expect(decode('conversation', first)).toEqual(value(big));
    expect(decode('conversation', second)).toEqual(value('small'));
  });

  it('throws TRF_ERR_SCHEMA_VALIDATION naming the invalid paths, without the values', () => {
    const bad = {
      eventId: 'e',
      type: 'neuronx.contact.ingested',
      sourceEventType: 'contact.created',
      tenantId: null,
      locationId: 'l',
      companyId: null,
      occurredAt: 1.5, // not a long
      receivedAt: 2,
      payload: {
        'com.neuronx.events.ContactIngested': {
          contactId: 'c',
          email: 12345,
          phone: null,
          firstName: null,
          lastName: null,
          tags: [],
        },
      },
      attributes: {},
    };
    let error: unknown;
    try {
      catalog.encode('contact', bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TransformerError);
    const e = error as TransformerError;
    expect(e.code).toBe('TRF_ERR_SCHEMA_VALIDATION');
    expect(e.dlqReason).toBe('schema_validation');
    expect(e.retriable).toBe(false);
    expect(e.message).toContain('schemas/contact.avsc');
    expect(e.message).toContain('occurredAt');
    expect(e.message).toContain('payload.com.neuronx.events.ContactIngested.email');
    expect(e.message).not.toContain('12345');
  });

  it('rejects a payload that names no branch of the union', () => {
    const value = {
      eventId: 'e',
      type: 't',
      sourceEventType: 's',
      locationId: 'l',
      occurredAt: 1,
      receivedAt: 1,
    };
    expect(() =>
      catalog.encode('workflow', { ...value, payload: { WorkflowStarted: {} } }),
    ).toThrow(/TRF_ERR_SCHEMA_VALIDATION|invalid at payload/);
    expect(() => catalog.encode('workflow', { ...value, payload: null })).toThrow(TransformerError);
  });

  it('names subjects <topic>-value', () => {
    expect(subjectOf('neuronx.contact')).toBe('neuronx.contact-value');
    expect(catalog.subjects.contact).toBe('neuronx.contact-value');
    expect(catalog.ids).toEqual(IDS);
  });

  it('refuses schemas whose payload is not a wrapped union of records, or outside the namespace', () => {
    const contact = structuredClone<AvroRecordSchema>(schemas.contact);
    const single = {
      ...contact,
      fields: contact.fields.map((f) =>
        (f as FieldSchema).name === 'payload'
          ? { ...(f as object), type: (f as { type: unknown[] }).type[0] }
          : f,
      ),
    };
    expect(() => avroTypeOf('contact', single)).toThrow(/payload.*union/);
    expect(() => avroTypeOf('contact', { ...contact, namespace: 'other' })).toThrow(/namespace/);
    expect(() => avroTypeOf('contact', { type: 'record' })).toThrow(
      /schemas\/contact.avsc is not a valid/,
    );
  });
});
