import { describe, expect, it } from 'vitest';
import {
  EVENT_MAPPINGS,
  type CanonicalType,
} from '../../../services/transformer/src/mapping/event-mapping.js';
import {
  buildPayload,
  encodeValue,
  PAYLOAD_BUILDERS,
  PayloadError,
  PayloadReader,
} from '../../../services/transformer/src/mapping/payload-builders.js';

const build = (canonicalType: CanonicalType, data: Record<string, unknown>) =>
  buildPayload(EVENT_MAPPINGS[canonicalType], data);

const reader = (data: Record<string, unknown>) => new PayloadReader(data, 'ContactIngested');

describe('payload builders', () => {
  it('have one builder per payload record', () => {
    expect(Object.keys(PAYLOAD_BUILDERS).sort()).toEqual(
      Object.values(EVENT_MAPPINGS)
        .map((m) => m.record)
        .sort(),
    );
  });

  it('wrap the record under its full Avro name and derive the key', () => {
    const built = build('contact.deleted', { id: 'c1' });
    expect(built.wrapped).toEqual({ 'com.neuronx.events.ContactDeleted': { contactId: 'c1' } });
    expect(built.key).toBe('c1');
    expect(built.attributes).toEqual({});
    const wf = build('workflow.step.completed', { workflowId: 'w', stepId: 's', contactId: 'c' });
    expect(wf.key).toBe('w:c');
  });

  it('keep every field no typed field took as JSON text, so nothing is lost', () => {
    const built = build('contact.created', {
      id: 'c1',
      email: 'a@example.com',
      contactId: 'other', // the unused spelling of the id is kept
      dnd: true,
      score: 7,
      note: 'hi',
      customFields: [{ id: 'f', value: 'v' }],
      empty: null,
    });
    expect(built.attributes).toEqual({
      contactId: '"other"',
      dnd: 'true',
      score: '7',
      note: '"hi"',
      customFields: '[{"id":"f","value":"v"}]',
      empty: 'null',
    });
  });

  it('consume explicit nulls of typed fields instead of copying them along', () => {
    const built = build('contact.created', { id: 'c1', email: null, tags: null });
    expect(built.record).toMatchObject({ email: null, tags: [] });
    expect(built.attributes).toEqual({});
  });
});

describe('payload builders: required fields', () => {
  it('accept non-blank strings and finite numbers (as their decimal string)', () => {
    expect(build('contact.deleted', { id: 12345 }).key).toBe('12345');
    expect(build('contact.deleted', { contactId: 'c2' }).key).toBe('c2');
  });

  it.each([
    ['missing', {}, /missing required field id or contactId/],
    ['null', { id: null }, /missing required field/],
    ['empty', { id: '' }, /must be a non-empty string, got an empty string/],
    ['blank', { id: '   ' }, /got an empty string/],
    ['object', { id: { oid: 'x' } }, /got object/],
    ['array', { id: ['x'] }, /got array/],
    ['boolean', { id: true }, /got boolean/],
  ])('refuse a %s id with PayloadError', (_label, data, message) => {
    expect(() => build('contact.deleted', data)).toThrow(PayloadError);
    expect(() => build('contact.deleted', data)).toThrow(message);
  });

  it('refuse a tag event without a tag and a workflow event without its key parts', () => {
    expect(() => build('contact.tag.added', { id: 'c' })).toThrow(
      /ContactTagged: missing required field tag/,
    );
    expect(() => build('workflow.completed', { workflowId: 'w' })).toThrow(/contactId/);
    expect(() => build('workflow.completed', { contactId: 'c' })).toThrow(/workflowId/);
    expect(() => build('workflow.step.completed', { workflowId: 'w', contactId: 'c' })).toThrow(
      /stepId/,
    );
  });

  it('never put field values in the error message', () => {
    try {
      build('contact.deleted', { id: { email: 'secret@example.com' } });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('secret');
    }
  });
});

describe('payload builders: coercions of optional fields', () => {
  it('stringify numbers and booleans in string fields (e.g. a numeric email or phone)', () => {
    const r = reader({ email: 12345, phone: 15551234567, firstName: false });
    expect(r.str('email')).toBe('12345');
    expect(r.str('phone')).toBe('15551234567');
    expect(r.str('firstName')).toBe('false');
    expect(r.attributes()).toEqual({});
  });

  it('leave objects/arrays in string fields null and keep the raw value as an attribute', () => {
    const built = build('contact.created', { id: 'c1', email: { primary: 'a@x' }, phone: ['1'] });
    expect(built.record).toMatchObject({ email: null, phone: null });
    expect(built.attributes).toEqual({ email: '{"primary":"a@x"}', phone: '["1"]' });
  });

  it('read numbers and numeric strings; keep anything else as an attribute', () => {
    expect(build('opportunity.created', { id: 'o', value: '5000.50' }).record).toMatchObject({
      value: 5000.5,
    });
    expect(build('opportunity.created', { id: 'o', monetaryValue: 10 }).record).toMatchObject({
      value: 10,
    });
    const bad = build('opportunity.created', { id: 'o', value: 'lots' });
    expect(bad.record).toMatchObject({ value: null });
    expect(bad.attributes).toEqual({ value: '"lots"' });
    const infinite = build(
      'opportunity.created',
      JSON.parse('{"id":"o","value":1e400}') as Record<string, unknown>,
    );
    expect(infinite.record).toMatchObject({ value: null });
    expect(infinite.attributes).toEqual({ value: 'null' }); // JSON cannot write Infinity
    expect(build('calendar.event.completed', { id: 'a', duration: '' }).record).toMatchObject({
      duration: null,
    });
  });

  it('read timestamps from ISO strings and epoch numbers; keep unparseable ones as attributes', () => {
    const built = build('calendar.event.created', {
      id: 'a',
      startTime: '2024-01-10T15:00:00Z',
      endTime: 1_704_900_600,
    });
    expect(built.record).toMatchObject({
      startTime: Date.parse('2024-01-10T15:00:00Z'),
      endTime: 1_704_900_600_000,
    });
    const bad = build('calendar.event.created', { id: 'a', startTime: 'next tuesday' });
    expect(bad.record).toMatchObject({ startTime: null });
    expect(bad.attributes).toEqual({ startTime: '"next tuesday"' });
  });

  it('JSON-encode non-string free text (oldValue/newValue, trigger, outcome, error, reason)', () => {
    expect(
      build('opportunity.updated', { id: 'o', oldValue: 5000, newValue: { a: 1 } }).record,
    ).toMatchObject({
      oldValue: '5000',
      newValue: '{"a":1}',
    });
    expect(
      build('workflow.failed', { workflowId: 'w', contactId: 'c', error: { code: 'E1' } }).record,
    ).toMatchObject({
      error: '{"code":"E1"}',
    });
    expect(encodeValue('as-is')).toBe('as-is');
    expect(encodeValue(undefined)).toBeNull();
    expect(encodeValue(false)).toBe('false');
  });

  it('keep strings in string lists and JSON-encode other entries', () => {
    const built = build('conversation.message.received', {
      conversationId: 'cv',
      attachments: ['https://x/a.png', { url: 'https://x/b.pdf' }, 3],
    });
    expect(built.record).toMatchObject({
      attachments: ['https://x/a.png', '{"url":"https://x/b.pdf"}', '3'],
    });
    const notList = build('contact.created', { id: 'c', tags: 'vip,lead' });
    expect(notList.record).toMatchObject({ tags: [] });
    expect(notList.attributes).toEqual({ tags: '"vip,lead"' });
    expect(build('contact.updated', { id: 'c' }).record).toMatchObject({ tags: null });
  });
});

describe('payload builders: changes[]', () => {
  it('accept field names and {field, oldValue, newValue} objects, JSON-encoding non-strings', () => {
    const built = build('contact.updated', {
      id: 'c',
      changes: [
        'phone',
        { field: 'score', oldValue: 1, newValue: 2 },
        { field: 'email', newValue: 'b@x' },
      ],
    });
    expect(built.record).toMatchObject({
      changes: [
        { field: 'phone', oldValue: null, newValue: null },
        { field: 'score', oldValue: '1', newValue: '2' },
        { field: 'email', oldValue: null, newValue: 'b@x' },
      ],
    });
    expect(built.attributes).toEqual({});
  });

  it('keep the raw list as an attribute when an entry has more than field/oldValue/newValue', () => {
    const changes = [{ field: 'email', oldValue: 'a', newValue: 'b', changedBy: 'u1' }];
    const built = build('calendar.event.updated', { id: 'a', changes });
    expect(built.record).toMatchObject({
      changes: [{ field: 'email', oldValue: 'a', newValue: 'b' }],
    });
    expect(built.attributes).toEqual({ changes: JSON.stringify(changes) });
  });

  it('type nothing and keep the raw value when an entry is neither a name nor a change object', () => {
    for (const changes of [[42], [{ oldValue: 1 }], [null], 'email']) {
      const built = build('opportunity.updated', { id: 'o', changes });
      expect(built.record).toMatchObject({ changes: [] });
      expect(built.attributes).toEqual({ changes: JSON.stringify(changes) });
    }
  });
});
