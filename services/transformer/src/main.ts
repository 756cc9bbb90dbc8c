import { ConfigError } from '../../common/src/config.js';
import { createLogger } from '../../common/src/logger.js';
import { exitCleanlyOnUnexpectedErrors } from '../../common/src/process-guards.js';
import { startTracing } from '../../common/src/tracing.js';
import { createTransformer } from './app.js';
import { loadTransformerConfig } from './config.js';

// Reads the environment, starts the transformer, and turns SIGTERM/SIGINT into a clean stop:
// the transaction in progress finishes, the consumer leaves the group, producers close, exit 0.
let config;
try {
  config = loadTransformerConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(err.exitCode);
  }
  throw err;
}
const logger = createLogger('transformer', config.LOG_LEVEL);
// Off (a no-op) unless OTEL_* configures an exporter (README, Configuration: Tracing).
const tracing = await startTracing('neuronx-transformer', { logger });
const transformer = createTransformer(config, { logger, tracing });

let stopping = false;
async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  const force = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, 30_000);
  force.unref();
  try {
    await transformer.close();
    // After the last transaction: its record spans are ended, and this exports them.
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'tracing shutdown'));
    logger.info('stopped');
    process.exit(exitCode);
  } catch (err) {
    logger.error({ err }, 'error while stopping');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
exitCleanlyOnUnexpectedErrors(logger, shutdown);

try {
  await transformer.start();
} catch (err) {
  logger.fatal({ err }, 'transformer failed to start');
  await transformer.close().catch(() => undefined);
  await tracing.shutdown().catch(() => undefined);
  process.exit(1);
}
