// Every code the product emits, in one place (docs/style.md): HTTP error codes of the ingress, the
// ops console and the metrics server, the transformer's codes and the DLQ reasons they become,
// configuration errors, the exit codes of a failed service process, and the CLI's failures with
// their exit codes. Each entry carries the flags that decide how it is handled (HTTP status and
// public text, retriable, DLQ reason, exit code); code branches on the code or on a flag, never on
// message text. The error classes here and the few thin wrappers elsewhere (ConfigError,
// PayloadError, TransactionFailed, UsageError, CommandFailed, Interrupted, SelectionError) are
// built from these entries and add no code of their own.
//
// To add a code: add its entry to the table of the layer that emits it (a new DLQ reason goes into
// DLQ_REASONS as well, with the TRF_ERR_* code that produces it), construct it where it happens
// (`new IngressError('ING_ERR_…')`, `dlqReasonOf('TRF_ERR_…')` …), and add its row to
// docs/errors.md: test/unit/common/errors.test.ts fails until the table and the docs agree.

/**
 * Reasons a record goes to `ghl.dlq`: the value of its `dlq-reason` header, a wire format that the
 * CLI's `dlq --reason` filter and the console read. Each is the `dlqReason` of exactly one
 * TRF_ERR_* code below.
 */
export const DLQ_REASONS = [
  'invalid_json',
  'invalid_envelope',
  'unmapped_event_type',
  'invalid_payload',
  'schema_validation',
  'unknown_tenant',
  'retries_exhausted',
  'output_too_large',
  'output_rejected',
] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

/** An HTTP answer: the status and the public text of the `{error, code}` body. */
export interface HttpErrorSpec {
  /** HTTP status code, e.g. 429. */
  statusCode: number;
  /** Public text (the `error` field); never holds request data. */
  message: string;
}

/** Answers of the ingress (services/ingress). Every "not now" is a 429: GHL retries only 429. */
export const INGRESS_ERRORS = {
  ING_ERR_MISSING_SIGNATURE: { statusCode: 401, message: 'missing webhook signature' },
  ING_ERR_BAD_SIGNATURE: { statusCode: 401, message: 'invalid webhook signature' },
  ING_ERR_BODY_TOO_LARGE: { statusCode: 413, message: 'body exceeds the size limit' },
  ING_ERR_UNSUPPORTED_MEDIA_TYPE: {
    statusCode: 415,
    message: 'content-type must be application/json',
  },
  ING_ERR_KAFKA_UNAVAILABLE: { statusCode: 429, message: 'event store unavailable, retry later' },
  ING_ERR_PRODUCE_TIMEOUT: { statusCode: 429, message: 'event store too slow, retry later' },
  ING_ERR_OVERLOADED: { statusCode: 429, message: 'too many requests in flight, retry later' },
  ING_ERR_SHUTTING_DOWN: { statusCode: 429, message: 'shutting down, retry later' },
  ING_ERR_NOT_READY: {
    statusCode: 503,
    message: 'not ready: Kafka unreachable or ghl.raw unknown',
  },
  ING_ERR_NOT_FOUND: { statusCode: 404, message: 'not found' },
  ING_ERR_METHOD_NOT_ALLOWED: { statusCode: 405, message: 'method not allowed' },
  ING_ERR_BAD_REQUEST: { statusCode: 400, message: 'bad request' },
  ING_ERR_INTERNAL: { statusCode: 500, message: 'internal error' },
} as const satisfies Record<string, HttpErrorSpec>;
export type IngressErrorCode = keyof typeof INGRESS_ERRORS;

/** A failure with a code from a table of HTTP answers; `message` defaults to the code's public text. */
export class HttpCodedError<C extends string> extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: C,
    spec: HttpErrorSpec,
    message?: string,
    options?: ErrorOptions,
  ) {
    super(message ?? spec.message, options);
    this.statusCode = spec.statusCode;
  }
}

/** An ingress failure with a known HTTP answer. `message` defaults to the code's public text. */
export class IngressError extends HttpCodedError<IngressErrorCode> {
  constructor(code: IngressErrorCode, message?: string, options?: ErrorOptions) {
    super(code, INGRESS_ERRORS[code], message, options);
    this.name = 'IngressError';
  }
}

/** Answers of the ops console (services/console): HTTP status and public text per code. */
export const CONSOLE_ERRORS = {
  CONSOLE_ERR_UNAUTHORIZED: { statusCode: 401, message: 'missing or invalid console token' },
  CONSOLE_ERR_CROSS_SITE: {
    statusCode: 403,
    message: 'cross-site request refused (Origin, Sec-Fetch-Site or CSRF token)',
  },
  CONSOLE_ERR_BAD_REQUEST: { statusCode: 400, message: 'bad request' },
  CONSOLE_ERR_BODY_TOO_LARGE: { statusCode: 413, message: 'body exceeds the size limit' },
  CONSOLE_ERR_UNSUPPORTED_MEDIA_TYPE: {
    statusCode: 415,
    message: 'content-type must be application/json',
  },
  CONSOLE_ERR_NOT_FOUND: { statusCode: 404, message: 'not found' },
  CONSOLE_ERR_KAFKA: { statusCode: 502, message: 'Kafka or the registry failed the request' },
  CONSOLE_ERR_INTERNAL: { statusCode: 500, message: 'internal error' },
  CONSOLE_ERR_BAD_RECORDS: {
    statusCode: 400,
    message: 'records must be a list of distinct DLQ record addresses (topic/partition/offset)',
  },
  CONSOLE_ERR_UNKNOWN_RECORDS: {
    statusCode: 400,
    message: 'some addresses hold no DLQ record',
  },
  CONSOLE_ERR_ALREADY_REDRIVEN: {
    statusCode: 409,
    message: 'some records were redriven already, or are being redriven',
  },
} as const satisfies Record<string, HttpErrorSpec>;
export type ConsoleErrorCode = keyof typeof CONSOLE_ERRORS;

/** A console failure with a known HTTP answer; `message` defaults to the code's public text. */
export class ConsoleError extends HttpCodedError<ConsoleErrorCode> {
  constructor(code: ConsoleErrorCode, message?: string, options?: ErrorOptions) {
    super(code, CONSOLE_ERRORS[code], message, options);
    this.name = 'ConsoleError';
  }
}

/**
 * Answers of the small metrics server of services without an HTTP API (the transformer's
 * /metrics, /healthz, /readyz; `metrics-server.ts`). The codes are unprefixed: that is their wire
 * format, which probes and scrapers may already match.
 */
export const METRICS_SERVER_ERRORS = {
  NOT_FOUND: { statusCode: 404, message: 'not found' },
  METHOD_NOT_ALLOWED: { statusCode: 405, message: 'method not allowed' },
  NOT_READY: { statusCode: 503, message: 'not ready (see reasons)' },
  INTERNAL: { statusCode: 500, message: 'internal error' },
} as const satisfies Record<string, HttpErrorSpec>;
export type MetricsServerErrorCode = keyof typeof METRICS_SERVER_ERRORS;

/** How the transformer handles a failure with this code. */
export interface TransformerErrorSpec {
  /** Transient: abort, back off, retry. Never DLQ, never skip. */
  retriable: boolean;
  /** Permanent failures of one record go to the DLQ with this reason. */
  dlqReason?: DlqReason;
}

export const TRANSFORMER_ERRORS = {
  /** The body is not JSON (or not UTF-8), or the record has no value. */
  TRF_ERR_INVALID_JSON: { retriable: false, dlqReason: 'invalid_json' },
  /** Not a JSON object, no event type, or no location. */
  TRF_ERR_INVALID_ENVELOPE: { retriable: false, dlqReason: 'invalid_envelope' },
  /** No mapping for the event type (skipped instead with UNMAPPED_EVENT_POLICY=skip). */
  TRF_ERR_UNMAPPED_EVENT_TYPE: { retriable: false, dlqReason: 'unmapped_event_type' },
  /** The typed payload cannot be built, e.g. no entity id (PayloadError). */
  TRF_ERR_INVALID_PAYLOAD: { retriable: false, dlqReason: 'invalid_payload' },
  /** The built value does not match its Avro schema. */
  TRF_ERR_SCHEMA_VALIDATION: { retriable: false, dlqReason: 'schema_validation' },
  /** The location has no tenant (only with UNKNOWN_TENANT_POLICY=dlq). */
  TRF_ERR_UNKNOWN_TENANT: { retriable: false, dlqReason: 'unknown_tenant' },
  /** An unexpected error on one record, TRANSFORMER_MAX_RECORD_ATTEMPTS times. */
  TRF_ERR_RETRIES_EXHAUSTED: { retriable: false, dlqReason: 'retries_exhausted' },
  /** An output (or its dedup changelog entry) is larger than its topic's max.message.bytes. */
  TRF_ERR_OUTPUT_TOO_LARGE: { retriable: false, dlqReason: 'output_too_large' },
  /** The broker rejected a record for good (INVALID_RECORD, a policy …) on every attempt. */
  TRF_ERR_OUTPUT_REJECTED: { retriable: false, dlqReason: 'output_rejected' },
  /**
   * A record is over its topic's max.message.bytes as last read, and that reading is too old to
   * dead-letter or truncate it by: the limits are read again and the record planned again.
   */
  TRF_ERR_TOPIC_LIMITS_STALE: { retriable: true },
  /** A Kafka transaction did not commit (TransactionFailed): aborted, backed off, retried. */
  TRF_ERR_TRANSACTION_FAILED: { retriable: true },
  /** The registry did not answer, or answered 5xx. */
  TRF_ERR_REGISTRY_UNAVAILABLE: { retriable: true },
  /** The registry refuses a schema as incompatible with the registered one: a start-up error. */
  TRF_ERR_SCHEMA_INCOMPATIBLE: { retriable: false },
  /** The registry answered but refused for a reason retrying cannot fix (401/403/404 …). */
  TRF_ERR_REGISTRY_REJECTED: { retriable: false },
} as const satisfies Record<string, TransformerErrorSpec>;
export type TransformerErrorCode = keyof typeof TRANSFORMER_ERRORS;

/** The TRF_ERR_* codes that send a record to the DLQ. */
export type DlqErrorCode = {
  [C in TransformerErrorCode]: (typeof TRANSFORMER_ERRORS)[C] extends { dlqReason: DlqReason }
    ? C
    : never;
}[TransformerErrorCode];

/** The DLQ reason (`dlq-reason` header value) a DLQ code becomes, e.g. 'invalid_json'. */
export function dlqReasonOf<C extends DlqErrorCode>(
  code: C,
): (typeof TRANSFORMER_ERRORS)[C]['dlqReason'] {
  return TRANSFORMER_ERRORS[code].dlqReason;
}

/** A transformer failure; `retriable` and `dlqReason` come from the code's entry. */
export class TransformerError extends Error {
  readonly retriable: boolean;
  readonly dlqReason: DlqReason | undefined;
  constructor(
    readonly code: TransformerErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TransformerError';
    const spec: TransformerErrorSpec = TRANSFORMER_ERRORS[code];
    this.retriable = spec.retriable;
    this.dlqReason = spec.dlqReason;
  }
}

/** How a process ends on a failure with this code. */
export interface ExitErrorSpec {
  /** Process exit code. */
  exitCode: number;
}

/** Configuration errors: every service and the CLI stop at start with this exit code. */
export const CONFIG_ERRORS = {
  /** One or more variables are missing or invalid; the message lists every problem. */
  CFG_ERR_INVALID: { exitCode: 2 },
} as const satisfies Record<string, ExitErrorSpec>;
export type ConfigErrorCode = keyof typeof CONFIG_ERRORS;

/**
 * How a service process (the ingress, the transformer; `service-runner.ts`) ends when it fails
 * after its configuration was read (a bad one is CFG_ERR_INVALID). A clean stop on SIGTERM/SIGINT
 * exits 0; after a failed start or an unexpected error the same clean stop runs before the exit.
 */
export const SERVICE_ERRORS = {
  /** `start()` rejected (the port is taken, a refused schema, Kafka not reached in time …). */
  SVC_ERR_START_FAILED: { exitCode: 1 },
  /** An uncaught exception or unhandled rejection: a bug. */
  SVC_ERR_UNEXPECTED: { exitCode: 1 },
  /** The clean stop threw. */
  SVC_ERR_SHUTDOWN_FAILED: { exitCode: 1 },
  /** The clean stop did not finish within the service's stop timeout. */
  SVC_ERR_SHUTDOWN_TIMEOUT: { exitCode: 1 },
} as const satisfies Record<string, ExitErrorSpec>;
export type ServiceErrorCode = keyof typeof SERVICE_ERRORS;

/** Failures of the `ghl-pipeline` CLI and its exit codes (0 is success). */
export const CLI_ERRORS = {
  /** A mistake by the person at the keyboard (UsageError, or commander's own): exit 2. */
  CLI_ERR_USAGE: { exitCode: 2 },
  /** The command ran and failed for a reason the user should read (CommandFailed). */
  CLI_ERR_FAILED: { exitCode: 1 },
  /**
   * Stopped by SIGINT/SIGTERM during a replay or redrive: the summary of what was written is
   * printed (`interrupted`). Interrupted is caught inside the operation and never printed.
   */
  CLI_ERR_INTERRUPTED: { exitCode: 1 },
  /** Anything else: a Kafka failure (printed with `kafka: `) or a bug (stack with DEBUG=1). */
  CLI_ERR_UNEXPECTED: { exitCode: 1 },
} as const satisfies Record<string, ExitErrorSpec>;
export type CliErrorCode = keyof typeof CLI_ERRORS;

/** A CLI failure the user should read: one line, no stack; `exitCode` from the code's entry. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = CLI_ERRORS[code].exitCode;
  }
}

/** Every table of codes, by the part of the product that emits them (what docs/errors.md lists). */
export const ERROR_TABLES = {
  ingress: INGRESS_ERRORS,
  console: CONSOLE_ERRORS,
  metricsServer: METRICS_SERVER_ERRORS,
  transformer: TRANSFORMER_ERRORS,
  config: CONFIG_ERRORS,
  service: SERVICE_ERRORS,
  cli: CLI_ERRORS,
} as const;
