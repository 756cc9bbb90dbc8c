// The small HTTP server of the transformer (/metrics, /healthz, /readyz): every error answer is
// `{error, code}` with a code of METRICS_SERVER_ERRORS; a 503 from /readyz keeps its `status` and
// `reasons`, which the console's Overview shows.
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS_SERVER_ERRORS } from '../../../services/common/src/errors.js';
import {
  startMetricsServer,
  type MetricsServer,
} from '../../../services/common/src/metrics-server.js';

describe('metrics server', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (registry: Registry, notReady: () => readonly string[] = () => []) => {
    server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0, notReady });
    return `http://127.0.0.1:${server.port}`;
  };
  const answer = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('/readyz: 200 when ready, else 503 with its code, the status and the reasons', async () => {
    let reasons: string[] = [];
    const base = await start(new Registry(), () => reasons);
    expect(await answer(`${base}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
    reasons = ['Kafka unreachable', 'starting'];
    expect(await answer(`${base}/readyz`)).toEqual({
      status: 503,
      body: {
        error: METRICS_SERVER_ERRORS.NOT_READY.message,
        code: 'NOT_READY',
        status: 'not ready',
        reasons: ['Kafka unreachable', 'starting'],
      },
    });
  });

  it('/metrics: 500 INTERNAL when collecting fails, without the cause', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'broken_gauge',
      help: 'a gauge whose collect throws',
      registers: [registry],
      collect() {
        throw new Error('secret cause');
      },
    });
    const base = await start(registry);
    expect(await answer(`${base}/metrics`)).toEqual({
      status: 500,
      body: { error: 'internal error', code: 'INTERNAL' },
    });
  });

  it('answers other paths and methods with their codes', async () => {
    const base = await start(new Registry());
    expect(await answer(`${base}/nope`)).toEqual({
      status: 404,
      body: { error: 'not found', code: 'NOT_FOUND' },
    });
    expect(await answer(`${base}/metrics`, { method: 'POST' })).toEqual({
      status: 405,
      body: { error: 'method not allowed', code: 'METHOD_NOT_ALLOWED' },
    });
  });
});
