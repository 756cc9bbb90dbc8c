// Schema-registry access for every part of the pipeline: the Avro contracts of schemas/*.avsc
// (loading and checking them), registration under `<topic>-value` with BACKWARD compatibility
// (the transformer at start, `ghl-pipeline schemas register`, `npm start`), the BACKWARD check of
// `schemas check`, and the Confluent client that decodes values by schema id (`tail`). The
// transformer's encoder on top of the registered ids is services/transformer/src/avro/schema-catalog.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { TransformerError } from './errors.js';
import type { Logger } from './logger.js';
import { projectRoot } from './project-root.js';
import { DOMAIN_KEYS, type Domain, type TopicNames } from './topics.js';

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

// ---------------------------------------------------------------------------------------------
// Registration (the transformer at start, `schemas register`, `npm start`)

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

/** What registration gives: the registry's id and the subject of each domain schema. */
export interface RegisteredSchemas {
  readonly ids: Readonly<Record<Domain, number>>;
  readonly subjects: Readonly<Record<Domain, string>>;
  /** The schemas that were registered. */
  readonly schemas: DomainSchemas;
}

/**
 * Registers every domain schema under `<topic>-value` with BACKWARD compatibility (idempotent:
 * an unchanged schema gets its existing id) and returns their ids.
 * Transient failures are retried with capped exponential backoff until `deadlineMs`, then throw
 * TRF_ERR_REGISTRY_UNAVAILABLE (retriable). A schema the registry refuses as incompatible throws
 * TRF_ERR_SCHEMA_INCOMPATIBLE with the subject and the registry's explanation: a start-up error.
 */
export async function registerDomainSchemas(
  registryUrl: string,
  topics: Pick<TopicNames, Domain>,
  opts: RegisterSchemasOptions = {},
): Promise<RegisteredSchemas> {
  const schemas = opts.schemas ?? loadSchemas();
  const baseUrl = registryUrl.replace(/\/+$/, '');
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  // Retries are ours (bounded by the deadline), not the HTTP client's.
  const registry = createRegistryClient(baseUrl, { retries: 0, requestTimeoutMs: timeoutMs });
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
  return { ids, subjects, schemas };
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

// ---------------------------------------------------------------------------------------------
// BACKWARD check (`schemas check`)

export type CheckStatus = 'compatible' | 'incompatible' | 'new';
/** One subject's BACKWARD check (`schemas check`). */
export interface CheckRow {
  domain: Domain;
  subject: string;
  status: CheckStatus;
  latestVersion: number | null;
  compatibility: string | null;
  messages: string[];
}

const BACKWARD_LEVELS = new Set(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

/**
 * Checks each domain schema against the latest version registered under its subject for
 * BACKWARD compatibility, registering nothing: the registry's own check, plus a local avsc check
 * when the subject's rule is weaker than BACKWARD (such a registry would accept anything).
 * Throws TransformerError TRF_ERR_REGISTRY_UNAVAILABLE / TRF_ERR_REGISTRY_REJECTED when the
 * registry cannot answer.
 */
export async function checkBackward(
  registryUrl: string,
  topics: Pick<TopicNames, Domain>,
  schemas: DomainSchemas,
): Promise<CheckRow[]> {
  const registry = new RegistryHttp(registryUrl);
  const rows: CheckRow[] = [];
  for (const domain of DOMAIN_KEYS) {
    const subject = subjectOf(topics[domain]);
    const versions = await registry.get<number[]>(
      `/subjects/${encodeURIComponent(subject)}/versions`,
    );
    if (versions === undefined) {
      rows.push({
        domain,
        subject,
        status: 'new',
        latestVersion: null,
        compatibility: null,
        messages: ['not registered yet: would be created'],
      });
      continue;
    }
    const config = await registry.get<{ compatibilityLevel?: string; compatibility?: string }>(
      `/config/${encodeURIComponent(subject)}`,
    );
    const level = (config?.compatibilityLevel ?? config?.compatibility ?? 'NONE').toUpperCase();
    const schema = JSON.stringify(schemas[domain]);
    const answer = await registry.compatibility(subject, schema);
    let compatible = answer.is_compatible === true;
    const messages = [...(answer.messages ?? [])];
    // A subject without a BACKWARD rule accepts anything; check BACKWARD locally then (the new
    // schema must be able to read what the latest version wrote).
    if (compatible && !BACKWARD_LEVELS.has(level)) {
      const latest = await registry.get<{ schema: string }>(
        `/subjects/${encodeURIComponent(subject)}/versions/latest`,
      );
      const local = backwardProblem(schemas[domain], latest?.schema);
      if (local) {
        compatible = false;
        messages.push(`checked locally (subject compatibility is ${level}): ${local}`);
      }
    }
    rows.push({
      domain,
      subject,
      status: compatible ? 'compatible' : 'incompatible',
      latestVersion: Math.max(...versions),
      compatibility: level,
      messages,
    });
  }
  return rows;
}

/** Why `next` cannot read data written with `latest` (BACKWARD), or undefined when it can. */
function backwardProblem(next: AvroRecordSchema, latest: string | undefined): string | undefined {
  if (!latest) return undefined;
  try {
    const reader = avro.Type.forSchema(next as avro.Schema, { ...AVRO_TYPE_OPTIONS });
    const writer = avro.Type.forSchema(JSON.parse(latest) as avro.Schema, {
      ...AVRO_TYPE_OPTIONS,
    });
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Just enough of the Confluent REST API for the checks; one-line errors for operators. */
class RegistryHttp {
  private readonly base: string;
  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  /** GET; undefined on 404. */
  async get<T>(path: string): Promise<T | undefined> {
    const res = await this.fetch(path, {});
    if (res.status === 404) return undefined;
    return (await this.body(res, path)) as T;
  }

  /**
   * POST /compatibility/subjects/<subject>/versions/latest. Confluent answers 200 with
   * is_compatible; some registries answer 409 with the reason instead.
   */
  async compatibility(
    subject: string,
    schema: string,
  ): Promise<{ is_compatible?: boolean; messages?: string[] }> {
    const path = `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`;
    const res = await this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema, schemaType: 'AVRO' }),
    });
    if (res.status === 409) {
      const text = await res.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      return { is_compatible: false, messages: [message] };
    }
    return (await this.body(res, path)) as { is_compatible?: boolean; messages?: string[] };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new TransformerError(
        'TRF_ERR_REGISTRY_UNAVAILABLE',
        `schema registry unreachable at ${this.base}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
        { cause: err },
      );
    }
  }

  private async body(res: Response, path: string): Promise<unknown> {
    const text = await res.text();
    if (!res.ok)
      throw new TransformerError(
        res.status >= 500 ? 'TRF_ERR_REGISTRY_UNAVAILABLE' : 'TRF_ERR_REGISTRY_REJECTED',
        `schema registry answered ${res.status} to ${path}: ${truncate(text, 300)}`,
      );
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new TransformerError(
        'TRF_ERR_REGISTRY_REJECTED',
        `schema registry answered non-JSON to ${path}: ${truncate(text, 300)}`,
      );
    }
  }
}

const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;
