import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../services/common/src/config.js';
import { createSignatureChecker, loadIngressConfig } from '../../../services/ingress/src/config.js';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadIngressConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('ingress config', () => {
  it('has the documented defaults', () => {
    const c = loadIngressConfig({});
    expect(c).toMatchObject({
      INGRESS_HOST: '127.0.0.1',
      INGRESS_PORT: 3000,
      WEBHOOK_PATH: '/webhooks/ghl',
      WEBHOOK_HMAC_SECRETS: [],
      SIGNATURE_SCHEMES: ['hmac', 'ed25519', 'rsa'],
      INGRESS_ALLOW_UNSIGNED: false,
      BODY_LIMIT_BYTES: 1_048_576,
      PRODUCE_TIMEOUT_MS: 5000,
      KAFKA_BROKERS: '127.0.0.1:9092',
      TOPIC_PREFIX: '',
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('enables Ed25519 and RSA with GHL keys by default, HMAC only with secrets', () => {
    expect(createSignatureChecker(loadIngressConfig({})).schemes).toEqual(['ed25519', 'rsa']);
    const withSecrets = loadIngressConfig({ WEBHOOK_HMAC_SECRETS: 's1, s2' });
    expect(withSecrets.WEBHOOK_HMAC_SECRETS).toEqual(['s1', 's2']);
    expect(createSignatureChecker(withSecrets).schemes).toEqual(['ed25519', 'rsa', 'hmac']);
    const hmacOnly = loadIngressConfig({ WEBHOOK_HMAC_SECRETS: 's1', SIGNATURE_SCHEMES: 'hmac' });
    expect(createSignatureChecker(hmacOnly).schemes).toEqual(['hmac']);
  });

  it('takes configured PEM keys, also as one-line values with \\n', () => {
    const pem = generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
      .replace(/\n/g, '\\n');
    expect(() => loadIngressConfig({ GHL_ED25519_PUBLIC_KEY: pem })).not.toThrow();
  });

  it('reports every problem together, including bad keys and a config that accepts nothing', () => {
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(
      problemsOf({
        WEBHOOK_PATH: 'webhooks',
        GHL_ED25519_PUBLIC_KEY: rsaPem,
        GHL_RSA_PUBLIC_KEY: 'garbage',
      }),
    ).toEqual([
      'WEBHOOK_PATH must start with "/"',
      expect.stringMatching(
        /^GHL_ED25519_PUBLIC_KEY: expected an ed25519 public key, got rsa; GHL_RSA_PUBLIC_KEY: /,
      ),
    ]);
    expect(problemsOf({ SIGNATURE_SCHEMES: 'hmac' })).toEqual([
      expect.stringMatching(/no signature scheme is active/),
    ]);
    expect(problemsOf({ SIGNATURE_SCHEMES: 'hmac,sha1', PRODUCE_TIMEOUT_MS: '5' })).toEqual([
      'SIGNATURE_SCHEMES has unknown value(s) sha1; allowed: hmac,ed25519,rsa',
      'PRODUCE_TIMEOUT_MS must be >= 100, got 5',
    ]);
  });

  it('allows a scheme-less config only with the dev-only unsigned flag', () => {
    expect(problemsOf({ SIGNATURE_SCHEMES: '', INGRESS_ALLOW_UNSIGNED: 'true' })).toEqual([]);
  });
});
