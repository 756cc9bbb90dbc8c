import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<string>;
  stop(graceMs: number): Promise<string>;
}

/** Runs `node [flags] <script>` with its stdout/stderr lines prefixed by the service name. */
export function startService(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  nodeFlags: readonly string[] = [],
): ServiceProcess {
  const child = spawn(process.execPath, [...nodeFlags, script], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}]`.padEnd(14);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) =>
      process.stdout.write(`${prefix}${line}\n`),
    );
  }
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit ${code}`)),
  );
  return {
    name,
    child,
    exited,
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const outcome = await exited;
      clearTimeout(timer);
      return outcome;
    },
  };
}

/** Polls `url` until it answers 200, the process dies, or the time is up. */
export async function waitHttpOk(
  url: string,
  service: ServiceProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null)
      throw new Error(`${service.name} exited during start-up (${await service.exited})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service.name} not ready at ${url} after ${timeoutMs} ms`);
}
