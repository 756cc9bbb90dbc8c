// main.ts as a real process: env config, listening, and SIGTERM while webhooks are in flight
// (stop accepting, answer what is in flight, flush the producer, exit 0).
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local-stack/free-port.js';
import { projectRoot } from '../../../services/common/src/project-root.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import {
  freshTopics,
  readCommitted,
  sleep,
  stackEnv,
  testKafka,
  type FreshTopics,
} from '../../helpers/integration.js';
import { postWebhook, seedContactCreated, type Posted } from './ingress-harness.js';

let topics: FreshTopics | undefined;
afterEach(async () => {
  await topics?.cleanup();
});

describe('ingress main.ts', () => {
  // Regression: keep-alive connections that were busy when SIGTERM came kept the server open
  // until the shutdown deadline (exit 1); answers now carry Connection: close while closing.
  it('on SIGTERM answers every accepted request (200 durable or 429), never 5xx, and exits 0', async () => {
    topics = await freshTopics({ label: 'ingress-main' });
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/ingress/src/main.ts'], {
      cwd: projectRoot(),
      env: {
        ...process.env,
        KAFKA_BROKERS: stackEnv().brokers,
        TOPIC_PREFIX: topics.prefix,
        WEBHOOK_HMAC_SECRETS: 'main-secret',
        INGRESS_PORT: String(port),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const base = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const ready = await fetch(`${base}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ready) break;
        await sleep(100);
      }
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(output).toContain('"msg":"ingress configured"');
      expect(output).not.toContain('main-secret');

      // Traffic flowing on open connections, then SIGTERM with most requests still in flight.
      let done = 0;
      let flowing!: () => void;
      const isFlowing = new Promise<void>((resolve) => (flowing = resolve));
      const inFlight: Promise<Posted | Error>[] = [];
      for (let n = 0; n < 400; n++) {
        const body = seedContactCreated(n);
        inFlight.push(
          postWebhook(`${base}/webhooks/ghl`, body, {
            'x-webhook-signature': signHmac(body, 'main-secret'),
          })
            .catch((err: unknown) => err as Error)
            .finally(() => {
              if (++done === 20) flowing();
            }),
        );
      }
      await isFlowing;
      child.kill('SIGTERM');
      const results = await Promise.all(inFlight);
      const code = await exited;
      if (code !== 0) console.log(output.split('\n').slice(-15).join('\n'));
      expect(code).toBe(0);
      expect(output).toContain('"msg":"shut down cleanly"');

      const answered = results.filter((r): r is Posted => !(r instanceof Error));
      console.log(
        `[main-shutdown] ${answered.filter((r) => r.status === 200).length} × 200, ` +
          `${answered.filter((r) => r.status === 429).length} × 429, ${results.length - answered.length} not connected`,
      );
      const statuses = new Set(answered.map((r) => r.status));
      for (const status of statuses) expect([200, 429]).toContain(status);
      for (const r of answered.filter((a) => a.status === 429)) {
        expect(r.body.code).toBe('ING_ERR_SHUTTING_DOWN');
      }
      // Requests that never reached the closed listener fail to connect; none may be a 5xx.
      const accepted = answered
        .filter((r) => r.status === 200)
        .map((r) => r.body.eventId as string);
      expect(accepted.length).toBeGreaterThan(0);
      const records = await readCommitted(testKafka('main-reader'), [topics.names.raw], {
        expected: accepted.length,
      });
      const stored = new Set(records.map((r) => r.key?.toString()));
      for (const id of accepted) expect(stored.has(id), id).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses to start with an invalid configuration, listing every problem', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/ingress/src/main.ts'], {
      cwd: projectRoot(),
      env: {
        ...process.env,
        SIGNATURE_SCHEMES: 'hmac,md5',
        PRODUCE_TIMEOUT_MS: 'soon',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('SIGNATURE_SCHEMES has unknown value(s) md5');
    expect(stderr).toContain('PRODUCE_TIMEOUT_MS must be an integer');
  });
});
