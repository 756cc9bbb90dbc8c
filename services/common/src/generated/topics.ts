// GENERATED from infra/topics.json by tools/schema-types-generator.ts
// (`npm run schemas:types`). Do not edit: a unit test fails when this file and infra/topics.json
// drift. services/common/src/topics.ts is the module to import.

/** Every topic role, in file order. */
export const TOPIC_KEYS = [
  'raw',
  'contact',
  'opportunity',
  'conversation',
  'appointment',
  'workflow',
  'dlq',
  'dedup',
  'tenants',
] as const;

/** The NeuronX domain topics: the entries with `domain`. */
export const DOMAIN_KEYS = [
  'contact',
  'opportunity',
  'conversation',
  'appointment',
  'workflow',
] as const;

/** Each domain topic's `domain.keyFields`: the payload fields of its Kafka key, joined by ':'. */
export const DOMAIN_KEY_FIELDS = {
  contact: ['contactId'] as const,
  opportunity: ['opportunityId'] as const,
  conversation: ['conversationId'] as const,
  appointment: ['appointmentId'] as const,
  workflow: ['workflowId', 'contactId'] as const,
};
