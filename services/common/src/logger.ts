import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that must never reach a log line: signature headers, secrets, and personal data that
 * GHL payloads carry (docs/style.md). Bodies are not logged at all; these cover the objects
 * that are (request headers, config, normalised event summaries).
 */
export const REDACT_PATHS = [
  'req.headers["x-webhook-signature"]',
  'req.headers["x-ghl-signature"]',
  'req.headers["x-wh-signature"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-webhook-signature"]',
  'headers["x-ghl-signature"]',
  'headers["x-wh-signature"]',
  '*.secret',
  '*.secrets',
  '*.WEBHOOK_HMAC_SECRETS',
  '*.email',
  '*.phone',
  'email',
  'phone',
];

export function createLogger(service: string, level = 'info', options: LoggerOptions = {}): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...options,
  });
}
