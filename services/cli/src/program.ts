import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../../common/src/config.js';
import { CommandFailed, UsageError } from './cli-errors.js';
import { registerTopics } from './commands/topics.js';
import { CliContext, cliConfigSchema } from './context.js';

/** Runs one command body with a context; returns the process exit code. */
export type Runner = (body: (ctx: CliContext) => Promise<number>) => Promise<void>;

/**
 * Builds the `ghl-pipeline` program. Exit codes: 0 ok, 1 failure, 2 usage. User mistakes and
 * expected failures print one line; only unexpected errors print a stack (with DEBUG=1).
 */
export function buildProgram(env: NodeJS.ProcessEnv = process.env): {
  program: Command;
  exitCode: () => number;
} {
  let exitCode = 0;
  const program = new Command('ghl-pipeline')
    .description(
      'Operate the GHL -> Kafka -> NeuronX pipeline: topics, schemas, tail, replay, DLQ, lag, offsets',
    )
    .option('--json', 'machine-readable JSON output')
    .showHelpAfterError()
    .exitOverride();

  const run: Runner = async (body) => {
    let ctx: CliContext | undefined;
    try {
      ctx = new CliContext(
        loadConfig(cliConfigSchema, env),
        Boolean(program.opts<{ json?: boolean }>().json),
      );
      exitCode = await body(ctx);
    } catch (err) {
      exitCode = reportError(err, env);
    } finally {
      await ctx?.close().catch(() => undefined);
    }
  };

  registerTopics(program, run);
  return { program, exitCode: () => exitCode };
}

export function reportError(err: unknown, env: NodeJS.ProcessEnv): number {
  if (err instanceof UsageError || err instanceof CommandFailed) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  const e = err as Error;
  process.stderr.write(`error: ${e.message}\n`);
  if (env.DEBUG) process.stderr.write(`${e.stack}\n`);
  return 1;
}
