import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findJava } from './java.js';
import { registryAppDir } from './maven.js';
import { isAlive, logTail, runningPid, startJava, stopByPidFile } from './processes.js';
import { APICURIO_MIN_JAVA } from './versions.js';
import { waitUntil } from './wait-until.js';

export interface RegistryServerOptions {
  /** Holds registry.log, registry.pid and, when persistent, the H2 database. */
  dir: string;
  port: number;
  /** Quarkus' management interface (health, metrics); bound to loopback like everything else. */
  managementPort: number;
  /**
   * Keep schemas across restarts (H2 file in `dir`). The `infra:up` stack does, because Kafka
   * keeps its data and old Avro records name schema IDs; test stacks stay in memory.
   */
  persistent?: boolean;
}

const files = (dir: string) => ({
  log: join(dir, 'registry.log'),
  pid: join(dir, 'registry.pid'),
  db: join(dir, 'db', 'registry'),
});
const markerOf = (dir: string) => `ghl.pipeline.registry=${dir}`;

export interface RunningRegistry {
  /** What clients use as SCHEMA_REGISTRY_URL: the Confluent-compatible API. */
  url: string;
  pid: number;
}

export const registryUrl = (port: number) => `http://127.0.0.1:${port}/apis/ccompat/v7`;

export async function startRegistry(o: RegistryServerOptions): Promise<RunningRegistry> {
  const f = files(o.dir);
  const marker = markerOf(o.dir);
  const url = registryUrl(o.port);
  const existing = runningPid(f.pid, marker);
  if (existing !== undefined) {
    await waitForRegistry(url, existing, f.log, 90_000);
    return { url, pid: existing };
  }
  mkdirSync(o.dir, { recursive: true });
  const java = findJava(APICURIO_MIN_JAVA, 'REGISTRY_JAVA_HOME');
  const appDir = await registryAppDir();
  const pid = startJava({
    java,
    cwd: appDir,
    logFile: f.log,
    pidFile: f.pid,
    marker,
    env: {
      QUARKUS_HTTP_HOST: '127.0.0.1',
      QUARKUS_HTTP_PORT: String(o.port),
      QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
      QUARKUS_MANAGEMENT_PORT: String(o.managementPort),
      QUARKUS_LOG_LEVEL: 'WARN',
      QUARKUS_LOG_CATEGORY__IO_QUARKUS__LEVEL: 'INFO',
      ...(o.persistent ? { APICURIO_DATASOURCE_URL: `jdbc:h2:file:${f.db}` } : {}),
    },
    // The registry is touched a few times per service start; C1-only JIT and the serial GC
    // keep it from competing for the two cores with Kafka and the services.
    args: [
      '-Xmx512m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-XX:+ExitOnOutOfMemoryError',
      '-jar',
      'quarkus-run.jar',
    ],
  });
  await waitForRegistry(url, pid, f.log, 120_000);
  return { url, pid };
}

export const stopRegistry = (dir: string) => stopByPidFile(files(dir).pid, markerOf(dir), 20_000);
export const registryPid = (dir: string) => runningPid(files(dir).pid, markerOf(dir));

/** Ready means `GET <url>/subjects` answers 200. */
export async function waitForRegistry(
  url: string,
  pid: number,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  await waitUntil(
    async () => {
      const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return true;
    },
    {
      timeoutMs,
      failFast: () =>
        isAlive(pid)
          ? undefined
          : new Error(
              `registry (pid ${pid}) exited during start-up; last log lines:\n${logTail(logFile)}`,
            ),
      timeoutError: (last) =>
        new Error(
          `registry at ${url} not ready after ${timeoutMs} ms (${last}); log:\n${logTail(logFile)}`,
        ),
    },
  );
}
