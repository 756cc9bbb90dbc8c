import {
  bool,
  ConfigError,
  int,
  list,
  loadConfig,
  optionalStr,
  str,
  type ConfigOf,
  type Env,
} from '../../common/src/config.js';
import { kafkaConfigSchema } from '../../common/src/kafka/kafka-config.js';
import { createEd25519Verifier } from './ed25519-signature.js';
import { GHL_ED25519_PUBLIC_KEY_PEM, GHL_RSA_PUBLIC_KEY_PEM } from './ghl-public-keys.js';
import { createHmacVerifier } from './hmac-signature.js';
import { createRsaVerifier } from './rsa-signature.js';
import {
  loadPublicKey,
  SIGNATURE_SCHEMES,
  SignatureChecker,
  type SchemeVerifier,
} from './signature.js';

/** Every setting of the ingress; names are a contract (README table, .env.example). */
export const ingressConfigSchema = {
  ...kafkaConfigSchema,
  INGRESS_HOST: str({ default: '127.0.0.1', describe: 'address to listen on' }),
  INGRESS_PORT: int({ default: 3000, min: 0, max: 65535, describe: 'port to listen on' }),
  WEBHOOK_PATH: str({ default: '/webhooks/ghl', describe: 'path of the webhook POST route' }),
  WEBHOOK_HMAC_SECRETS: list({
    default: [],
    describe: 'seed HMAC secrets, comma-separated, all accepted (rotation); empty = hmac off',
  }),
  GHL_ED25519_PUBLIC_KEY: optionalStr({
    describe: 'PEM key for X-GHL-Signature (default: GHL published key)',
  }),
  GHL_RSA_PUBLIC_KEY: optionalStr({
    describe: 'PEM key for X-WH-Signature (default: GHL published key)',
  }),
  SIGNATURE_SCHEMES: list({
    default: [...SIGNATURE_SCHEMES],
    oneOf: SIGNATURE_SCHEMES,
    describe: 'enabled signature schemes',
  }),
  INGRESS_ALLOW_UNSIGNED: bool({
    default: false,
    describe: 'DEV ONLY: accept requests without a signature header',
  }),
  BODY_LIMIT_BYTES: int({ default: 1_048_576, min: 1, describe: 'largest accepted body (413)' }),
  PRODUCE_LINGER_MS: int({
    default: 0,
    min: 0,
    max: 1000,
    describe: 'how long an idle producer waits to fill a batch (0 = same event-loop turn)',
  }),
  PRODUCE_MAX_BATCH: int({ default: 1000, min: 1, describe: 'most records per sendBatch' }),
  PRODUCE_MAX_BATCH_BYTES: int({
    default: 900_000,
    min: 1,
    describe: 'most record bytes (values, keys, headers) per sendBatch; below message.max.bytes',
  }),
  PRODUCE_TIMEOUT_MS: int({
    default: 5000,
    min: 100,
    describe: 'longest wait for the Kafka ack before answering 429',
  }),
  MAX_IN_FLIGHT: int({
    default: 10_000,
    min: 1,
    describe: 'requests waiting for Kafka at once (over it: 429)',
  }),
  RETRY_AFTER_SECONDS: int({ default: 10, min: 1, describe: 'Retry-After on every 429' }),
  KAFKA_HEALTH_CHECK_MS: int({
    default: 2000,
    min: 0,
    describe: 'idle Kafka check interval: not ready and 429 once a check fails (0 = off)',
  }),
};

export type IngressConfig = ConfigOf<typeof ingressConfigSchema>;

/** Config from the environment, including the checks one field alone cannot make. */
export function loadIngressConfig(env: Env = process.env): IngressConfig {
  const config = loadConfig(ingressConfigSchema, env);
  const problems: string[] = [];
  if (!config.WEBHOOK_PATH.startsWith('/')) problems.push('WEBHOOK_PATH must start with "/"');
  let checker: SignatureChecker | undefined;
  try {
    checker = createSignatureChecker(config);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (checker && checker.schemes.length === 0 && !config.INGRESS_ALLOW_UNSIGNED) {
    problems.push(
      'no signature scheme is active (SIGNATURE_SCHEMES, WEBHOOK_HMAC_SECRETS): every webhook would get 401',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The verifiers of the enabled schemes; hmac counts as enabled only when it has secrets. */
export function createSignatureChecker(config: IngressConfig): SignatureChecker {
  const enabled = new Set(config.SIGNATURE_SCHEMES);
  const verifiers: SchemeVerifier[] = [];
  const problems: string[] = [];
  const keyed = (name: string, build: () => SchemeVerifier) => {
    try {
      verifiers.push(build());
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  };
  if (enabled.has('hmac') && config.WEBHOOK_HMAC_SECRETS.length > 0) {
    verifiers.push(createHmacVerifier(config.WEBHOOK_HMAC_SECRETS));
  }
  if (enabled.has('ed25519')) {
    keyed('GHL_ED25519_PUBLIC_KEY', () =>
      createEd25519Verifier(
        loadPublicKey(config.GHL_ED25519_PUBLIC_KEY ?? GHL_ED25519_PUBLIC_KEY_PEM, 'ed25519'),
      ),
    );
  }
  if (enabled.has('rsa')) {
    keyed('GHL_RSA_PUBLIC_KEY', () =>
      createRsaVerifier(loadPublicKey(config.GHL_RSA_PUBLIC_KEY ?? GHL_RSA_PUBLIC_KEY_PEM, 'rsa')),
    );
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return new SignatureChecker(verifiers, config.INGRESS_ALLOW_UNSIGNED);
}
