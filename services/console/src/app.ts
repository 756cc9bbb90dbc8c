// The ops console: a Fastify app serving the page (services/console/public, no CDN) and its JSON
// API over the operations the CLI runs too (services/common/src/ops: trace, dlq redrive, replay,
// lag), so a redrive or a replay from the page is exactly the one `ghl-pipeline` does. Security:
// services/console/src/security.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  CONSOLE_ERRORS,
  ConsoleError,
  DLQ_REASONS,
  type ConsoleErrorCode,
} from '../../common/src/errors.js';
import { isKafkaClientError } from '../../common/src/kafka/kafka-errors.js';
import { createLogger, type Logger } from '../../common/src/logger.js';
import { projectRoot } from '../../common/src/project-root.js';
import { OpsContext } from '../../common/src/ops/context.js';
import { collectDlq } from '../../common/src/ops/dlq-records.js';
import { CommandFailed, UsageError } from '../../common/src/ops/errors.js';
import { groupLag } from '../../common/src/ops/group-lag.js';
import { ServiceHealth } from './service-health.js';
import { consoleOperators, type ConsoleConfig } from './config.js';
import { registerActions } from './actions.js';
import { SelectionError } from './selection.js';
import { registerEvents } from './events.js';
import { Jobs } from './jobs.js';
import {
  SESSION_COOKIE,
  csrfTokenOf,
  operatorOf,
  operatorOfToken,
  requireSameOrigin,
  requireToken,
  whoOf,
} from './security.js';

export interface ConsoleDeps {
  logger?: Logger;
  /** Samples the services for the Overview; built from the config when not given. */
  health?: ServiceHealth;
}

/** One audit line: who did what (reveals, redrives, replays). */
export interface AuditEntry {
  at: string;
  who: ReturnType<typeof whoOf>;
  action: 'reveal' | 'redrive' | 'replay';
  what: Record<string, unknown>;
}

/** What the route modules get from the app. */
export interface ConsoleRuntime {
  config: ConsoleConfig;
  logger: Logger;
  jobs: Jobs;
  /** An ops context for one request or job, closed by `use`'s caller through `close()`. */
  context(signal?: AbortSignal): OpsContext;
  /** Runs `body` with a fresh context and closes it after. */
  use<T>(body: (ctx: OpsContext) => Promise<T>): Promise<T>;
  audit(req: FastifyRequest, action: AuditEntry['action'], what: Record<string, unknown>): void;
}

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'common.js': 'text/javascript; charset=utf-8',
  'events.js': 'text/javascript; charset=utf-8',
  'failures.js': 'text/javascript; charset=utf-8',
  'overview.js': 'text/javascript; charset=utf-8',
  'redrive.js': 'text/javascript; charset=utf-8',
  'replay.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const publicDir = () => join(projectRoot(), 'services', 'console', 'public');

/** Builds the console without listening; `close()` stops the sampler and waits for jobs. */
export function buildConsole(
  config: ConsoleConfig,
  deps: ConsoleDeps = {},
): { app: FastifyInstance; health: ServiceHealth; audits: AuditEntry[] } {
  const logger = deps.logger ?? createLogger('console', config.LOG_LEVEL);
  // Typed as a plain instance (pino's Logger is a FastifyBaseLogger) so route modules can take it.
  const app = Fastify({
    loggerInstance: logger,
    // No per-request lines: the login URL carries the token in its query string.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // A URL Fastify cannot decode ('%zz') is answered by Fastify itself, with its own FST_ERR_*
    // code, unless handed over here: it becomes CONSOLE_ERR_BAD_REQUEST like every other 400.
    frameworkErrors: (err, _request, reply) => {
      void answer(reply, 'CONSOLE_ERR_BAD_REQUEST', err.message);
    },
  }) as unknown as FastifyInstance;
  const operators = consoleOperators(config);
  const health =
    deps.health ??
    new ServiceHealth(
      { ingress: config.CONSOLE_INGRESS_URL, transformer: config.CONSOLE_TRANSFORMER_URL },
      config.CONSOLE_SCRAPE_INTERVAL_MS,
    );
  const jobs = new Jobs();
  const audits: AuditEntry[] = [];
  const stderr = { write: (text: string) => logger.warn({ cli: text.trim() }, 'cli warning') };
  const context = (signal?: AbortSignal) =>
    new OpsContext(config, true, {
      stdout: { write: () => undefined },
      stderr,
      ...(signal ? { signal } : {}),
    });
  const runtime: ConsoleRuntime = {
    config,
    logger,
    jobs,
    context,
    async use(body) {
      const ctx = context();
      try {
        return await body(ctx);
      } finally {
        await ctx.close().catch(() => undefined);
      }
    },
    audit(req, action, what) {
      const entry: AuditEntry = {
        at: new Date().toISOString(),
        who: whoOf(req),
        action,
        what,
      };
      audits.push(entry);
      if (audits.length > 500) audits.shift();
      logger.info({ audit: entry }, `audit: ${action}`);
    },
  };

  app.addHook('onRequest', async (req, reply) => {
    void reply.headers({
      'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    const path = req.url.split('?')[0];
    const query = req.query as { token?: string } | undefined;
    if (req.method === 'GET' && path === '/' && typeof query?.token === 'string') return; // login
    const operator = requireToken(req, operators);
    if (req.method !== 'GET' && req.method !== 'HEAD') requireSameOrigin(req, operator.token);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err instanceof ConsoleError)
      return send(
        reply,
        err.statusCode,
        err.code,
        err.message,
        err instanceof SelectionError ? { records: err.records } : {},
      );
    if (err instanceof UsageError || err instanceof CommandFailed)
      return answer(reply, 'CONSOLE_ERR_BAD_REQUEST', err.message);
    // Fastify's own 4xx (validation, a body too large …): the code for its status, with its text.
    if (err.validation || (err.statusCode && err.statusCode >= 400 && err.statusCode < 500))
      return answer(reply, fastifyClientErrorCode(err.statusCode), err.message);
    if (isKafkaClientError(err)) {
      req.log.warn({ err }, 'Kafka failed a console request');
      return answer(reply, 'CONSOLE_ERR_KAFKA', `Kafka: ${err.message}`);
    }
    req.log.error({ err }, 'console request failed');
    return answer(reply, 'CONSOLE_ERR_INTERNAL');
  });
  app.setNotFoundHandler((_req, reply) => answer(reply, 'CONSOLE_ERR_NOT_FOUND'));

  app.get('/', async (req, reply) => {
    const query = req.query as { token?: string };
    if (typeof query.token === 'string') {
      // Trade the token in the address for a cookie the page's scripts cannot read, and drop it
      // from the address bar and the history.
      const operator = operatorOfToken(query.token, operators);
      if (!operator) throw new ConsoleError('CONSOLE_ERR_UNAUTHORIZED');
      return reply
        .header(
          'set-cookie',
          `${SESSION_COOKIE}=${encodeURIComponent(operator.token)}; HttpOnly; SameSite=Strict; Path=/`,
        )
        .redirect('/', 303);
    }
    return reply
      .type('text/html; charset=utf-8')
      .send(readFileSync(join(publicDir(), 'index.html')));
  });
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const type = ASSETS[req.params.file];
    if (!type) throw new ConsoleError('CONSOLE_ERR_NOT_FOUND');
    return reply.type(type).send(readFileSync(join(publicDir(), req.params.file)));
  });

  app.get('/api/session', async (req) => {
    const operator = operatorOf(req);
    return { csrf: csrfTokenOf(operator.token), operator: operator.name, reasons: DLQ_REASONS };
  });
  app.get('/api/audit', async () => ({ entries: audits.slice(-100) }));

  app.get<{ Querystring: { window?: string } }>('/api/overview', async (req) => {
    const windowH = req.query.window === '1h' ? 1 : 24;
    const bucketMs = windowH === 1 ? 5 * 60_000 : 60 * 60_000;
    const now = Date.now();
    const since = Math.floor((now - windowH * 3_600_000) / bucketMs) * bucketMs;
    const [lag, dlq] = await runtime.use(async (ctx) =>
      Promise.all([
        groupLag(ctx, {}).catch((err: Error) => ({ error: err.message })),
        collectDlq(ctx, { since }),
      ]),
    );
    const buckets: { t: string; counts: Record<string, number> }[] = [];
    for (let t = since; t <= now; t += bucketMs)
      buckets.push({ t: new Date(t).toISOString(), counts: {} });
    for (const r of dlq) {
      const b = buckets[Math.floor((Date.parse(r.entry.timestamp) - since) / bucketMs)];
      const reason = r.entry.reason ?? 'unknown';
      if (b) b.counts[reason] = (b.counts[reason] ?? 0) + 1;
    }
    return { ...health.snapshot(), lag, dlq: { bucketMs, buckets, total: dlq.length } };
  });
  app.get<{ Params: { id: string } }>('/api/jobs/:id', async (req) => {
    const job = jobs.get(req.params.id);
    if (!job) throw new ConsoleError('CONSOLE_ERR_NOT_FOUND', `no job ${req.params.id}`);
    return job;
  });

  registerEvents(app, runtime);
  registerActions(app, runtime);
  app.addHook('onClose', async () => {
    health.stop();
    await jobs.idle(10_000);
  });
  return { app, health, audits };
}

function send(
  reply: FastifyReply,
  status: number,
  code: ConsoleErrorCode,
  error: string,
  extra: Record<string, unknown> = {},
) {
  return reply.status(status).send({ error, code, ...extra });
}

/**
 * The code of a 4xx Fastify raises itself: a body too large (413) and an unsupported content type
 * (415) have their own; anything else (validation, malformed JSON …) is CONSOLE_ERR_BAD_REQUEST.
 */
function fastifyClientErrorCode(statusCode: number | undefined): ConsoleErrorCode {
  if (statusCode === 413) return 'CONSOLE_ERR_BODY_TOO_LARGE';
  if (statusCode === 415) return 'CONSOLE_ERR_UNSUPPORTED_MEDIA_TYPE';
  return 'CONSOLE_ERR_BAD_REQUEST';
}

/** Answers `code` with its status and `error` (default: the code's public text). */
function answer(reply: FastifyReply, code: ConsoleErrorCode, error?: string) {
  const spec = CONSOLE_ERRORS[code];
  return send(reply, spec.statusCode, code, error ?? spec.message);
}
