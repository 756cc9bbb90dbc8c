import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../../common/src/config.js';
import { CLI_ERRORS, CliError } from '../../common/src/errors.js';
import { isKafkaClientError } from '../../common/src/kafka/kafka-errors.js';
import { projectRoot } from '../../common/src/project-root.js';
import { registerConsole } from './commands/console.js';
import { registerDlq } from './commands/dlq.js';
import { registerLag } from './commands/lag.js';
import { registerOffsets } from './commands/offsets.js';
import { registerReplay } from './commands/replay.js';
import { registerSchemas } from './commands/schemas.js';
import { registerTail } from './commands/tail.js';
import { registerTenants } from './commands/tenants.js';
import { registerTopics } from './commands/topics.js';
import { registerTrace } from './commands/trace.js';
import { OpsContext, opsConfigSchema } from '../../common/src/ops/context.js';
import { processIo, type OpsIo } from '../../common/src/ops/io.js';
import type { Runner } from './runner.js';

/**
 * Builds the `ghl-pipeline` program. Exit codes: 0 ok, 1 failure, 2 usage. User mistakes and
 * expected failures print one line; only unexpected errors print a stack (with DEBUG=1).
 */
export function buildProgram(
  env: NodeJS.ProcessEnv = process.env,
  io: OpsIo = processIo(),
): {
  program: Command;
  exitCode: () => number;
} {
  let exitCode = 0;
  const program = new Command('ghl-pipeline')
    .description(
      'Operate the GHL -> Kafka -> NeuronX pipeline: topics, schemas, tail, replay, DLQ, lag, offsets, tenants, trace',
    )
    .version(packageVersion(), '-V, --version')
    .option(
      '--json',
      'machine-readable JSON output (one document, or one record per line for tail)',
    )
    .addHelpText(
      'after',
      '\nEnvironment: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX, TRANSFORMER_GROUP_ID (see services/cli/README.md).\nExit codes: 0 ok, 1 failure, 2 usage.',
    )
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  const run: Runner = async (body) => {
    let ctx: OpsContext | undefined;
    try {
      ctx = new OpsContext(
        loadConfig(opsConfigSchema, env),
        Boolean(program.opts<{ json?: boolean }>().json),
        io,
      );
      exitCode = await body(ctx);
    } catch (err) {
      exitCode = reportError(err, env, io);
    } finally {
      await ctx?.close().catch(() => undefined);
    }
  };

  registerTopics(program, run);
  registerSchemas(program, run);
  registerTail(program, run);
  registerReplay(program, run);
  registerDlq(program, run);
  registerLag(program, run);
  registerOffsets(program, run);
  registerTenants(program, run);
  registerTrace(program, run);
  registerConsole(program, run);
  return { program, exitCode: () => exitCode };
}

const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;

/** Parses `args` (without node and script), runs the command, returns the exit code. */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  io: OpsIo = processIo(),
): Promise<number> {
  const { program, exitCode } = buildProgram(env, io);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode();
  } catch (err) {
    return reportError(err, env, io);
  }
}

/**
 * Prints a failure the way the CLI reports it and returns its exit code (CLI_ERRORS,
 * CONFIG_ERRORS in services/common/src/errors.ts): one line for expected failures, the stack of an
 * unexpected one only with DEBUG set.
 */
export function reportError(
  err: unknown,
  env: NodeJS.ProcessEnv,
  io: Pick<OpsIo, 'stderr'> = processIo(),
): number {
  // UsageError, CommandFailed and Interrupted: the exit code of their entry in CLI_ERRORS.
  if (err instanceof CliError) {
    io.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    io.stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  // Commander has already printed its message (and the help hint).
  if (err instanceof CommanderError)
    return err.exitCode === 0 ? 0 : CLI_ERRORS.CLI_ERR_USAGE.exitCode;
  const e = err as Error;
  // Kafka failures (unreachable broker, missing topic, authorization …) are operational, not bugs:
  // one line, the stack only on request.
  const prefix = isKafkaClientError(err) ? 'kafka: ' : '';
  io.stderr.write(`error: ${prefix}${e.message}\n`);
  if (env.DEBUG) io.stderr.write(`${e.stack}\n`);
  return CLI_ERRORS.CLI_ERR_UNEXPECTED.exitCode;
}
