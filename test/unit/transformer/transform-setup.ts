// Shared pieces of the transform test files: the tenant table, the transform context (DLQ for
// unmapped types, tenantId null for unknown locations unless overridden), and the emit and DLQ
// decisions of a record.
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import type {
  Decision,
  TransformContext,
} from '../../../services/transformer/src/mapping/transform-types.js';
import { rawRecordOf, type MappedFixture } from '../../fixtures/index.js';

export const TENANTS: Record<string, string> = {
  loc_123: 'tenant-seed',
  ve9EPM428h8vShlRW1KT: 'tenant-ghl',
};

export const context = (overrides: Partial<TransformContext> = {}): TransformContext => ({
  tenantOf: (locationId) => TENANTS[locationId],
  unknownTenantPolicy: 'null',
  unmappedEventPolicy: 'dlq',
  ...overrides,
});

export const RECEIVED_AT = '2024-06-01T12:00:00.000Z';

export function emitted(fixture: MappedFixture, ctx = context()) {
  const decision = transform(
    rawRecordOf(fixture.bytes, { eventId: `evt-${fixture.name}`, receivedAt: RECEIVED_AT }),
    ctx,
  );
  if (decision.kind !== 'emit')
    throw new Error(`${fixture.name}: ${decision.kind} ${decision.message}`);
  return decision;
}

export function dlqOf(decision: Decision) {
  if (decision.kind !== 'dlq') throw new Error(`expected dlq, got ${decision.kind}`);
  return decision;
}
