// What the console tests share: fresh topics, a real transformer (unknown tenants go to the DLQ)
// and ingress on the test stack, signed webhooks, and a console built on the same topics.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { expect } from 'vitest';
import { buildConsole, type AuditEntry } from '../../../services/console/src/app.js';
import { loadConsoleConfig } from '../../../services/console/src/config.js';
import type { ServiceHealth } from '../../../services/console/src/service-health.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { cli, cliEnv } from '../../helpers/cli.js';
import { freshTopics, type FreshTopics } from '../../helpers/integration.js';
import { startTransformer } from '../../helpers/transformer-harness.js';
import { postWebhook, startIngress, type RunningIngress } from '../ingress/ingress-harness.js';

export interface ConsoleStack {
  fresh: FreshTopics;
  env: Record<string, string>;
  transformer: Transformer;
  ingress: RunningIngress;
  /** Posts a signed webhook; returns its event ID. */
  post(event: string, locationId: string, contactId: string): Promise<string>;
  close(): Promise<void>;
}

/** Fresh topics, `loc_123` mapped to `tenant-a`, a transformer with UNKNOWN_TENANT_POLICY=dlq. */
export async function startConsoleStack(label: string): Promise<ConsoleStack> {
  const fresh = await freshTopics({ partitions: 3, label });
  const env = cliEnv(fresh.prefix, { TRANSFORMER_GROUP_ID: fresh.group });
  expect((await cli(['tenants', 'set', 'loc_123', 'tenant-a'], env)).code).toBe(0);
  const [transformer, ingress] = await Promise.all([
    startTransformer(fresh, { UNKNOWN_TENANT_POLICY: 'dlq' }),
    startIngress(cliEnv(fresh.prefix)),
  ]);
  return {
    fresh,
    env,
    transformer,
    ingress,
    async post(event, locationId, contactId) {
      const body = JSON.stringify({
        event,
        locationId,
        companyId: 'comp_1',
        timestamp: new Date().toISOString(),
        data: {
          id: contactId,
          email: 'jane.doe@example.com',
          phone: '+1 415 555 0100',
          firstName: 'Jane',
        },
      });
      const res = await postWebhook(ingress.url, body, {
        'x-webhook-signature': signHmac(body, 's1'),
      });
      expect(res.status).toBe(200);
      return String(res.body.eventId);
    },
    async close() {
      await ingress.close();
      await transformer.close();
      await fresh.cleanup();
    },
  };
}

export interface RunningConsole {
  app: FastifyInstance;
  health: ServiceHealth;
  audits: AuditEntry[];
  /** Every line the console's logger wrote (pino JSON, parsed). */
  logLines: Record<string, unknown>[];
  url: string;
}

/** A console over `stack`'s topics with `tokens` (CONSOLE_TOKEN / CONSOLE_TOKENS), listening. */
export async function startConsole(
  stack: ConsoleStack,
  tokens: { CONSOLE_TOKEN?: string; CONSOLE_TOKENS?: string },
): Promise<RunningConsole> {
  const config = loadConsoleConfig({
    ...stack.env,
    ...tokens,
    CONSOLE_PORT: '0',
    CONSOLE_INGRESS_URL: new URL(stack.ingress.url).origin,
    CONSOLE_TRANSFORMER_URL: `http://127.0.0.1:${stack.transformer.metricsPort}`,
    CONSOLE_SCRAPE_INTERVAL_MS: '1000',
    LOG_LEVEL: 'info',
  });
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const built = buildConsole(config, { logger: pino({ level: 'info' }, sink) });
  const url = await built.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...built, logLines, url };
}
