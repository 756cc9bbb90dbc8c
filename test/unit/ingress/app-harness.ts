// Shared pieces of the app-*.test.ts files (the HTTP contract through app.inject()): the signing
// keys, a recording sink in place of Kafka (or a fault-injecting one for 429/500), an app built per
// test and closed after it, the webhook bodies, and the signature and error-body helpers.
import { generateKeyPairSync, sign } from 'node:crypto';
import { expect } from 'vitest';
import type { IngressErrorCode } from '../../../services/common/src/errors.js';
import { createLogger } from '../../../services/common/src/logger.js';
import { buildIngress, type IngressApp } from '../../../services/ingress/src/app.js';
import { loadIngressConfig } from '../../../services/ingress/src/config.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import type { RawRecord, RecordSink } from '../../../services/ingress/src/producer-types.js';

const ed = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: typeof ed.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();
const NOW = Date.parse('2026-01-03T10:30:00.123Z');

export class RecordingSink implements RecordSink {
  readonly records: RawRecord[] = [];
  ready = true;
  shutdownBegun = false;
  closed = false;
  constructor(private readonly fault?: () => Error) {}
  async produce(record: RawRecord): Promise<void> {
    if (this.fault) throw this.fault();
    this.records.push(record);
  }
  isReady = () => this.ready;
  pending = () => 0;
  beginShutdown() {
    this.shutdownBegun = true;
  }
  async close() {
    this.closed = true;
  }
}

export const apps: IngressApp[] = [];
/** For each file's afterEach: closes the apps its tests built. */
export async function closeApps(): Promise<void> {
  for (const app of apps.splice(0)) await app.close();
}

export function setup(env: Record<string, string> = {}, sink = new RecordingSink()) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('ingress', 'debug', {
    hooks: {
      streamWrite: (s: string) => {
        lines.push(JSON.parse(s) as Record<string, unknown>);
        return '';
      },
    },
  });
  const config = loadIngressConfig({
    WEBHOOK_HMAC_SECRETS: 's1,s2',
    GHL_ED25519_PUBLIC_KEY: pem(ed.publicKey),
    GHL_RSA_PUBLIC_KEY: pem(rsa.publicKey),
    RETRY_AFTER_SECONDS: '7',
    BODY_LIMIT_BYTES: String(64 * 1024),
    ...env,
  });
  const app = buildIngress(config, { producer: sink, logger, now: () => NOW });
  apps.push(app);
  return { app, sink, lines };
}

// Deliberately odd bytes: spacing, key order, an escaped unicode character. Any re-serialisation
// would change them and break both the signature and the stored record.
export const seedBody = Buffer.from(
  '{ "event":"contact.created",  "locationId":"loc_123","data":{"id":"contact_789","email":"john@example.com","firstName":"J\\u00f6rg"},\n"metadata":{"webhookId":"web_123","attempt":1}}',
  'utf8',
);
export const ghlBody = Buffer.from(
  '{"type":"ContactCreate","locationId":"ve9EPM428h8vShlRW1KT","id":"nmFmQEsNgz6AVpgLVUJ0","email":"a@b.c","webhookId":"wh_42"}',
);

export const post = (
  app: IngressApp,
  body: Buffer | string,
  headers: Record<string, string> = {},
  url = '/webhooks/ghl',
) =>
  app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: { 'content-type': 'application/json', ...headers },
  });
/** Error bodies are exactly {error: <text>, code}. */
export const expectErrorBody = (json: Record<string, unknown>, code: IngressErrorCode) => {
  expect(Object.keys(json).sort()).toEqual(['code', 'error']);
  expect(json.code).toBe(code);
  expect(typeof json.error).toBe('string');
  expect(json.error).not.toBe('');
};
export const hmac = (body: Buffer | string, secret = 's1') => ({
  'x-webhook-signature': signHmac(body, secret),
});
export const edSig = (body: Buffer) => ({
  'x-ghl-signature': sign(null, body, ed.privateKey).toString('base64'),
});
export const rsaSig = (body: Buffer) => ({
  'x-wh-signature': sign('sha256', body, rsa.privateKey).toString('base64'),
});
