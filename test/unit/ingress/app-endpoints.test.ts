// The ingress around the webhook route: /healthz, /readyz and /metrics, what the request logs
// carry (and never carry), and app.close() shutting the producer down.
import { afterEach, describe, expect, it } from 'vitest';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import {
  apps,
  closeApps,
  expectErrorBody,
  hmac,
  post,
  RecordingSink,
  seedBody,
  setup,
} from './app-harness.js';

afterEach(closeApps);

describe('health, readiness, metrics', () => {
  it('/healthz is always 200; /readyz follows the producer', async () => {
    const sink = new RecordingSink();
    const { app } = setup({}, sink);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    sink.ready = false;
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expectErrorBody(notReady.json(), 'ING_ERR_NOT_READY');
  });

  it('/metrics counts responses by status and scheme and signature failures by reason', async () => {
    const { app } = setup();
    await post(app, seedBody, hmac(seedBody));
    await post(app, seedBody, hmac(seedBody, 'bad'));
    await post(app, seedBody, { 'x-webhook-signature': 'nope' });
    await post(app, seedBody);
    await post(app, 'x', { 'content-type': 'text/plain' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toContain(
      'ingress_requests_total{status="200",scheme="hmac",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_requests_total{status="401",scheme="hmac",service="ingress"} 2',
    );
    expect(text).toContain(
      'ingress_requests_total{status="401",scheme="none",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_requests_total{status="415",scheme="none",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_signature_failures_total{scheme="hmac",reason="mismatch",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_signature_failures_total{scheme="hmac",reason="malformed",service="ingress"} 1',
    );
    expect(text).toContain(
      'ingress_signature_failures_total{scheme="none",reason="missing",service="ingress"} 1',
    );
    expect(text).toMatch(/ingress_in_flight_requests\{service="ingress"\} 0/);
    expect(text).toMatch(/ingress_produce_latency_seconds_bucket/);
    expect(text).toMatch(/ingress_produce_batch_size_bucket/);
  });
});

describe('logs', () => {
  it('carry the request id on every request line and never the signature, the body or personal data', async () => {
    const { app, lines } = setup();
    const before = lines.length;
    await post(app, seedBody, { ...hmac(seedBody), 'x-request-id': 'log-ok' });
    await post(app, seedBody, { ...hmac(seedBody, 'wrong'), 'x-request-id': 'log-bad' });
    const requestLines = lines.slice(before);
    expect(requestLines.length).toBeGreaterThan(2);
    for (const line of requestLines) expect(['log-ok', 'log-bad']).toContain(line.requestId);
    const text = JSON.stringify(requestLines);
    expect(text).not.toContain(signHmac(seedBody, 's1').slice(7));
    expect(text).not.toContain(signHmac(seedBody, 'wrong').slice(7));
    expect(text).not.toContain('john@example.com');
    expect(text).not.toContain('contact_789');
    expect(requestLines.find((l) => l.requestId === 'log-bad' && l.level === 30)).toMatchObject({
      level: 30,
      code: 'ING_ERR_BAD_SIGNATURE',
      status: 401,
    });
  });
});

describe('shutdown', () => {
  it('app.close() tells the producer to stop taking records, then closes it', async () => {
    const sink = new RecordingSink();
    const { app } = setup({}, sink);
    await app.ready();
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(sink.shutdownBegun).toBe(true);
    expect(sink.closed).toBe(true);
  });
});
