import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { TransformerError } from '../../../services/common/src/errors.js';
import { DOMAIN_KEYS, topicNames, type Domain } from '../../../services/common/src/topics.js';
import { EVENT_MAPPINGS } from '../../../services/transformer/src/mapping/event-mapping.js';
import {
  avroTypeOf,
  createCatalog,
  loadSchemas,
  registerSchemas,
  subjectOf,
  type AvroRecordSchema,
} from '../../../services/transformer/src/avro/schema-catalog.js';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { MAPPED_FIXTURES, rawRecordOf } from '../../fixtures/index.js';

const IDS: Record<Domain, number> = {
  contact: 11,
  opportunity: 12,
  conversation: 13,
  appointment: 14,
  workflow: 15,
};
const schemas = loadSchemas();
const catalog = createCatalog(IDS, { schemas });

type FieldSchema = { name: string; type: unknown; default?: unknown };
const fieldsOf = (schema: unknown): FieldSchema[] => (schema as { fields: FieldSchema[] }).fields;
const payloadRecords = (domain: Domain) =>
  fieldsOf(schemas[domain]).find((f) => f.name === 'payload')!.type as Array<{
    name: string;
    fields: FieldSchema[];
  }>;

describe('schemas/*.avsc: the contract', () => {
  it.each(DOMAIN_KEYS)('%s: envelope fields exactly as downstream code expects', (domain) => {
    const schema = schemas[domain];
    expect(schema.namespace).toBe('com.neuronx.events');
    expect(schema.name).toBe(`${domain[0]!.toUpperCase()}${domain.slice(1)}Event`);
    const ts = { type: 'long', logicalType: 'timestamp-millis' };
    const envelope = fieldsOf(schema).map(({ name, type, default: d }) =>
      name === 'payload' ? { name } : { name, type, default: d },
    );
    expect(envelope).toEqual([
      { name: 'eventId', type: 'string', default: undefined },
      { name: 'type', type: 'string', default: undefined },
      { name: 'sourceEventType', type: 'string', default: undefined },
      { name: 'tenantId', type: ['null', 'string'], default: null },
      { name: 'locationId', type: 'string', default: undefined },
      { name: 'companyId', type: ['null', 'string'], default: null },
      { name: 'occurredAt', type: ts, default: undefined },
      { name: 'receivedAt', type: ts, default: undefined },
      { name: 'payload' },
      { name: 'attributes', type: { type: 'map', values: 'string' }, default: {} },
    ]);
  });

  // Required (non-null, no default) payload fields: the key parts and the few fields an event
  // is meaningless without. Everything else must be optional so the schema can evolve.
  const REQUIRED = new Set([
    'contactId',
    'opportunityId',
    'conversationId',
    'appointmentId',
    'workflowId',
    'stepId',
    'tag',
    'field',
  ]);

  it.each(DOMAIN_KEYS)(
    '%s: optional fields are nullable with default null, arrays default []',
    (domain) => {
      const check = (record: { name: string; fields: FieldSchema[] }) => {
        for (const f of record.fields) {
          const where = `${record.name}.${f.name}`;
          if (Array.isArray(f.type)) {
            expect(f.type[0], where).toBe('null');
            expect(f.default, where).toBeNull();
          } else if ((f.type as { type?: string }).type === 'array') {
            expect(f.default, where).toEqual([]);
            const items = (f.type as { items: unknown }).items;
            if (typeof items === 'object') check(items as { name: string; fields: FieldSchema[] });
          } else {
            expect(REQUIRED.has(f.name), `${where} is required`).toBe(true);
            expect(f.type, where).toBe('string');
          }
        }
      };
      for (const record of payloadRecords(domain)) check(record);
    },
  );

  // Every key field of the seed per-category tables, as the typed field that carries it.
  const SEED_KEY_FIELDS: Record<string, string[]> = {
    ContactIngested: ['contactId', 'email', 'phone'],
    ContactUpdated: ['contactId', 'changes'],
    ContactDeleted: ['contactId'],
    ContactTagged: ['contactId', 'tag'],
    ContactUntagged: ['contactId', 'tag'],
    OpportunityCreated: ['opportunityId', 'contactId', 'pipelineId', 'value'],
    OpportunityUpdated: ['opportunityId', 'changes', 'oldValue', 'newValue'],
    OpportunityDeleted: ['opportunityId', 'contactId'],
    OpportunityStageChanged: ['opportunityId', 'oldStageId', 'newStageId', 'contactId'],
    ConversationStarted: ['conversationId', 'contactId', 'channel'],
    MessageSent: ['conversationId', 'messageId', 'channel'],
    MessageReceived: ['conversationId', 'messageId', 'channel'],
    ConversationStatusChanged: ['conversationId', 'oldStatus', 'newStatus'],
    AppointmentBooked: ['appointmentId', 'contactId', 'startTime', 'endTime'],
    AppointmentUpdated: ['appointmentId', 'changes', 'contactId'],
    AppointmentCancelled: ['appointmentId', 'contactId', 'reason'],
    AppointmentCompleted: ['appointmentId', 'contactId', 'duration'],
    WorkflowStarted: ['workflowId', 'contactId', 'trigger'],
    WorkflowStepCompleted: ['workflowId', 'stepId', 'contactId'],
    WorkflowCompleted: ['workflowId', 'contactId', 'outcome'],
    WorkflowFailed: ['workflowId', 'contactId', 'error'],
  };

  it('types every key field of the seed tables', () => {
    for (const mapping of Object.values(EVENT_MAPPINGS)) {
      const record = payloadRecords(mapping.domain).find((r) => r.name === mapping.record);
      expect(record, mapping.record).toBeDefined();
      const names = record!.fields.map((f) => f.name);
      expect(names).toEqual(expect.arrayContaining(SEED_KEY_FIELDS[mapping.record]!));
    }
  });
});

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

// ---------------------------------------------------------------------------------------------
// registerSchemas against a small fake of the Confluent API, to inject faults (the real registry
// is exercised by test/integration/transformer/schema-registry.test.ts).

interface FakeCall {
  method: string;
  path: string;
  body: string;
}
type Handler = (call: FakeCall, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections(); // the never-answering fake holds its requests open
      return new Promise((r) => s.close(r));
    }),
  );
});

async function fakeRegistry(handler: Handler): Promise<{ url: string; calls: FakeCall[] }> {
  const calls: FakeCall[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const call = { method: req.method ?? '', path: decodeURIComponent(req.url ?? ''), body };
      calls.push(call);
      handler(call, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

const reply = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/**
 * A healthy registry: subjects start without config (404) unless `levels` says otherwise, PUT
 * /config sets the level, registration returns ids 1..5.
 */
const healthy = (levels: Record<string, string> = {}): Handler => {
  let next = 1;
  const config = new Map(Object.entries(levels));
  return (call, res) => {
    const subject = call.path.replace(/^\/(config|subjects)\//, '').replace(/\/versions$/, '');
    if (call.method === 'GET' && call.path.startsWith('/config/')) {
      const level = config.get(subject);
      return level
        ? reply(res, 200, { compatibilityLevel: level })
        : reply(res, 404, { error_code: 40401, message: 'Subject not found.' });
    }
    if (call.method === 'PUT') {
      const body = JSON.parse(call.body) as { compatibility: string };
      config.set(subject, body.compatibility);
      return reply(res, 200, body);
    }
    if (call.method === 'POST') return reply(res, 200, { id: next++ });
    reply(res, 500, {});
  };
};

const names = topicNames('unit.');
const fast = { initialBackoffMs: 10, maxBackoffMs: 50, requestTimeoutMs: 500 };

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
