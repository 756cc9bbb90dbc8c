// The Kafka + registry a benchmark runs against: the configured one (KAFKA_BROKERS and
// SCHEMA_REGISTRY_URL), else the `npm run infra:up` stack, adopted when running or started (and
// then stopped again at the end).
import { readFileSync } from 'node:fs';
import { localStackDir } from '../../infra/local-stack/paths.js';
import { stackStatus, startStack } from '../../infra/local-stack/stack.js';
import { int, loadConfig, optionalStr } from '../../services/common/src/config.js';

export interface BenchStack {
  brokers: string;
  registryUrl: string;
  /** Stops the stack if this run started it. */
  release(): Promise<void>;
}

export async function benchStack(log: (...parts: unknown[]) => void): Promise<BenchStack> {
  const env = loadConfig({
    KAFKA_BROKERS: optionalStr({ describe: 'use this broker instead of the local stack' }),
    SCHEMA_REGISTRY_URL: optionalStr({ describe: 'use this registry instead of the local stack' }),
    KAFKA_PORT: int({ default: 9092, min: 1, max: 65535, describe: 'local stack broker port' }),
    KAFKA_CONTROLLER_PORT: int({ default: 9093, min: 1, max: 65535, describe: 'controller port' }),
    REGISTRY_PORT: int({ default: 8081, min: 1, max: 65535, describe: 'registry port' }),
    REGISTRY_MANAGEMENT_PORT: int({
      default: 8082,
      min: 1,
      max: 65535,
      describe: 'registry management port',
    }),
  });
  if (env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL) {
    return {
      brokers: env.KAFKA_BROKERS,
      registryUrl: env.SCHEMA_REGISTRY_URL,
      release: async () => undefined,
    };
  }
  const dir = localStackDir();
  const status = stackStatus(dir);
  const wasRunning = status.kafkaPid !== undefined && status.registryPid !== undefined;
  const stack = await startStack({
    dir,
    persistentRegistry: true,
    ports: {
      kafka: env.KAFKA_PORT,
      controller: env.KAFKA_CONTROLLER_PORT,
      registry: env.REGISTRY_PORT,
      registryManagement: env.REGISTRY_MANAGEMENT_PORT,
    },
  });
  log(
    wasRunning
      ? `using the running local stack at ${stack.brokers}`
      : `started the local stack at ${stack.brokers}`,
  );
  return {
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    release: async () => {
      if (!wasRunning) await stack.stop();
    },
  };
}

/** Peak resident set size of a process so far (Linux VmHWM), in MB. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
