// Generates TypeScript types from schemas/*.avsc (docs/style.md: the schemas are the source of
// truth, the types follow). A build tool, not part of the build or the image: `npm run
// schemas:types` writes services/transformer/src/generated/neuronx-events.ts; the unit test
// test/unit/tools/schema-types-generator.test.ts regenerates in memory and fails when the
// committed file drifts. The types are derived from the avsc Types built with the same options
// as the encoder, so "wrapped union" in TypeScript means exactly what avsc encodes and decodes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type avro from 'avsc';
import { projectRoot } from '../services/common/src/project-root.js';
import { DOMAIN_KEYS, type Domain } from '../services/common/src/topics.js';
import {
  avroTypeOf,
  EVENTS_NAMESPACE,
  loadSchemas,
  type DomainSchemas,
} from '../services/transformer/src/schema-catalog.js';

export const GENERATED_TYPES_PATH = 'services/transformer/src/generated/neuronx-events.ts';

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
export async function generateTypes(schemas: DomainSchemas = loadSchemas()): Promise<string> {
  const emitter = new Emitter();
  const domainTypes: Array<[Domain, string]> = [];
  const payloadRecords: Array<[string, Domain]> = [];
  for (const domain of DOMAIN_KEYS) {
    const type = avroTypeOf(domain, schemas[domain]) as RecordType;
    const payload = type.fields.find((f) => f.name === 'payload')!;
    for (const branch of (payload.type as avro.types.WrappedUnionType).types) {
      const name = branch.name!;
      payloadRecords.push([name.slice(name.lastIndexOf('.') + 1), domain]);
    }
    domainTypes.push([domain, emitter.record(type)]);
  }
  const source = [
    '// GENERATED from schemas/*.avsc by tools/schema-types-generator.ts',
    '// (`npm run schemas:types`). Do not edit: a unit test fails when this file and the schemas drift.',
    '',
    `export const EVENTS_NAMESPACE = '${EVENTS_NAMESPACE}';`,
    '',
    ...emitter.out,
    '/** The Avro value type of each domain topic neuronx.<domain>. */',
    `export interface DomainEventValues {\n${domainTypes.map(([d, t]) => `${d}: ${t};`).join('\n')}\n}`,
    '',
    '/** Every payload record (a branch of some `payload` union) by short name. */',
    `export interface PayloadRecords {\n${payloadRecords.map(([r]) => `${r}: ${r};`).join('\n')}\n}`,
    'export type PayloadRecordName = keyof PayloadRecords;',
    '',
    '/** The domain (schema) each payload record belongs to. */',
    `export const PAYLOAD_RECORD_DOMAINS = {\n${payloadRecords.map(([r, d]) => `${r}: '${d}',`).join('\n')}\n} as const;`,
    '',
  ].join('\n');
  // Prettier is a dev tool: imported only when generating, never by the running transformer.
  const prettier = await import('prettier');
  const file = join(projectRoot(), GENERATED_TYPES_PATH);
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(source, { ...config, filepath: file });
}

export async function writeGeneratedTypes(): Promise<string> {
  const path = join(projectRoot(), GENERATED_TYPES_PATH);
  writeFileSync(path, await generateTypes());
  return path;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeGeneratedTypes().then(
    (path) => console.log(`wrote ${path}`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
