import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface JavaProcessSpec {
  java: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  logFile: string;
  pidFile: string;
  /**
   * A -D property unique to this instance. Stop only kills a pid whose command line still
   * carries it, so a recycled pid that now belongs to someone else is never signalled.
   */
  marker: string;
}

/** Starts a detached JVM whose output goes to `logFile`; it outlives the starting process. */
export function startJava(spec: JavaProcessSpec): number {
  const log = openSync(spec.logFile, 'a');
  const child = spawn(spec.java, [`-D${spec.marker}`, ...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${spec.java}`);
  child.unref();
  writeFileSync(spec.pidFile, String(child.pid));
  return child.pid;
}

/** The pid in `pidFile` if that process is alive and still ours (its command line has `marker`). */
export function runningPid(pidFile: string, marker: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(marker)) return undefined;
    // A zombie (exited, not yet reaped by a parent that is still alive) is not running.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) Z /.test(stat) ? undefined : pid;
  } catch {
    return undefined;
  }
}

export const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
};

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Returns how it ended. */
export async function stopPid(
  pid: number,
  graceMs: number,
): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!isAlive(pid)) return 'not-running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'terminated';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'terminated';
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}

export async function stopByPidFile(
  pidFile: string,
  marker: string,
  graceMs: number,
): Promise<'not-running' | 'terminated' | 'killed'> {
  const pid = runningPid(pidFile, marker);
  const outcome = pid === undefined ? 'not-running' : await stopPid(pid, graceMs);
  rmSync(pidFile, { force: true });
  return outcome;
}

/** The last lines of a log, for start-up failure messages. */
export function logTail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}
