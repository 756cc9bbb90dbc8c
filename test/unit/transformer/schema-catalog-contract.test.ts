// schemas/*.avsc as downstream code relies on them: the envelope fields, optional payload fields
// nullable with defaults (so the schemas can evolve), and every key field of the seed tables typed.
import { describe, expect, it } from 'vitest';
import { DOMAIN_KEYS, type Domain } from '../../../services/common/src/topics.js';
import { EVENT_MAPPINGS } from '../../../services/transformer/src/mapping/event-mapping.js';
import { fieldsOf, schemas, type FieldSchema } from './schema-catalog-setup.js';

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
