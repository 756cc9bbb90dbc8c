import { int, loadConfig, str, type Env } from '../../common/src/config.js';
import { cliConfigSchema } from '../../cli/src/context.js';

/** Every setting of the console; names are a contract (README, .env.example). */
export const consoleConfigSchema = {
  ...cliConfigSchema,
  CONSOLE_HOST: str({ default: '127.0.0.1', describe: 'address to listen on (keep it loopback)' }),
  CONSOLE_PORT: int({ default: 3300, min: 0, max: 65535, describe: 'port to listen on' }),
  CONSOLE_TOKEN: str({
    describe: 'the token every request must carry (npm start and ghl-pipeline console make one)',
  }),
  CONSOLE_INGRESS_URL: str({
    default: 'http://127.0.0.1:3000',
    describe: "the ingress' base URL (readiness and metrics on the Overview)",
  }),
  CONSOLE_TRANSFORMER_URL: str({
    default: 'http://127.0.0.1:9464',
    describe: "the transformer's metrics base URL (readiness and metrics on the Overview)",
  }),
  CONSOLE_SCRAPE_INTERVAL_MS: int({
    default: 5000,
    min: 200,
    describe: 'how often the Overview samples the services’ /metrics and /readyz',
  }),
};
export type ConsoleConfig = ReturnType<typeof loadConfig<typeof consoleConfigSchema>>;

/** The validated console config (ConfigError listing every problem, e.g. no CONSOLE_TOKEN). */
export const loadConsoleConfig = (env: Env = process.env): ConsoleConfig =>
  loadConfig(consoleConfigSchema, env);
