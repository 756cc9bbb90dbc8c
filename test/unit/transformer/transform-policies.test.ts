// transform's policies: unmapped event types (DLQ or skip) and unknown locations (tenantId null
// or DLQ), and the locationId it asks the tenant store for.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { POISON_FIXTURES, SEED_FIXTURES, rawRecordOf } from '../../fixtures/index.js';
import { context, dlqOf } from './transform-setup.js';

describe('transform: policies', () => {
  const unmapped = POISON_FIXTURES.find((p) => p.name === 'unmapped-ghl-type')!;
  const seedContact = SEED_FIXTURES.find((f) => f.name === 'contact.created')!;
  const unknownLocation = Buffer.from(
    seedContact.bytes.toString('utf8').replace('"loc_123"', '"loc_unknown"'),
  );

  it('sends unmapped types to the DLQ under policy dlq', () => {
    const d = dlqOf(transform(rawRecordOf(unmapped.bytes, { eventId: 'e1' }), context()));
    expect(d).toMatchObject({ reason: 'unmapped_event_type', stage: 'map', eventId: 'e1' });
    expect(d.message).toContain('InvoiceCreate');
  });

  it('skips unmapped types under policy skip', () => {
    const d = transform(
      rawRecordOf(unmapped.bytes, { eventId: 'e1' }),
      context({ unmappedEventPolicy: 'skip' }),
    );
    expect(d).toMatchObject({ kind: 'skip', reason: 'unmapped_event_type', eventId: 'e1' });
  });

  it('skip policy does not hide other failures', () => {
    const bad = POISON_FIXTURES.find((p) => p.name === 'contact-without-id')!;
    expect(transform(rawRecordOf(bad.bytes), context({ unmappedEventPolicy: 'skip' })).kind).toBe(
      'dlq',
    );
  });

  it('emits tenantId null for an unknown location under policy null', () => {
    const d = transform(rawRecordOf(unknownLocation), context());
    expect(d.kind).toBe('emit');
    expect(d.kind === 'emit' && d.value.tenantId).toBeNull();
    expect(d.kind === 'emit' && d.value.locationId).toBe('loc_unknown');
  });

  it('sends an unknown location to the DLQ under policy dlq, and a known one through', () => {
    const d = dlqOf(
      transform(rawRecordOf(unknownLocation), context({ unknownTenantPolicy: 'dlq' })),
    );
    expect(d).toMatchObject({ reason: 'unknown_tenant', stage: 'tenant' });
    const known = transform(
      rawRecordOf(seedContact.bytes),
      context({ unknownTenantPolicy: 'dlq' }),
    );
    expect(known.kind === 'emit' && known.value.tenantId).toBe('tenant-seed');
  });

  it('asks the tenant store for the locationId of the body', () => {
    const asked: string[] = [];
    transform(
      rawRecordOf(seedContact.bytes),
      context({ tenantOf: (l) => (asked.push(l), undefined) }),
    );
    expect(asked).toEqual(['loc_123']);
  });
});
