// Gives the integration suite a real Kafka broker and schema registry, in this order of preference:
//   1. KAFKA_BROKERS + SCHEMA_REGISTRY_URL from the environment (a stack you already run);
//   2. testcontainers, when a Docker engine is reachable (not exercised on the project's machines);
//   3. the local stack from Maven Central jars, on free ports, in .stack/test-<pid>, stopped after
//      (LOCAL_KAFKA_NODES=3: a replicated 3-node cluster, 512 MB heap per node).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CLUSTER_HEAP_MB, nodesFromEnv } from '../../infra/local-stack/local-stack.js';
import { stackRoot } from '../../infra/local-stack/paths.js';
import { freeStackPorts, startStack } from '../../infra/local-stack/stack.js';
import { APICURIO_VERSION, KAFKA_VERSION } from '../../infra/local-stack/versions.js';
import { dockerReachable, startContainers } from './containers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    registryUrl: string;
    stackMode: 'external' | 'testcontainers' | 'local-jars';
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = process.env;
  if (KAFKA_BROKERS && SCHEMA_REGISTRY_URL) {
    console.log(
      `[integration] using the configured stack: KAFKA_BROKERS=${KAFKA_BROKERS} SCHEMA_REGISTRY_URL=${SCHEMA_REGISTRY_URL}`,
    );
    provide(project, KAFKA_BROKERS, SCHEMA_REGISTRY_URL, 'external');
    return async () => undefined;
  }
  if (await dockerReachable()) {
    const containers = await startContainers();
    console.log(
      `[integration] testcontainers: Kafka ${containers.brokers}, registry ${containers.registryUrl}`,
    );
    provide(project, containers.brokers, containers.registryUrl, 'testcontainers');
    return containers.stop;
  }
  const dir = join(stackRoot(), `test-${process.pid}`);
  const started = Date.now();
  const nodes = nodesFromEnv();
  const stack = await startStack({
    dir,
    ports: await freeStackPorts(nodes),
    ...(nodes > 1 ? { kafkaHeapMb: CLUSTER_HEAP_MB } : {}),
  });
  console.log(
    `[integration] local stack from Maven Central jars up in ${((Date.now() - started) / 1000).toFixed(1)}s: ` +
      `Kafka ${KAFKA_VERSION} at ${stack.brokers}, Apicurio Registry ${APICURIO_VERSION} at ${stack.registryUrl}`,
  );
  provide(project, stack.brokers, stack.registryUrl, 'local-jars');
  return async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

function provide(
  project: TestProject,
  brokers: string,
  registryUrl: string,
  mode: 'external' | 'testcontainers' | 'local-jars',
) {
  project.provide('kafkaBrokers', brokers);
  project.provide('registryUrl', registryUrl);
  project.provide('stackMode', mode);
}
