// Every child process a bench spawns, by PID, so that any way out of the bench (an error, Ctrl-C,
// SIGTERM, process exit) kills them: a measured service or JVM left running would keep consuming
// CPU, the group's partitions and the next run's figures.
import type { ChildProcess } from 'node:child_process';

const children = new Map<number, ChildProcess>();
let installed = false;

/** Whether `child` is still running (no exit code and no terminating signal yet). */
export const isRunning = (child: ChildProcess) =>
  child.exitCode === null && child.signalCode === null;

/** SIGKILLs every tracked child still running. */
export function killChildren(): void {
  for (const [pid, child] of children) {
    if (isRunning(child)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    children.delete(pid);
  }
}

/**
 * Tracks `child` until it exits; the first call installs the exit, SIGINT and SIGTERM handlers
 * that kill whatever is still tracked (the signals then exit 130). Throws when the child has no
 * PID (the spawn failed).
 */
export function trackChild(child: ChildProcess, what: string): ChildProcess {
  if (child.pid === undefined) throw new Error(`could not start ${what}`);
  const pid = child.pid;
  if (!installed) {
    installed = true;
    process.once('exit', killChildren);
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        killChildren();
        process.exit(130);
      });
  }
  children.set(pid, child);
  child.once('exit', () => children.delete(pid));
  return child;
}
