#!/usr/bin/env node
// `npm run start:ingress`: reads the environment once, listens, and shuts down cleanly on
// SIGTERM/SIGINT (stop accepting, answer what is in flight, flush the producer, exit 0).
import { ConfigError } from '../../common/src/config.js';
import { createLogger } from '../../common/src/logger.js';
import { exitCleanlyOnUnexpectedErrors } from '../../common/src/process-guards.js';
import { startTracing } from '../../common/src/tracing.js';
import { buildIngress } from './app.js';
import { loadIngressConfig, type IngressConfig } from './config.js';
import { createKafkaSink } from './kafka-sink.js';
import { createIngressMetrics } from './metrics.js';

let config: IngressConfig;
try {
  config = loadIngressConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(err.exitCode);
}

const logger = createLogger('ingress', config.LOG_LEVEL);
const metrics = createIngressMetrics();
const producer = createKafkaSink(config, { logger, metrics });
// Off (a no-op) unless OTEL_* configures an exporter (README, Configuration: Tracing).
const tracing = await startTracing('ghl-ingress', { logger });
const app = buildIngress(config, { producer, logger, metrics, tracing });

let stopping = false;
async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: draining in-flight webhooks');
  // Every pending webhook settles within PRODUCE_TIMEOUT_MS; past that something is stuck.
  const deadline = setTimeout(() => {
    logger.error('shutdown did not finish in time; exiting');
    process.exit(1);
  }, config.PRODUCE_TIMEOUT_MS + 10_000);
  deadline.unref();
  try {
    await app.close();
    // After the last request: its spans are ended, and this exports them.
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'tracing shutdown'));
    logger.info('shut down cleanly');
    process.exit(exitCode);
  } catch (err) {
    logger.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
exitCleanlyOnUnexpectedErrors(logger, shutdown);

try {
  await app.listen({ host: config.INGRESS_HOST, port: config.INGRESS_PORT });
} catch (err) {
  logger.fatal({ err }, 'cannot listen');
  process.exit(1);
}
// Not awaited: with Kafka down the ingress still starts, answers 429 and reconnects by itself.
void producer.start();
