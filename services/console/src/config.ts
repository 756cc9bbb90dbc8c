import {
  ConfigError,
  int,
  loadConfig,
  optionalStr,
  str,
  type Env,
} from '../../common/src/config.js';
import { opsConfigSchema } from '../../common/src/ops/context.js';

/** Every setting of the console; names are a contract (README, .env.example). */
export const consoleConfigSchema = {
  ...opsConfigSchema,
  CONSOLE_HOST: str({ default: '127.0.0.1', describe: 'address to listen on (keep it loopback)' }),
  CONSOLE_PORT: int({ default: 3300, min: 0, max: 65535, describe: 'port to listen on' }),
  CONSOLE_TOKEN: optionalStr({
    describe:
      'one shared token, audited as the operator "operator" (npm start and ghl-pipeline console make one when neither this nor CONSOLE_TOKENS is set)',
  }),
  CONSOLE_TOKENS: optionalStr({
    describe:
      'per-operator tokens, name:token,name:token (audit lines name the operator whose token was used)',
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

/** Someone who may use the console: the name audit lines give, and their token. */
export interface Operator {
  name: string;
  token: string;
}

/** The name CONSOLE_TOKEN's holder is audited as (one shared token: nobody in particular). */
export const SHARED_OPERATOR = 'operator';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MIN_NAMED_TOKEN = 16;

/**
 * The operators of CONSOLE_TOKENS (`name:token`, comma-separated) and CONSOLE_TOKEN (as
 * "operator"); throws a ConfigError listing every problem: neither set, an entry that is not
 * `name:token`, a bad name, a token shorter than 16 characters or with spaces, a name or token
 * given twice.
 */
export function consoleOperators(
  config: Pick<ConsoleConfig, 'CONSOLE_TOKEN' | 'CONSOLE_TOKENS'>,
): Operator[] {
  const problems: string[] = [];
  const operators: Operator[] = [];
  if (config.CONSOLE_TOKEN !== undefined)
    operators.push({ name: SHARED_OPERATOR, token: config.CONSOLE_TOKEN });
  const entries = (config.CONSOLE_TOKENS ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const [i, entry] of entries.entries()) {
    const at = entry.indexOf(':');
    const name = at > 0 ? entry.slice(0, at).trim() : '';
    const token = at > 0 ? entry.slice(at + 1).trim() : '';
    const which = `CONSOLE_TOKENS entry ${i + 1}`;
    if (at <= 0 || token === '') {
      problems.push(`${which} must be name:token`);
      continue;
    }
    if (!NAME.test(name))
      problems.push(
        `${which}: the name must be 1-64 letters, digits, '.', '_', '@' or '-' (starting with a letter or digit)`,
      );
    if (token.length < MIN_NAMED_TOKEN || /\s/.test(token))
      problems.push(
        `${which} (${name}): the token must be at least ${MIN_NAMED_TOKEN} characters, without spaces`,
      );
    if (operators.some((o) => o.name === name))
      problems.push(
        name === SHARED_OPERATOR && config.CONSOLE_TOKEN !== undefined
          ? `${which}: "${SHARED_OPERATOR}" is the name of CONSOLE_TOKEN's holder`
          : `${which}: the name ${name} is given twice`,
      );
    if (operators.some((o) => o.token === token))
      problems.push(`${which} (${name}): the same token is given to another operator`);
    operators.push({ name, token });
  }
  if (config.CONSOLE_TOKEN === undefined && entries.length === 0)
    problems.push('CONSOLE_TOKEN or CONSOLE_TOKENS is required');
  if (problems.length > 0) throw new ConfigError(problems);
  return operators;
}

/**
 * The validated console config (ConfigError listing every problem, e.g. neither CONSOLE_TOKEN
 * nor CONSOLE_TOKENS).
 */
export function loadConsoleConfig(env: Env = process.env): ConsoleConfig {
  const config = loadConfig(consoleConfigSchema, env);
  consoleOperators(config);
  return config;
}
