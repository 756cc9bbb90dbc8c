// Schema-registry access for every part of the pipeline: the Avro contracts of schemas/*.avsc
// (loading and checking them) and the Confluent client that decodes values by schema id (`tail`).
// Registration under `<topic>-value` with BACKWARD compatibility (the transformer at start,
// `ghl-pipeline schemas register`, `npm start`) is schema-registration.ts; the BACKWARD check of
// `schemas check` is schema-compat-check.ts. The transformer's encoder on top of the registered
// ids is services/transformer/src/avro/schema-catalog.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { projectRoot } from './project-root.js';
import { DOMAIN_KEYS, type Domain } from './topics.js';

export const EVENTS_NAMESPACE = 'com.neuronx.events';

/** A top-level Avro record schema as read from an .avsc file. */
export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  fields: unknown[];
  [key: string]: unknown;
}
export type DomainSchemas = Readonly<Record<Domain, AvroRecordSchema>>;

/**
 * avsc options for every Type built from our schemas. `wrapUnions: 'auto'` is avsc's default,
 * i.e. exactly what a generic Confluent consumer (the registry library's `decode`) uses: the
 * payload union (several records) is wrapped, `{ 'com.neuronx.events.ContactIngested': {...} }`,
 * while `["null", T]` fields stay plain values. Encoding with the same option means the values
 * a consumer decodes are the values we built. avroTypeOf() checks the payload union is wrapped.
 */
export const AVRO_TYPE_OPTIONS = Object.freeze({ wrapUnions: 'auto' as const });

export const subjectOf = (topic: string): string => `${topic}-value`;
export const schemaFile = (domain: Domain): string => `schemas/${domain}.avsc`;

/** Reads and checks schemas/<domain>.avsc for the five domains. */
export function loadSchemas(root = projectRoot()): DomainSchemas {
  const out = {} as Record<Domain, AvroRecordSchema>;
  for (const domain of DOMAIN_KEYS) {
    const schema = JSON.parse(readFileSync(join(root, schemaFile(domain)), 'utf8')) as unknown;
    avroTypeOf(domain, schema); // fails early, naming the file, on a schema avsc cannot use
    out[domain] = schema as AvroRecordSchema;
  }
  return Object.freeze(out);
}

/**
 * Reads `<dir>/<domain>.avsc` for the five domains (`schemas register|check --dir`), checked as
 * loadSchemas checks them; throws an Error that starts with the offending file.
 */
export function loadSchemasFrom(dir: string): DomainSchemas {
  const out = {} as Record<Domain, AvroRecordSchema>;
  for (const domain of DOMAIN_KEYS) {
    const file = join(dir, `${domain}.avsc`);
    try {
      const schema = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      avroTypeOf(domain, schema);
      out[domain] = schema as AvroRecordSchema;
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  return Object.freeze(out);
}

/** The avsc Type of a domain schema, with the invariants the payload builders rely on. */
export function avroTypeOf(domain: Domain, schema: unknown): avro.Type {
  const file = schemaFile(domain);
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(schema as avro.Schema, { ...AVRO_TYPE_OPTIONS });
  } catch (err) {
    throw new Error(`${file} is not a valid Avro schema: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (type.typeName !== 'record' || !type.name?.startsWith(`${EVENTS_NAMESPACE}.`))
    throw new Error(`${file} must be a record in namespace ${EVENTS_NAMESPACE}`);
  const payload = (type as avro.types.RecordType).fields.find((f) => f.name === 'payload');
  if (payload?.type.typeName !== 'union:wrapped')
    throw new Error(
      `${file}: "payload" must be a union of several records (wrapped by avsc), got ${payload?.type.typeName ?? 'no payload field'}`,
    );
  return type;
}

/**
 * A Confluent-compatible registry client (decode by schema id with its cache, register, …).
 * `retries`: the HTTP client's own retries (default 2); `requestTimeoutMs` per request (default
 * 10 s: mappersmith has none, and a hung registry would hang the caller).
 */
export function createRegistryClient(
  registryUrl: string,
  opts: { retries?: number; requestTimeoutMs?: number } = {},
): SchemaRegistry {
  return new SchemaRegistry({
    host: registryUrl.replace(/\/+$/, ''),
    retry: { retries: opts.retries ?? 2 },
    middlewares: [requestTimeout(opts.requestTimeoutMs ?? 10_000)],
  });
}

type RegistryMiddleware = NonNullable<
  ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']
>[number];

/** mappersmith has no default timeout: a hung registry would otherwise hang the start. */
const requestTimeout =
  (timeoutMs: number): RegistryMiddleware =>
  () => ({
    prepareRequest: (next) => next().then((request) => request.enhance({ timeout: timeoutMs })),
  });
