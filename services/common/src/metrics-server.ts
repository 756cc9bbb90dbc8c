import { createServer, type ServerResponse, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { METRICS_SERVER_ERRORS, type MetricsServerErrorCode } from './errors.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny HTTP endpoint for services without an HTTP API of their own: GET /metrics (Prometheus
 * text), /healthz (liveness: the process answers) and /readyz (readiness: 200
 * `{"status":"ready"}`, or 503 `{"error":…,"code":"NOT_READY","status":"not ready","reasons":[…]}`
 * with what `notReady` returned, e.g. "Kafka unreachable"). Errors answer `{error, code}` with the
 * codes of METRICS_SERVER_ERRORS.
 */
export async function startMetricsServer(
  registry: Registry,
  opts: { host: string; port: number; notReady: () => readonly string[] },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      answerError(res, 'METHOD_NOT_ALLOWED');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => answerError(res, 'INTERNAL'),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const reasons = opts.notReady();
      // Not ready: `{error, code}` with `status` and `reasons` too (the console's Overview shows
      // the reasons; operators curl them).
      if (reasons.length > 0) answerError(res, 'NOT_READY', { status: 'not ready', reasons });
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    } else {
      answerError(res, 'NOT_FOUND');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Answers `{"error": <public text>, "code": <code>, ...extra}` with the status of the code's
 * entry.
 */
function answerError(
  res: ServerResponse,
  code: MetricsServerErrorCode,
  extra: Record<string, unknown> = {},
): void {
  const { statusCode, message } = METRICS_SERVER_ERRORS[code];
  res
    .writeHead(statusCode, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: message, code, ...extra }));
}
