// The `npm run infra:up` stack (in .stack/local), as every entry point uses it: the stack CLI,
// `npm start` and the benchmarks. A running stack is adopted with the ports it was started on;
// otherwise it starts on the ports of the environment.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { int, loadConfig, type Env } from '../../services/common/src/config.js';
import { localStackDir } from './paths.js';
import { stackStatus, startStack, type StackHandle, type StackPorts } from './stack.js';

export const stackPortsSchema = {
  LOCAL_KAFKA_NODES: int({
    default: 1,
    min: 1,
    max: 9,
    describe:
      'Kafka nodes of the local stack (3 = a replicated cluster; node i listens on KAFKA_PORT + 2(i-1))',
  }),
  KAFKA_PORT: int({ default: 9092, min: 1, max: 65535, describe: 'local broker port' }),
  KAFKA_CONTROLLER_PORT: int({
    default: 9093,
    min: 1,
    max: 65535,
    describe: 'local KRaft controller port',
  }),
  REGISTRY_PORT: int({ default: 8081, min: 1, max: 65535, describe: 'local registry HTTP port' }),
  REGISTRY_MANAGEMENT_PORT: int({
    default: 8082,
    min: 1,
    max: 65535,
    describe: 'registry management (health) port',
  }),
};

/**
 * The ports of the environment. Node i of a cluster (i >= 2) listens on KAFKA_PORT + 2(i-1) and
 * KAFKA_CONTROLLER_PORT + 2(i-1): 9092/9093, 9094/9095, 9096/9097 by default.
 */
export function portsFromEnv(env: Env = process.env, nodes?: number): StackPorts {
  const c = loadConfig(stackPortsSchema, env);
  const count = nodes ?? c.LOCAL_KAFKA_NODES;
  const extraNodes = Array.from({ length: count - 1 }, (_, i) => ({
    kafka: c.KAFKA_PORT + 2 * (i + 1),
    controller: c.KAFKA_CONTROLLER_PORT + 2 * (i + 1),
  }));
  return {
    kafka: c.KAFKA_PORT,
    controller: c.KAFKA_CONTROLLER_PORT,
    registry: c.REGISTRY_PORT,
    registryManagement: c.REGISTRY_MANAGEMENT_PORT,
    ...(extraNodes.length > 0 ? { extraNodes } : {}),
  };
}

/** How many Kafka nodes the environment asks for (LOCAL_KAFKA_NODES, default 1). */
export const nodesFromEnv = (env: Env = process.env): number =>
  loadConfig(stackPortsSchema, env).LOCAL_KAFKA_NODES;

const stateFile = () => join(localStackDir(), 'stack.json');

/** Ports the running local stack was started with, if it recorded them. */
export function recordedPorts(): StackPorts | undefined {
  if (!existsSync(stateFile())) return undefined;
  return (JSON.parse(readFileSync(stateFile(), 'utf8')) as { ports: StackPorts }).ports;
}

/** Kafka heap per node of a local cluster: three JVMs share the machine with everything else. */
export const CLUSTER_HEAP_MB = 512;

/**
 * Starts the local stack, or adopts it when it runs; `started` says whether this call started it.
 * `nodes` (else LOCAL_KAFKA_NODES) is the Kafka node count; a running stack keeps its own. The
 * data dir remembers what it was formatted as: a single broker's data (RF-1 internal topics)
 * cannot serve a cluster nor the reverse, so a different count asks for `infra:down -- --clean`.
 */
export async function upLocalStack(
  env: Env = process.env,
  nodes?: number,
): Promise<{ stack: StackHandle; started: boolean }> {
  const dir = localStackDir();
  const status = stackStatus(dir);
  const anyRunning = (status.kafkaPid ?? status.registryPid) !== undefined;
  const recorded = recordedPorts();
  const recordedNodes = recorded ? 1 + (recorded.extraNodes?.length ?? 0) : undefined;
  const wanted = nodes ?? nodesFromEnv(env);
  const formatted = existsSync(join(dir, 'kafka', 'data', 'meta.properties'));
  if (!anyRunning && formatted && recordedNodes !== undefined && recordedNodes !== wanted) {
    throw new Error(
      `${dir} holds the data of a ${recordedNodes}-node Kafka; a ${wanted}-node one needs fresh data: npm run infra:down -- --clean first`,
    );
  }
  const ports = (anyRunning ? recorded : undefined) ?? portsFromEnv(env, wanted);
  const clustered = (ports.extraNodes?.length ?? 0) > 0;
  mkdirSync(dir, { recursive: true });
  const stack = await startStack({
    dir,
    ports,
    persistentRegistry: true,
    ...(clustered ? { kafkaHeapMb: CLUSTER_HEAP_MB } : {}),
  });
  writeFileSync(
    stateFile(),
    JSON.stringify({ ports, brokers: stack.brokers, registryUrl: stack.registryUrl }, null, 2),
  );
  return {
    stack,
    started:
      status.kafkaPids.some((p) => p === undefined) ||
      status.registryPid === undefined ||
      status.kafkaPids.length < stack.kafkaNodes.length,
  };
}
