// One list of error codes for the whole pipeline (docs/style.md). Code branches on `code` or on the
// flags here, never on message text. Ingress codes carry the HTTP status they map to; transformer
// codes say whether the failure is transient (retry, never DLQ) or which DLQ reason it becomes.

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

interface IngressErrorSpec {
  statusCode: number;
  message: string;
}

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
} as const satisfies Record<string, IngressErrorSpec>;
export type IngressErrorCode = keyof typeof INGRESS_ERRORS;

/** A failure with a code from a table of HTTP answers; `message` defaults to the code's public text. */
export class HttpCodedError<C extends string> extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: C,
    spec: IngressErrorSpec,
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

interface TransformerErrorSpec {
  /** Transient: abort, back off, retry. Never DLQ, never skip. */
  retriable: boolean;
  /** Permanent failures go to the DLQ with this reason. */
  dlqReason?: DlqReason;
}

export const TRANSFORMER_ERRORS = {
  TRF_ERR_INVALID_JSON: { retriable: false, dlqReason: 'invalid_json' },
  TRF_ERR_INVALID_ENVELOPE: { retriable: false, dlqReason: 'invalid_envelope' },
  TRF_ERR_UNMAPPED_EVENT_TYPE: { retriable: false, dlqReason: 'unmapped_event_type' },
  TRF_ERR_INVALID_PAYLOAD: { retriable: false, dlqReason: 'invalid_payload' },
  TRF_ERR_SCHEMA_VALIDATION: { retriable: false, dlqReason: 'schema_validation' },
  TRF_ERR_UNKNOWN_TENANT: { retriable: false, dlqReason: 'unknown_tenant' },
  TRF_ERR_RETRIES_EXHAUSTED: { retriable: false, dlqReason: 'retries_exhausted' },
  /** An output (or its dedup changelog entry) is larger than its topic's max.message.bytes. */
  TRF_ERR_OUTPUT_TOO_LARGE: { retriable: false, dlqReason: 'output_too_large' },
  /** The broker rejected a record for good (INVALID_RECORD, a policy …) on every attempt. */
  TRF_ERR_OUTPUT_REJECTED: { retriable: false, dlqReason: 'output_rejected' },
  TRF_ERR_REGISTRY_UNAVAILABLE: { retriable: true },
  TRF_ERR_KAFKA: { retriable: true },
  TRF_ERR_FENCED: { retriable: false },
  TRF_ERR_SCHEMA_INCOMPATIBLE: { retriable: false },
  /** The registry answered but refused for a reason retrying cannot fix (401/403/404 …). */
  TRF_ERR_REGISTRY_REJECTED: { retriable: false },
} as const satisfies Record<string, TransformerErrorSpec>;
export type TransformerErrorCode = keyof typeof TRANSFORMER_ERRORS;

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

/** Answers of the ops console (services/console): HTTP status and public text per code. */
export const CONSOLE_ERRORS = {
  CONSOLE_ERR_UNAUTHORIZED: { statusCode: 401, message: 'missing or invalid console token' },
  CONSOLE_ERR_CROSS_SITE: {
    statusCode: 403,
    message: 'cross-site request refused (Origin, Sec-Fetch-Site or CSRF token)',
  },
  CONSOLE_ERR_BAD_REQUEST: { statusCode: 400, message: 'bad request' },
  CONSOLE_ERR_NOT_FOUND: { statusCode: 404, message: 'not found' },
  CONSOLE_ERR_KAFKA: { statusCode: 502, message: 'Kafka or the registry failed the request' },
  CONSOLE_ERR_INTERNAL: { statusCode: 500, message: 'internal error' },
} as const satisfies Record<string, IngressErrorSpec>;
export type ConsoleErrorCode = keyof typeof CONSOLE_ERRORS;

/** A console failure with a known HTTP answer; `message` defaults to the code's public text. */
export class ConsoleError extends HttpCodedError<ConsoleErrorCode> {
  constructor(code: ConsoleErrorCode, message?: string, options?: ErrorOptions) {
    super(code, CONSOLE_ERRORS[code], message, options);
    this.name = 'ConsoleError';
  }
}
