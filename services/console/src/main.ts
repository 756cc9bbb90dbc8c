#!/usr/bin/env node
// The console process: reads the environment (exit 2 on a bad setting, e.g. neither CONSOLE_TOKEN
// nor CONSOLE_TOKENS), listens on CONSOLE_HOST:CONSOLE_PORT (loopback by default), prints the
// address to open, stops on SIGINT or SIGTERM.
import { ConfigError } from '../../common/src/config.js';
import { createLogger } from '../../common/src/logger.js';
import { buildConsole } from './app.js';
import { SHARED_OPERATOR, consoleOperators, loadConsoleConfig } from './config.js';

let config;
try {
  config = loadConsoleConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(err.exitCode);
}
const logger = createLogger('console', config.LOG_LEVEL);
const { app, health } = buildConsole(config, { logger });
health.start();
const address = await app.listen({ host: config.CONSOLE_HOST, port: config.CONSOLE_PORT });
const url = new URL(address);
logger.info({ url: url.origin }, 'console listening');
// The one line a person (or `npm start`) reads: the address that logs in with the shared token,
// or, with per-operator tokens only, where each operator logs in with their own.
const named = consoleOperators(config).filter((o) => o.name !== SHARED_OPERATOR);
process.stdout.write(
  config.CONSOLE_TOKEN !== undefined
    ? `console: ${url.origin}/?token=${encodeURIComponent(config.CONSOLE_TOKEN)}\n`
    : `console: ${url.origin}/?token=<your token>  (operators: ${named.map((o) => o.name).join(', ')})\n`,
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void app.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
