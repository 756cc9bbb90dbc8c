// Generates TypeScript from the declarations (docs/style.md: the schemas are the source of truth,
// the types follow). A build tool, not part of the build or the image: `npm run schemas:types`
// writes services/transformer/src/avro/generated/neuronx-events.ts from schemas/*.avsc and
// services/common/src/generated/topics.ts from infra/topics.json (topic roles, domains, key
// fields); the unit test test/unit/tools/schema-types-generator.test.ts regenerates both in memory
// and fails when a committed file drifts. The types are derived from the avsc Types built with the
// same options as the encoder, so "wrapped union" in TypeScript means exactly what avsc encodes and
// decodes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type avro from 'avsc';
import { projectRoot } from '../services/common/src/project-root.js';
import {
  avroTypeOf,
  EVENTS_NAMESPACE,
  schemaFile,
  type AvroRecordSchema,
} from '../services/common/src/schema-registry.js';
import { topicFile, type Domain, type TopicFile } from '../services/common/src/topics.js';

export const GENERATED_TYPES_PATH = 'services/transformer/src/avro/generated/neuronx-events.ts';
export const GENERATED_TOPICS_PATH = 'services/common/src/generated/topics.ts';

/** Domain schemas by domain; any name, so that a domain just added to infra/topics.json fits. */
export type SchemasByDomain = Readonly<Record<string, AvroRecordSchema>>;

/**
 * The domains: the entries of infra/topics.json with `domain`, in file order. Read from the file,
 * not from the generated constants, so one run picks up a domain just added.
 */
const domainsOf = (file: TopicFile): string[] =>
  file.topics.filter((t) => t.domain !== undefined).map((t) => t.key);

/** Reads and checks schemas/<domain>.avsc of every domain of infra/topics.json. */
export function loadDomainSchemas(file: TopicFile = topicFile()): SchemasByDomain {
  const out: Record<string, AvroRecordSchema> = {};
  for (const domain of domainsOf(file)) {
    const path = schemaFile(domain as Domain);
    const schema = JSON.parse(readFileSync(join(projectRoot(), path), 'utf8')) as unknown;
    avroTypeOf(domain as Domain, schema);
    out[domain] = schema as AvroRecordSchema;
  }
  return out;
}

/** The record type of a domain's schema, and the payload records of its `payload` union. */
function domainTypes(domain: string, schemas: SchemasByDomain) {
  const schema = schemas[domain];
  if (!schema)
    throw new Error(`infra/topics.json: domain ${domain} has no ${schemaFile(domain as Domain)}`);
  const type = avroTypeOf(domain as Domain, schema) as RecordType;
  const payload = type.fields.find((f) => f.name === 'payload')!;
  return {
    type,
    payloadRecords: (payload.type as avro.types.WrappedUnionType).types as RecordType[],
  };
}

type RecordType = avro.types.RecordType;
type Field = avro.types.Field & { doc?: string };

interface Emitted {
  /** The schema JSON of the record, to detect one name defined two different ways. */
  readonly definition: string;
}

class Emitter {
  readonly out: string[] = [];
  private readonly emitted = new Map<string, Emitted>();

  /** The TypeScript type of an avsc Type, emitting named types on first use. */
  typeOf(type: avro.Type): string {
    switch (type.typeName) {
      case 'null':
        return 'null';
      case 'boolean':
        return 'boolean';
      case 'int':
      case 'long': // timestamp-millis included: no logical type implementation, epoch millis
      case 'float':
      case 'double':
        return 'number';
      case 'string':
        return 'string';
      case 'bytes':
      case 'fixed':
        return 'Buffer';
      case 'enum':
        return (type as avro.types.EnumType).symbols.map((s) => `'${s}'`).join(' | ');
      case 'array': {
        const items = this.typeOf((type as avro.types.ArrayType).itemsType);
        return items.includes(' ') ? `Array<${items}>` : `${items}[]`;
      }
      case 'map':
        return `Record<string, ${this.typeOf((type as avro.types.MapType).valuesType as avro.Type)}>`;
      case 'union:unwrapped':
        // `string | null` reads better than Avro's ["null", "string"] order.
        return (type as avro.types.UnwrappedUnionType).types
          .map((t) => this.typeOf(t))
          .sort((a, b) => Number(a === 'null') - Number(b === 'null'))
          .join(' | ');
      case 'union:wrapped':
        return (type as avro.types.WrappedUnionType).types
          .map((t) => (t.typeName === 'null' ? 'null' : `{ '${t.branchName}': ${this.typeOf(t)} }`))
          .join(' | ');
      case 'record':
        return this.record(type as RecordType);
      default:
        throw new Error(`schema-types-generator: unsupported Avro type ${type.typeName}`);
    }
  }

  record(type: RecordType): string {
    const fullName = type.name!;
    const shortName = fullName.slice(fullName.lastIndexOf('.') + 1);
    const definition = JSON.stringify(type.schema());
    const seen = this.emitted.get(fullName);
    if (seen) {
      if (seen.definition !== definition)
        throw new Error(`${fullName} is defined differently in two schemas`);
      return shortName;
    }
    this.emitted.set(fullName, { definition });
    // Nested types first, so the file reads top-down from the smallest pieces.
    const fields = type.fields.map((f: Field) => ({ f, ts: this.typeOf(f.type) }));
    this.out.push(
      `${jsDoc(type.doc)}export interface ${shortName} {\n${fields
        .map(({ f, ts }) => `${jsDoc(f.doc)}${f.name}: ${ts};`)
        .join('\n')}\n}\n`,
    );
    return shortName;
  }
}

const jsDoc = (doc: string | undefined): string =>
  doc ? `/** ${doc.replace(/\*\//g, '*\\/')} */\n` : '';

/** The generated module's source text, formatted with the repository's Prettier settings. */
export async function generateTypes(
  schemas: SchemasByDomain = loadDomainSchemas(),
  file: TopicFile = topicFile(),
): Promise<string> {
  const emitter = new Emitter();
  const valueTypes: Array<[string, string]> = [];
  const payloadRecords: Array<[string, string]> = [];
  for (const domain of domainsOf(file)) {
    const { type, payloadRecords: records } = domainTypes(domain, schemas);
    for (const record of records) {
      const name = record.name!;
      payloadRecords.push([name.slice(name.lastIndexOf('.') + 1), domain]);
    }
    valueTypes.push([domain, emitter.record(type)]);
  }
  const source = [
    '// GENERATED from schemas/*.avsc by tools/schema-types-generator.ts',
    '// (`npm run schemas:types`). Do not edit: a unit test fails when this file and the schemas drift.',
    '',
    `export const EVENTS_NAMESPACE = '${EVENTS_NAMESPACE}';`,
    '',
    ...emitter.out,
    '/** The Avro value type of each domain topic neuronx.<domain>. */',
    `export interface DomainEventValues {\n${valueTypes.map(([d, t]) => `${d}: ${t};`).join('\n')}\n}`,
    '',
    '/** Every payload record (a branch of some `payload` union) by short name. */',
    `export interface PayloadRecords {\n${payloadRecords.map(([r]) => `${r}: ${r};`).join('\n')}\n}`,
    'export type PayloadRecordName = keyof PayloadRecords;',
    '',
    '/** The domain (schema) each payload record belongs to. */',
    `export const PAYLOAD_RECORD_DOMAINS = {\n${payloadRecords.map(([r, d]) => `${r}: '${d}',`).join('\n')}\n} as const;`,
    '',
  ].join('\n');
  return formatted(source, GENERATED_TYPES_PATH);
}

/**
 * The source of services/common/src/generated/topics.ts: the roles of infra/topics.json as
 * literal types, which domains there are, and each domain topic's key fields, checked against
 * the schemas (each a required string field of every payload record of the domain).
 */
export async function generateTopics(
  file: TopicFile = topicFile(),
  schemas: SchemasByDomain = loadDomainSchemas(file),
): Promise<string> {
  const keyFields: Array<[string, string[]]> = [];
  for (const entry of file.topics) {
    if (!entry.domain) continue;
    const fields = entry.domain.keyFields;
    if (!Array.isArray(fields) || fields.length === 0)
      throw new Error(
        `infra/topics.json: ${entry.key}: domain.keyFields must list at least one field`,
      );
    for (const record of domainTypes(entry.key, schemas).payloadRecords) {
      for (const name of fields) {
        const field = record.fields.find((f) => f.name === name);
        if (field?.type.typeName !== 'string')
          throw new Error(
            `infra/topics.json: ${entry.key}: key field ${name} is not a required string field of ${record.name}`,
          );
      }
    }
    keyFields.push([entry.key, fields]);
  }
  const list = (keys: string[]) => `[${keys.map((k) => `'${k}'`).join(', ')}] as const`;
  const source = [
    '// GENERATED from infra/topics.json by tools/schema-types-generator.ts',
    '// (`npm run schemas:types`). Do not edit: a unit test fails when this file and infra/topics.json',
    '// drift. services/common/src/topics.ts is the module to import.',
    '',
    '/** Every topic role, in file order. */',
    `export const TOPIC_KEYS = ${list(file.topics.map((t) => t.key))};`,
    '',
    '/** The NeuronX domain topics: the entries with `domain`. */',
    `export const DOMAIN_KEYS = ${list(keyFields.map(([key]) => key))};`,
    '',
    "/** Each domain topic's `domain.keyFields`: the payload fields of its Kafka key, joined by ':'. */",
    `export const DOMAIN_KEY_FIELDS = {\n${keyFields.map(([key, fields]) => `${key}: ${list(fields)},`).join('\n')}\n};`,
    '',
  ].join('\n');
  return formatted(source, GENERATED_TOPICS_PATH);
}

async function formatted(source: string, path: string): Promise<string> {
  // Prettier is a dev tool: imported only when generating, never by the running services.
  const prettier = await import('prettier');
  const file = join(projectRoot(), path);
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(source, { ...config, filepath: file });
}

/** Writes both generated files; returns their paths. */
export async function writeGeneratedTypes(): Promise<string[]> {
  const topics = join(projectRoot(), GENERATED_TOPICS_PATH);
  const types = join(projectRoot(), GENERATED_TYPES_PATH);
  const [topicsSource, typesSource] = await Promise.all([generateTopics(), generateTypes()]);
  writeFileSync(topics, topicsSource);
  writeFileSync(types, typesSource);
  return [topics, types];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeGeneratedTypes().then(
    (paths) => console.log(`wrote ${paths.join(', ')}`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
