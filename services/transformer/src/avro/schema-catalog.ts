// The Avro side of the transformer: encodes values synchronously in Confluent wire format with a
// cached avsc Type and the schema id registered at start, so the per-record path never talks to
// the registry. Loading, checking and registering schemas/*.avsc (the contract with downstream
// teams) is shared with the CLI and `npm start`: services/common/src/schema-registry.ts and
// schema-registration.ts.
import type avro from 'avsc';
import { TransformerError } from '../../../common/src/errors.js';
import {
  registerDomainSchemas,
  type RegisterSchemasOptions,
} from '../../../common/src/schema-registration.js';
import {
  avroTypeOf,
  loadSchemas,
  schemaFile,
  subjectOf,
  type DomainSchemas,
} from '../../../common/src/schema-registry.js';
import { DOMAIN_KEYS, type Domain, type TopicNames } from '../../../common/src/topics.js';

export {
  AVRO_TYPE_OPTIONS,
  avroTypeOf,
  EVENTS_NAMESPACE,
  loadSchemas,
  schemaFile,
  subjectOf,
  type AvroRecordSchema,
  type DomainSchemas,
} from '../../../common/src/schema-registry.js';
export { type RegisterSchemasOptions } from '../../../common/src/schema-registration.js';

export interface SchemaCatalog {
  /** Registry schema id per domain (the int32 after the magic byte). */
  readonly ids: Readonly<Record<Domain, number>>;
  /** Subject per domain: `<topic>-value`. */
  readonly subjects: Readonly<Record<Domain, string>>;
  /**
   * Confluent wire format: 0x00, int32 BE schema id, Avro binary. Synchronous, no registry call.
   * A value that does not match the schema throws TransformerError TRF_ERR_SCHEMA_VALIDATION
   * (dlqReason schema_validation) naming every invalid path.
   */
  encode(domain: Domain, value: Readonly<Record<string, unknown>>): Buffer;
}

interface CatalogEntry {
  readonly type: avro.Type;
  readonly id: number;
  readonly subject: string;
}

/** A catalog over known schema ids (registerSchemas uses it; so can tests and benchmarks). */
export function createCatalog(
  ids: Readonly<Record<Domain, number>>,
  opts: { schemas?: DomainSchemas; subjects?: Readonly<Record<Domain, string>> } = {},
): SchemaCatalog {
  const schemas = opts.schemas ?? loadSchemas();
  const entries = {} as Record<Domain, CatalogEntry>;
  const subjects = {} as Record<Domain, string>;
  for (const domain of DOMAIN_KEYS) {
    const subject = opts.subjects?.[domain] ?? subjectOf(`neuronx.${domain}`);
    entries[domain] = { type: avroTypeOf(domain, schemas[domain]), id: ids[domain], subject };
    subjects[domain] = subject;
  }
  // One scratch buffer for all encodes (the event loop is single-threaded): avsc writes into it
  // after the 5-byte header and the result is copied out once, instead of toBuffer + concat.
  let scratch = Buffer.allocUnsafe(64 * 1024);
  return {
    ids: Object.freeze({ ...ids }),
    subjects: Object.freeze(subjects),
    encode(domain, value) {
      const entry = entries[domain];
      for (;;) {
        let end: number;
        try {
          end = entry.type.encode(value, scratch, 5);
        } catch (err) {
          throw validationError(domain, entry, value, err);
        }
        if (end >= 0) {
          scratch[0] = 0;
          scratch.writeInt32BE(entry.id, 1);
          return Buffer.from(scratch.subarray(0, end));
        }
        // avsc returns minus the number of bytes that did not fit.
        scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      }
    },
  };
}

function validationError(
  domain: Domain,
  entry: CatalogEntry,
  value: unknown,
  cause: unknown,
): TransformerError {
  const paths: string[] = [];
  entry.type.isValid(value, {
    errorHook: (path: string[], _v: unknown, type: avro.Type) =>
      paths.push(`${path.join('.') || '(root)'} (expected ${describe(type)})`),
  });
  // Values are left out on purpose: they may be personal data and this text reaches logs.
  const where = paths.length > 0 ? paths.join('; ') : (cause as Error).message;
  return new TransformerError(
    'TRF_ERR_SCHEMA_VALIDATION',
    `value does not match ${schemaFile(domain)} (subject ${entry.subject}): invalid at ${where}`,
    { cause },
  );
}

const describe = (type: avro.Type): string => {
  const branches = (type as Partial<avro.types.WrappedUnionType>).types;
  if (branches) return branches.map((b) => b.branchName ?? b.typeName).join('|');
  return type.name ?? type.typeName;
};

/**
 * Registers the domain schemas (registerDomainSchemas: BACKWARD, idempotent, transient failures
 * retried until the deadline) and returns the encoder over their ids.
 */
export async function registerSchemas(
  registryUrl: string,
  topics: Pick<TopicNames, Domain>,
  opts: RegisterSchemasOptions = {},
): Promise<SchemaCatalog> {
  const registered = await registerDomainSchemas(registryUrl, topics, opts);
  return createCatalog(registered.ids, {
    schemas: registered.schemas,
    subjects: registered.subjects,
  });
}
