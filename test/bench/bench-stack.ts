// The Kafka + registry a benchmark runs against: the configured one (KAFKA_BROKERS and
// SCHEMA_REGISTRY_URL), else the `npm run infra:up` stack, adopted when running or started (and
// then stopped again at the end).
import { readFileSync } from 'node:fs';
import { upLocalStack } from '../../infra/local-stack/local-stack.js';
import { localStackDir } from '../../infra/local-stack/paths.js';
import { stackStatus } from '../../infra/local-stack/stack.js';
import { loadConfig, optionalStr } from '../../services/common/src/config.js';

export interface BenchStack {
  brokers: string;
  registryUrl: string;
  /**
   * The Kafka brokers' pids, for CPU figures: the local stack's, or BENCH_BROKER_PIDS
   * (comma-separated) with an external broker; empty when unknown.
   */
  brokerPids: number[];
  /** Stops the stack if this run started it. */
  release(): Promise<void>;
}

/**
 * `nodes`: the Kafka node count to start the local stack with when LOCAL_KAFKA_NODES does not say
 * (bench:scale wants the 3-node cluster); a running local stack is used as it is.
 */
export async function benchStack(
  log: (...parts: unknown[]) => void,
  opts: { nodes?: number } = {},
): Promise<BenchStack> {
  const env = loadConfig({
    KAFKA_BROKERS: optionalStr({ describe: 'use this broker instead of the local stack' }),
    SCHEMA_REGISTRY_URL: optionalStr({ describe: 'use this registry instead of the local stack' }),
    BENCH_BROKER_PIDS: optionalStr({
      describe: "the external brokers' pids (comma-separated), for broker CPU figures",
    }),
  });
  if (env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL) {
    return {
      brokers: env.KAFKA_BROKERS,
      registryUrl: env.SCHEMA_REGISTRY_URL,
      brokerPids: (env.BENCH_BROKER_PIDS ?? '')
        .split(',')
        .filter((p) => p.trim() !== '')
        .map(Number),
      release: async () => undefined,
    };
  }
  const { stack, started } = await upLocalStack(
    process.env,
    process.env.LOCAL_KAFKA_NODES ? undefined : opts.nodes,
  );
  log(
    started
      ? `started the local stack at ${stack.brokers}`
      : `using the running local stack at ${stack.brokers}`,
  );
  return {
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    brokerPids: stackStatus(localStackDir()).kafkaPids.filter((p) => p !== undefined),
    release: async () => {
      if (started) await stack.stop();
    },
  };
}

/** Peak resident set size of a process so far (Linux VmHWM), in MB. */
export function peakRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU time a process has used so far (user + system, /proc/<pid>/stat fields 14 and 15), in ms;
 * undefined when it cannot be read (not Linux, process gone).
 */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** The CPU time (ms) the processes `pids` have used so far, summed; undefined if one is unreadable. */
export const sumCpuMs = (pids: readonly number[]): number | undefined =>
  pids.reduce<number | undefined>((sum, pid) => {
    const ms = cpuMs(pid);
    return sum === undefined || ms === undefined ? undefined : sum + ms;
  }, 0);
