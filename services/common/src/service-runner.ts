// The process around a service (docs/style.md: only main.ts reads the environment, listens and
// handles signals): each service's main.ts names its config loader and factory, and this does the
// rest the same way for every service: configuration (exit 2 listing every problem), logger,
// tracing, start (exit 1 if it fails), SIGTERM/SIGINT and unexpected errors through one clean
// stop, and a forced exit when that stop hangs.
import { ConfigError } from './config.js';
import { SERVICE_ERRORS } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { exitCleanlyOnUnexpectedErrors } from './process-guards.js';
import { startTracing, type Tracing } from './tracing.js';

/** What a service factory returns: nothing runs until `start()`. */
export interface RunnableService {
  /** Listens or joins; a rejection means the service cannot run (exit 1). */
  start(): Promise<void>;
  /** The clean stop: finish or answer what is in flight, release everything. */
  close(): Promise<void>;
}

export interface ServiceDefinition<C extends { readonly LOG_LEVEL: string }> {
  /** The `service` of every log line. */
  readonly name: string;
  /** The OpenTelemetry service name (tracing is off unless OTEL_* configures an exporter). */
  readonly tracingName: string;
  /** Reads and validates the environment; throws ConfigError listing every problem. */
  loadConfig(env: NodeJS.ProcessEnv): C;
  /** How long a clean stop may take before the process exits 1 anyway. */
  stopTimeoutMs(config: C): number;
  build(config: C, deps: { logger: Logger; tracing: Tracing }): RunnableService;
}

/** The part of `process` the runner uses; unit tests pass a fake. */
export interface ServiceProcess {
  readonly env: NodeJS.ProcessEnv;
  on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  exit(code: number): void;
  readonly stderr: { write(text: string): unknown };
}

export interface RunnerDeps {
  process?: ServiceProcess;
  createLogger?: (service: string, level: string) => Logger;
  startTracing?: (serviceName: string, options: { logger: Logger }) => Promise<Tracing>;
  /** Routes uncaught exceptions and unhandled rejections to `stop` (exit 1). */
  guardUnexpectedErrors?: (
    logger: Logger,
    stop: (reason: string, exitCode: number) => Promise<void>,
  ) => void;
}

export interface RunningService<C> {
  readonly config: C;
  readonly logger: Logger;
  /** The same clean stop as SIGTERM; runs once, whoever calls it first. */
  stop(reason: string, exitCode?: number): Promise<void>;
}

/**
 * Runs a service as its process. Resolves once it has started; undefined when it could not (the
 * exit has been requested: 2 for a bad configuration, 1 for a failed start).
 */
export async function runService<C extends { readonly LOG_LEVEL: string }>(
  definition: ServiceDefinition<C>,
  deps: RunnerDeps = {},
): Promise<RunningService<C> | undefined> {
  const proc = deps.process ?? process;
  let config: C;
  try {
    config = definition.loadConfig(proc.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    proc.stderr.write(`${err.message}\n`);
    proc.exit(err.exitCode);
    return undefined;
  }
  const logger = (deps.createLogger ?? createLogger)(definition.name, config.LOG_LEVEL);
  const tracing = await (deps.startTracing ?? startTracing)(definition.tracingName, { logger });
  const service = definition.build(config, { logger, tracing });

  let stopping: Promise<void> | undefined;
  const stop = (reason: string, exitCode = 0): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ signal: reason }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.error(
          { code: 'SVC_ERR_SHUTDOWN_TIMEOUT' },
          'shutdown did not finish in time; exiting',
        );
        proc.exit(SERVICE_ERRORS.SVC_ERR_SHUTDOWN_TIMEOUT.exitCode);
      }, definition.stopTimeoutMs(config));
      deadline.unref();
      try {
        await service.close();
        // After the last request or transaction: its spans are ended, and this exports them.
        await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'tracing shutdown'));
        logger.info('shut down cleanly');
        proc.exit(exitCode);
      } catch (err) {
        logger.error({ err, code: 'SVC_ERR_SHUTDOWN_FAILED' }, 'shutdown failed');
        proc.exit(SERVICE_ERRORS.SVC_ERR_SHUTDOWN_FAILED.exitCode);
      } finally {
        clearTimeout(deadline);
      }
    })();
    return stopping;
  };
  proc.on('SIGTERM', () => void stop('SIGTERM'));
  proc.on('SIGINT', () => void stop('SIGINT'));
  (deps.guardUnexpectedErrors ?? exitCleanlyOnUnexpectedErrors)(logger, stop);

  try {
    await service.start();
  } catch (err) {
    logger.fatal({ err, code: 'SVC_ERR_START_FAILED' }, `${definition.name} failed to start`);
    await stop('start failed', SERVICE_ERRORS.SVC_ERR_START_FAILED.exitCode);
    return undefined;
  }
  return { config, logger, stop };
}
