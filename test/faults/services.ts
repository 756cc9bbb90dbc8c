// The ingress and the transformer as real child processes (`node --import tsx .../main.ts`, the
// env npm start gives them), logging to files in .stack/faults-report/ so a failed scenario can be
// explained from their own words. Every child is tracked: stopAllServices() ends them in afterAll,
// and a process 'exit' hook SIGKILLs any survivor if the test worker itself goes away.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../infra/local-stack/free-port.js';
import { projectRoot } from '../../services/common/src/project-root.js';
import { TRANSFORMER_NODE_FLAGS } from '../../services/transformer/src/node-flags.js';
import { faultConfig, reportDir } from './fault-env.js';

/** Every service pid started by this suite, for the global teardown's last sweep. */
const pidsFile = () => join(reportDir(), 'service-pids');
/** Marks the suite's children in their environment, so a sweep never signals anyone else's. */
const RUN_MARK = 'FAULTS_RUN_ID';

export interface ServiceChild {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** http://127.0.0.1:<port>: the ingress' own port, the transformer's metrics port. */
  baseUrl: string;
  /** Resolves with "exit <code>" or "signal <name>" once the process has ended. */
  exited: Promise<string>;
  alive(): boolean;
  /** SIGCONT (it may be frozen by a scenario), SIGTERM, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<string>;
}

const running = new Set<ServiceChild>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous by necessity: the last chance to not leave services behind a crashed worker.
  process.on('exit', () => {
    for (const s of running) {
      try {
        process.kill(s.pid, 'SIGCONT');
        process.kill(s.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  port: number,
  nodeFlags: readonly string[] = [],
): ServiceChild {
  installExitHook();
  const logFile = join(reportDir(), `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', join(projectRoot(), script)],
    {
      cwd: projectRoot(),
      // Only what the service needs: KAFKA_BROKERS & co. of the developer's shell must not leak in.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
        ...env,
      },
      stdio: ['ignore', fd, fd],
    },
  );
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  appendFileSync(pidsFile(), `${child.pid}\n`);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit ${code}`)),
  );
  const service: ServiceChild = {
    name,
    child,
    pid: child.pid,
    logFile,
    baseUrl: `http://127.0.0.1:${port}`,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(graceMs = 15_000) {
      if (service.alive()) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(service);
      return exited;
    },
  };
  running.add(service);
  void exited.then(() => running.delete(service));
  return service;
}

export interface ServiceEnv {
  brokers: string;
  registryUrl: string;
  prefix: string;
  /** FaultStack.runId: put in the child's environment for sweepServices. */
  runId: string;
}

/** An ingress child on a free loopback port, accepting the HMAC `secret`. */
export async function spawnIngress(
  name: string,
  env: ServiceEnv,
  secret: string,
  extra: Record<string, string> = {},
): Promise<ServiceChild> {
  const port = await freePort();
  return startChild(
    name,
    'services/ingress/src/main.ts',
    {
      [RUN_MARK]: env.runId,
      KAFKA_BROKERS: env.brokers,
      TOPIC_PREFIX: env.prefix,
      INGRESS_HOST: '127.0.0.1',
      INGRESS_PORT: String(port),
      WEBHOOK_HMAC_SECRETS: secret,
      // Shorter than the 5 s default: during an outage the first requests wait this long, and
      // the load generator keeps a bounded number of them open.
      PRODUCE_TIMEOUT_MS: '2000',
      RETRY_AFTER_SECONDS: '5',
      LOG_LEVEL: 'info',
      ...extra,
    },
    port,
  );
}

/**
 * A transformer child with its metrics/readyz on a free port. Group failover is short (6 s
 * session) like the integration tests, so the transformer-sigstop takeover fits the CI budget.
 */
export async function spawnTransformer(
  name: string,
  env: ServiceEnv,
  group: string,
  extra: Record<string, string> = {},
): Promise<ServiceChild> {
  const port = await freePort();
  return startChild(
    name,
    'services/transformer/src/main.ts',
    {
      [RUN_MARK]: env.runId,
      KAFKA_BROKERS: env.brokers,
      SCHEMA_REGISTRY_URL: env.registryUrl,
      TOPIC_PREFIX: env.prefix,
      TRANSFORMER_GROUP_ID: group,
      TRANSFORMER_METRICS_HOST: '127.0.0.1',
      TRANSFORMER_METRICS_PORT: String(port),
      TRANSFORMER_SESSION_TIMEOUT_MS: '6000',
      TRANSFORMER_HEARTBEAT_INTERVAL_MS: '1000',
      TRANSFORMER_BACKOFF_MAX_MS: '2000',
      LOG_LEVEL: faultConfig.FAULTS_TRANSFORMER_LOG_LEVEL,
      ...(process.env.TRANSFORMER_TRANSACTIONS
        ? { TRANSFORMER_TRANSACTIONS: process.env.TRANSFORMER_TRANSACTIONS }
        : {}),
      ...extra,
    },
    port,
    TRANSFORMER_NODE_FLAGS,
  );
}

/** Polls `<baseUrl>/readyz` until 200; fails early if the process exits. */
export async function waitReady(service: ServiceChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!service.alive())
      throw new Error(`${service.name} exited during start-up (${await service.exited})`);
    if ((await readyz(service)) === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service.name} not ready after ${timeoutMs} ms (log: ${service.logFile})`);
}

/** /readyz status, or 'timeout' (a frozen process) / 'down' (nothing listening). */
export async function readyz(service: ServiceChild): Promise<number | 'timeout' | 'down'> {
  try {
    const res = await fetch(`${service.baseUrl}/readyz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return (err as Error).name === 'TimeoutError' ? 'timeout' : 'down';
  }
}

/**
 * The value of an unlabelled Prometheus metric on the service's /metrics (the `service` default
 * label aside), or undefined when it does not answer (frozen, dead, restarting).
 */
export async function metricValue(
  service: ServiceChild,
  name: string,
): Promise<number | undefined> {
  try {
    const res = await fetch(`${service.baseUrl}/metrics`, { signal: AbortSignal.timeout(1000) });
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  } catch {
    return undefined;
  }
}

/**
 * The transformer's count of ghl.raw records committed per partition (`partition` label), or
 * undefined when /metrics does not answer.
 */
export async function processedByPartition(
  service: ServiceChild,
): Promise<Map<number, number> | undefined> {
  try {
    const res = await fetch(`${service.baseUrl}/metrics`, { signal: AbortSignal.timeout(1000) });
    const out = new Map<number, number>();
    for (const line of (await res.text()).split('\n')) {
      const m = /^transformer_records_processed_total\{[^}]*partition="(\d+)"[^}]*\} (\S+)$/.exec(
        line,
      );
      if (m) out.set(Number(m[1]), Number(m[2]));
    }
    return out;
  } catch {
    return undefined;
  }
}

/** The transformer's count of ghl.raw records committed, all partitions together. */
export async function processedCount(service: ServiceChild): Promise<number | undefined> {
  const perPartition = await processedByPartition(service);
  return perPartition && [...perPartition.values()].reduce((a, b) => a + b, 0);
}

/** How many ghl.raw partitions the transformer owns right now. */
export const assignedPartitions = (service: ServiceChild) =>
  metricValue(service, 'transformer_assigned_partitions');

/** Stops every child this module started that is still running (afterAll, even on failure). */
export async function stopAllServices(): Promise<string[]> {
  return Promise.all([...running].map(async (s) => `${s.name} ${await s.stop()}`));
}

/**
 * The global teardown's last resort for a test worker that died without its afterAll: SIGKILLs
 * every recorded service pid that is still alive and still carries this suite's mark in its
 * environment (a recycled pid belongs to someone else and is left alone). Returns the pids killed.
 */
export function sweepServices(runId: string): number[] {
  if (!existsSync(pidsFile())) return [];
  const killed: number[] = [];
  for (const text of readFileSync(pidsFile(), 'utf8').split('\n')) {
    const pid = Number(text);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!environ.includes(`${RUN_MARK}=${runId}`)) continue;
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone already, or not ours to read
    }
  }
  return killed;
}
