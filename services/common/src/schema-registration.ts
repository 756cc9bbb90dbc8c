// Registering the domain schemas under `<topic>-value` with BACKWARD compatibility (the
// transformer at start, `ghl-pipeline schemas register`, `npm start`): the subject's
// compatibility set up first, transient registry failures retried until a deadline, and every
// failure classified into a TransformerError code. Loading the schemas and the registry client
// are in schema-registry.ts.
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import { TransformerError } from './errors.js';
import type { Logger } from './logger.js';
import {
  createRegistryClient,
  loadSchemas,
  schemaFile,
  subjectOf,
  type DomainSchemas,
} from './schema-registry.js';
import { DOMAIN_KEYS, type Domain, type TopicNames } from './topics.js';

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
