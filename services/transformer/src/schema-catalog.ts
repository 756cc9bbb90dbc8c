// The Avro side of the transformer: loads schemas/*.avsc (the contract with downstream teams),
// registers each under `<topic>-value` with BACKWARD compatibility at start, then encodes values
// synchronously in Confluent wire format with a cached avsc Type and a cached schema id, so the
// per-record path never talks to the registry (ARCHITECTURE.md §6).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { TransformerError } from '../../common/src/errors.js';
import type { Logger } from '../../common/src/logger.js';
import { projectRoot } from '../../common/src/project-root.js';
import { DOMAIN_KEYS, type Domain, type TopicNames } from '../../common/src/topics.js';

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

// ---------------------------------------------------------------------------------------------
// Registration

export interface RegisterSchemasOptions {
  /** Schemas to register; defaults to schemas/*.avsc. */
  schemas?: DomainSchemas;
  /**
   * Epoch millis after which transient failures (unreachable, 5xx, timeouts) are no longer
   * retried. Default: 60 s from the call.
   */
  deadline?: number;
  /** First retry delay, doubled per attempt up to maxBackoffMs (with ±20 % jitter). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per HTTP request. Default 10 s. */
  requestTimeoutMs?: number;
  /** Logs retries (warn) and compatibility repairs (info). */
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Called before each retry (tests observe retries through it). */
  onRetry?: (info: { subject: string; attempt: number; delayMs: number; error: Error }) => void;
}

/** Compatibility levels at least as strict as BACKWARD: accepted as the operator set them. */
const ACCEPTED_LEVELS = new Set(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

/**
 * Registers every domain schema under `<topic>-value` with BACKWARD compatibility (idempotent:
 * an unchanged schema gets its existing id) and returns a catalog with the ids cached.
 * Transient failures are retried with capped exponential backoff until `deadlineMs`, then throw
 * TRF_ERR_REGISTRY_UNAVAILABLE (retriable). A schema the registry refuses as incompatible throws
 * TRF_ERR_SCHEMA_INCOMPATIBLE with the subject and the registry's explanation: a start-up error.
 */
export async function registerSchemas(
  registryUrl: string,
  topics: Pick<TopicNames, Domain>,
  opts: RegisterSchemasOptions = {},
): Promise<SchemaCatalog> {
  const schemas = opts.schemas ?? loadSchemas();
  const baseUrl = registryUrl.replace(/\/+$/, '');
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const registry = new SchemaRegistry({
    host: baseUrl,
    // Retries are ours (bounded by the deadline), not the HTTP client's.
    retry: { retries: 0 },
    middlewares: [requestTimeout(timeoutMs)],
  });
  const deadline = opts.deadline ?? Date.now() + 60_000;
  const ids = {} as Record<Domain, number>;
  const subjects = {} as Record<Domain, string>;
  for (const domain of DOMAIN_KEYS) {
    const subject = subjectOf(topics[domain]);
    const schema = JSON.stringify(schemas[domain]);
    subjects[domain] = subject;
    ids[domain] = await withRetry(subject, deadline, opts, async () => {
      const level = await ensureCompatibility(baseUrl, subject, domain, timeoutMs, opts.logger);
      try {
        const { id } = await registry.register(
          { type: SchemaType.AVRO, schema },
          { subject, compatibility: level },
        );
        return id;
      } catch (err) {
        throw classify(err, subject, domain);
      }
    });
  }
  return createCatalog(ids, { schemas, subjects });
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

/**
 * Makes the subject's compatibility BACKWARD (or leaves a stricter one) before registering.
 * The library registers first and sets compatibility only for a subject it has never seen
 * (GET /config/<subject> → 404). Apicurio answers NONE instead of 404 for a subject that exists
 * without a rule, e.g. after a start that died between the two calls; the library would then
 * refuse forever ("Compatibility does not match"), so NONE is repaired to BACKWARD here.
 */
async function ensureCompatibility(
  baseUrl: string,
  subject: string,
  domain: Domain,
  timeoutMs: number,
  logger: RegisterSchemasOptions['logger'],
): Promise<COMPATIBILITY> {
  const url = `${baseUrl}/config/${encodeURIComponent(subject)}`;
  const res = await http(url, { signal: AbortSignal.timeout(timeoutMs) }, subject);
  if (res.status === 404) return COMPATIBILITY.BACKWARD;
  if (!res.ok) throw httpError(res.status, await res.text(), subject, domain);
  const body = (await res.json()) as { compatibilityLevel?: string; compatibility?: string };
  const level = (body.compatibilityLevel ?? body.compatibility ?? 'NONE').toUpperCase();
  if (ACCEPTED_LEVELS.has(level)) return level as COMPATIBILITY;
  if (level !== 'NONE')
    throw new TransformerError(
      'TRF_ERR_SCHEMA_INCOMPATIBLE',
      `subject ${subject} has compatibility ${level}; the ${schemaFile(domain)} contract needs BACKWARD or stricter (PUT ${url} {"compatibility":"BACKWARD"})`,
    );
  const put = await http(
    url,
    {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: COMPATIBILITY.BACKWARD }),
      signal: AbortSignal.timeout(timeoutMs),
    },
    subject,
  );
  if (!put.ok) throw httpError(put.status, await put.text(), subject, domain);
  logger?.info({ subject }, 'schema subject had compatibility NONE; set it to BACKWARD');
  return COMPATIBILITY.BACKWARD;
}

async function http(url: string, init: RequestInit, subject: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    // fetch rejects only when no HTTP answer came back: refused, reset, DNS, timeout.
    throw new TransformerError(
      'TRF_ERR_REGISTRY_UNAVAILABLE',
      `schema registry unreachable (${subject}): ${describeCause(err)}`,
      { cause: err },
    );
  }
}

const describeCause = (err: unknown): string => {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return [(err as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(': ');
};

/** Errors of the registry library: mappersmith's ResponseError carries the HTTP `status`. */
function classify(err: unknown, subject: string, domain: Domain): Error {
  if (err instanceof TransformerError) return err;
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number') return httpError(status, (err as Error).message, subject, domain);
  return new TransformerError(
    'TRF_ERR_REGISTRY_REJECTED',
    `registering ${schemaFile(domain)} under ${subject} failed: ${(err as Error).message}`,
    { cause: err },
  );
}

function httpError(status: number, detail: string, subject: string, domain: Domain) {
  // Two instances starting together both see no rule and both create one: Apicurio answers the
  // second with 409 "A rule named 'COMPATIBILITY' already exists". A race, not an incompatible
  // schema: the retry finds the rule in place.
  if (status === 409 && /rule .*already exists/i.test(detail))
    return new TransformerError(
      'TRF_ERR_REGISTRY_UNAVAILABLE',
      `another instance set the compatibility of ${subject} at the same time; retrying: ${detail}`,
    );
  if (status === 409)
    return new TransformerError(
      'TRF_ERR_SCHEMA_INCOMPATIBLE',
      `${schemaFile(domain)} is not BACKWARD compatible with the versions registered under subject ${subject}; every new field needs a default (schemas/README.md). Registry says: ${detail}`,
    );
  if (status === 422)
    return new TransformerError(
      'TRF_ERR_SCHEMA_INCOMPATIBLE',
      `the registry refused ${schemaFile(domain)} as invalid for subject ${subject}: ${detail}`,
    );
  // mappersmith reports connection errors and timeouts as status 400 without an HTTP answer,
  // and a registry answers 400 to no well-formed register call, so 400 counts as transient.
  if (status >= 500 || status === 400 || status === 408 || status === 429)
    return new TransformerError(
      'TRF_ERR_REGISTRY_UNAVAILABLE',
      `schema registry unavailable (${subject}, HTTP ${status}): ${detail}`,
    );
  return new TransformerError(
    'TRF_ERR_REGISTRY_REJECTED',
    `schema registry refused subject ${subject} (HTTP ${status}): ${detail}`,
  );
}

async function withRetry<T>(
  subject: string,
  deadline: number,
  opts: RegisterSchemasOptions,
  attemptOnce: () => Promise<T>,
): Promise<T> {
  const initial = opts.initialBackoffMs ?? 200;
  const max = opts.maxBackoffMs ?? 5_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce();
    } catch (err) {
      if (!(err instanceof TransformerError) || !err.retriable) throw err;
      const base = Math.min(max, initial * 2 ** (attempt - 1));
      const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
      if (Date.now() + delayMs > deadline)
        throw new TransformerError(
          'TRF_ERR_REGISTRY_UNAVAILABLE',
          `gave up registering ${subject} after ${attempt} attempt(s): ${err.message}`,
          { cause: err },
        );
      opts.logger?.warn(
        { subject, attempt, delayMs, err: { code: err.code, message: err.message } },
        'schema registry unavailable; retrying',
      );
      opts.onRetry?.({ subject, attempt, delayMs, error: err });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
