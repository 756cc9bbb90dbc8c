// The `npm run infra:up` stack (in .stack/local), as every entry point uses it: the stack CLI,
// `npm start` and the benchmarks. A running stack is adopted with the ports it was started on;
// otherwise it starts on the ports of the environment.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { int, loadConfig, type Env } from '../../services/common/src/config.js';
import { localStackDir } from './paths.js';
import { stackStatus, startStack, type StackHandle, type StackPorts } from './stack.js';

export const stackPortsSchema = {
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

export function portsFromEnv(env: Env = process.env): StackPorts {
  const c = loadConfig(stackPortsSchema, env);
  return {
    kafka: c.KAFKA_PORT,
    controller: c.KAFKA_CONTROLLER_PORT,
    registry: c.REGISTRY_PORT,
    registryManagement: c.REGISTRY_MANAGEMENT_PORT,
  };
}

const stateFile = () => join(localStackDir(), 'stack.json');

/** Ports the running local stack was started with, if it recorded them. */
export function recordedPorts(): StackPorts | undefined {
  if (!existsSync(stateFile())) return undefined;
  return (JSON.parse(readFileSync(stateFile(), 'utf8')) as { ports: StackPorts }).ports;
}

/** Starts the local stack, or adopts it when it runs; `started` says whether this call started it. */
export async function upLocalStack(
  env: Env = process.env,
): Promise<{ stack: StackHandle; started: boolean }> {
  const dir = localStackDir();
  const status = stackStatus(dir);
  const anyRunning = (status.kafkaPid ?? status.registryPid) !== undefined;
  const ports = (anyRunning ? recordedPorts() : undefined) ?? portsFromEnv(env);
  mkdirSync(dir, { recursive: true });
  const stack = await startStack({ dir, ports, persistentRegistry: true });
  writeFileSync(
    stateFile(),
    JSON.stringify({ ports, brokers: stack.brokers, registryUrl: stack.registryUrl }, null, 2),
  );
  return { stack, started: status.kafkaPid === undefined || status.registryPid === undefined };
}
