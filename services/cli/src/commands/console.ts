import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { projectRoot } from '../../../common/src/project-root.js';
import type { Runner } from '../runner.js';

export function registerConsole(program: Command, run: Runner): void {
  program
    .command('console')
    .description(
      'start the web console (services/console) on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:3300) and print the address to open, with its token',
    )
    .addHelpText(
      'after',
      `
CONSOLE_TOKENS (name:token,name:token) gives each operator a token, and audit lines their name;
CONSOLE_TOKEN is one shared token (audited as "operator"). With neither, a random CONSOLE_TOKEN is
made for this run.
The console reads the same KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX and TRANSFORMER_GROUP_ID,
and CONSOLE_INGRESS_URL / CONSOLE_TRANSFORMER_URL for the Overview (docs/console.md). Ctrl-C stops it.`,
    )
    .action(() =>
      run(async () => {
        const root = projectRoot();
        const built = join(root, 'dist', 'services', 'console', 'src', 'main.js');
        const args = existsSync(built)
          ? [built]
          : ['--import', 'tsx', join(root, 'services', 'console', 'src', 'main.ts')];
        const child = spawn(process.execPath, args, {
          cwd: root,
          stdio: 'inherit',
          env: {
            ...process.env,
            // A shared token only when no per-operator token is set: it would be an anonymous way in.
            ...(process.env.CONSOLE_TOKEN || process.env.CONSOLE_TOKENS
              ? {}
              : { CONSOLE_TOKEN: randomBytes(18).toString('base64url') }),
          },
        });
        return new Promise<number>((resolve) => {
          child.on('exit', (code, signal) => resolve(signal ? 0 : (code ?? 1)));
        });
      }),
    );
}
