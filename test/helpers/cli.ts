// Runs `ghl-pipeline` in-process (runCli with captured stdout/stderr) or as a child process
// (bin/ghl-pipeline.js), against the integration stack.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../services/common/src/project-root.js';
import { runCli } from '../../services/cli/src/program.js';
import { stackClientEnv } from './integration.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI's environment for a test: the stack's addresses and the test's topic prefix. */
export function cliEnv(
  prefix: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return { ...stackClientEnv(prefix), ...overrides };
}

/** In-process: the same program main.ts runs, with its output captured. */
export async function cli(
  args: readonly string[],
  env: Record<string, string>,
  opts: { signal?: AbortSignal } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, env, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { code, stdout, stderr };
}

/** `--json` output parsed; fails the test with the CLI's stderr when the command failed. */
export async function cliJson<T>(args: readonly string[], env: Record<string, string>): Promise<T> {
  const result = await cli(['--json', ...args], env);
  if (result.code !== 0)
    throw new Error(`ghl-pipeline ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** One JSON document per line (tail --json). */
export const jsonLines = <T>(stdout: string): T[] =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);

/** bin/ghl-pipeline.js as a child process. */
export function cliProcess(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(projectRoot(), 'bin', 'ghl-pipeline.js'), ...args],
      {
        cwd: projectRoot(),
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ghl-pipeline ${args.join(' ')} did not exit in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
