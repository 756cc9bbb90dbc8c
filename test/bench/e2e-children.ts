// The child processes of `npm run bench:e2e` (test/bench/e2e.bench.ts): ingress, transformer and
// passthrough started through tsx, the Java exactly-once copy through java, with their logs in
// .stack/bench/, waited for until ready, and stopped together.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../services/common/src/project-root.js';
import { benchJavaCommand, type BenchJavaMain } from './bench-java.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A process as a child; its JSON log lines go to .stack/bench/e2e-<name>.log. */
export function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(projectRoot(), script)], {
    cwd: projectRoot(),
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', logTo(name), 'inherit'],
  });
}

/** .stack/bench/e2e-<name>.log, truncated and opened for the child to write. */
function logTo(name: string): number {
  const dir = join(projectRoot(), '.stack', 'bench');
  mkdirSync(dir, { recursive: true });
  return openSync(join(dir, `e2e-${name}.log`), 'w');
}

/** A Java program of test/bench/java as a child; stdout and stderr to .stack/bench/e2e-<name>.log. */
export async function startJavaChild(
  name: string,
  main: BenchJavaMain,
  args: string[],
): Promise<ChildProcess> {
  const command = await benchJavaCommand(main, args);
  const log = logTo(name);
  return spawn(command.java, command.args, { cwd: projectRoot(), stdio: ['ignore', log, log] });
}

export async function stopChildren(children: ChildProcess[]): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((c) =>
      c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve(),
    ),
  );
}

/** Polls `url` until it answers 2xx; throws after `timeoutMs`. */
export async function waitOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(200);
  }
  throw new Error(`${url} not ready`);
}
