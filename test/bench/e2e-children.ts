// The child processes of `npm run bench:e2e` (test/bench/e2e.bench.ts): ingress, transformer and
// passthrough started through tsx, the Java exactly-once copy through java, with their logs in
// .stack/bench/, waited for until ready, and stopped together.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../services/common/src/project-root.js';
import { isRunning, trackChild } from './bench-children.js';
import { benchJavaCommand, type BenchJavaMain } from './bench-java.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** .stack/bench/e2e-<name>.log: where a child's output goes. */
export const childLog = (name: string) => join(projectRoot(), '.stack', 'bench', `e2e-${name}.log`);

/**
 * Spawns `command` with stdout (and stderr unless `inheritStderr`) into `childLog(name)`,
 * truncated first, and tracks it (bench-children.ts) so the bench never leaves it running.
 */
function spawnLogged(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  inheritStderr: boolean,
): ChildProcess {
  mkdirSync(join(projectRoot(), '.stack', 'bench'), { recursive: true });
  const log = openSync(childLog(name), 'w');
  try {
    const child = spawn(command, args, {
      cwd: projectRoot(),
      env,
      stdio: ['ignore', log, inheritStderr ? 'inherit' : log],
    });
    child.once('error', () => undefined); // a failed spawn: trackChild throws (no PID)
    return trackChild(child, name);
  } finally {
    closeSync(log); // the child holds its own copy
  }
}

/**
 * A process as a child, run through tsx with `nodeFlags` (the transformer's production flags for
 * the transformer); its JSON log lines go to .stack/bench/e2e-<name>.log.
 */
export function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  nodeFlags: readonly string[] = [],
): ChildProcess {
  return spawnLogged(
    name,
    process.execPath,
    [...nodeFlags, '--import', 'tsx', join(projectRoot(), script)],
    { ...process.env, LOG_LEVEL: 'warn', ...env },
    true,
  );
}

/** A Java program of test/bench/java as a child; stdout and stderr to .stack/bench/e2e-<name>.log. */
export async function startJavaChild(
  name: string,
  main: BenchJavaMain,
  args: string[],
): Promise<ChildProcess> {
  const command = await benchJavaCommand(main, args);
  return spawnLogged(name, command.java, command.args, process.env, false);
}

/**
 * Resolves once `childLog(name)` contains `line`. Throws when `child` exits first or after
 * `timeoutMs`, with the log's tail.
 */
export async function waitForLogLine(
  name: string,
  child: ChildProcess,
  line: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const text = () => {
    try {
      return readFileSync(childLog(name), 'utf8');
    } catch {
      return '';
    }
  };
  while (!text().includes(line)) {
    if (!isRunning(child))
      throw new Error(`${name} exited before "${line}":\n${text().slice(-4000)}`);
    if (Date.now() > deadline)
      throw new Error(`${name}: no "${line}" after ${timeoutMs} ms:\n${text().slice(-4000)}`);
    await sleep(100);
  }
}

/** SIGTERMs every child and waits for them all; one still running 15 s later is SIGKILLed. */
export async function stopChildren(children: ChildProcess[]): Promise<void> {
  const exited = children.map((c) =>
    isRunning(c) ? new Promise((r) => c.once('exit', r)) : Promise.resolve(),
  );
  for (const child of children) if (isRunning(child)) child.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const child of children) if (isRunning(child)) child.kill('SIGKILL');
  }, 15_000);
  await Promise.all(exited);
  clearTimeout(killer);
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
