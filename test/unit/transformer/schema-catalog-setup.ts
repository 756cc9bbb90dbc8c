// Shared pieces of the schema-catalog test files: the schemas of schemas/*.avsc, a catalog over
// them with fixed registry ids, and the fields of a record schema.
import type { Domain } from '../../../services/common/src/topics.js';
import {
  createCatalog,
  loadSchemas,
} from '../../../services/transformer/src/avro/schema-catalog.js';

export const IDS: Record<Domain, number> = {
  contact: 11,
  opportunity: 12,
  conversation: 13,
  appointment: 14,
  workflow: 15,
};
export const schemas = loadSchemas();
export const catalog = createCatalog(IDS, { schemas });

export type FieldSchema = { name: string; type: unknown; default?: unknown };
export const fieldsOf = (schema: unknown): FieldSchema[] =>
  (schema as { fields: FieldSchema[] }).fields;
