import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { freePort } from './free-port.js';
import {
  clusterId,
  kafkaPid,
  startKafka,
  stopKafka,
  type KafkaNodePorts,
  type KafkaServerOptions,
} from './kafka-server.js';
import { registryPid, registryUrl, startRegistry, stopRegistry } from './registry-server.js';
import { waitUntil } from './wait-until.js';

/** Listener ports of a Kafka node after the first one. */
export interface NodePorts {
  kafka: number;
  controller: number;
}

export interface StackPorts {
  /** Node 1 (the only node of a single-broker stack). */
  kafka: number;
  controller: number;
  registry: number;
  registryManagement: number;
  /** Nodes 2..N of a cluster, in node.id order; absent for a single broker. */
  extraNodes?: NodePorts[];
}

/** One Kafka node of a stack: everything the fault helpers (broker-faults.ts) need to act on it. */
export interface KafkaNode {
  nodeId: number;
  /** 127.0.0.1:<port> */
  broker: string;
  /** What startKafka / restartKafka take to (re)start exactly this node. */
  options: KafkaServerOptions;
}

export interface StackHandle {
  /** KAFKA_BROKERS for every client: every node, comma-separated. */
  brokers: string;
  /** SCHEMA_REGISTRY_URL (Confluent-compatible API). */
  registryUrl: string;
  dir: string;
  ports: StackPorts;
  /** Node 1's dir (the single broker's). */
  kafkaDir: string;
  /** Every node, node 1 first. */
  kafkaNodes: KafkaNode[];
  registryDir: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  dir: string;
  ports: StackPorts;
  persistentRegistry?: boolean;
  kafkaHeapMb?: number;
  /** Start the brokers with KafkaServerOptions.fastStartJvm (the fault suites). */
  kafkaFastStart?: boolean;
}

/** Node 1 keeps the single-broker layout (`kafka/`), so existing stacks and tools stay valid. */
export const kafkaDirOf = (dir: string, nodeId = 1) =>
  join(dir, nodeId === 1 ? 'kafka' : `kafka-${nodeId}`);
export const registryDirOf = (dir: string) => join(dir, 'registry');

/** The stack's nodes: node 1 on `kafka`/`controller`, then `extraNodes`. */
export function nodePortsOf(ports: StackPorts): KafkaNodePorts[] {
  return [
    { nodeId: 1, port: ports.kafka, controllerPort: ports.controller },
    ...(ports.extraNodes ?? []).map((p, i) => ({
      nodeId: i + 2,
      port: p.kafka,
      controllerPort: p.controller,
    })),
  ];
}

/** The nodes' start options. A cluster shares one id, kept in `<dir>/cluster-id` across restarts. */
export function kafkaNodesOf(
  dir: string,
  ports: StackPorts,
  heapMb?: number,
  fastStartJvm?: boolean,
): KafkaNode[] {
  const nodes = nodePortsOf(ports);
  const cluster = nodes.length > 1 ? nodes : undefined;
  let id: string | undefined;
  if (cluster) {
    const file = join(dir, 'cluster-id');
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, clusterId());
    }
    id = readFileSync(file, 'utf8').trim();
  }
  return nodes.map((n) => ({
    nodeId: n.nodeId,
    broker: `127.0.0.1:${n.port}`,
    options: {
      dir: kafkaDirOf(dir, n.nodeId),
      port: n.port,
      controllerPort: n.controllerPort,
      heapMb,
      nodeId: n.nodeId,
      cluster,
      clusterId: id,
      fastStartJvm,
    },
  }));
}

/** Starts (or adopts, when already running from `dir`) Kafka and the registry, in parallel. */
export async function startStack(o: StackOptions): Promise<StackHandle> {
  const kafkaNodes = kafkaNodesOf(o.dir, o.ports, o.kafkaHeapMb, o.kafkaFastStart);
  const brokers = kafkaNodes.map((n) => n.broker).join(',');
  const registryDir = registryDirOf(o.dir);
  const stop = async () => {
    await stopStack(o.dir);
  };
  // A cluster's nodes start together: none is ready before a quorum of voters runs.
  const kafka = async () => {
    await Promise.all(kafkaNodes.map((n) => startKafka(n.options)));
    if (kafkaNodes.length > 1) await waitForBrokers(brokers, kafkaNodes.length, 90_000);
  };
  const results = await Promise.allSettled([
    kafka(),
    startRegistry({
      dir: registryDir,
      port: o.ports.registry,
      managementPort: o.ports.registryManagement,
      persistent: o.persistentRegistry,
    }),
  ]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    await stop();
    throw new Error(failed.map((f) => (f.reason as Error).message).join('\n\n'));
  }
  return {
    brokers,
    registryUrl: registryUrl(o.ports.registry),
    dir: o.dir,
    ports: o.ports,
    kafkaDir: kafkaDirOf(o.dir),
    kafkaNodes,
    registryDir,
    stop,
  };
}

/**
 * Until the cluster metadata lists `count` brokers: a node answers metadata as soon as it is
 * unfenced, before the others have registered, and RF-3 topics cannot be created until they have.
 */
export async function waitForBrokers(
  brokers: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  let seen = 0;
  await waitUntil(
    async () => {
      // An error is a node still starting: ask again.
      const admin = createKafka({
        brokers: brokers.split(','),
        clientId: 'stack-ready',
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        seen = (await admin.describeCluster()).brokers.length;
        return seen >= count ? true : undefined;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    {
      timeoutMs,
      timeoutError: () =>
        new Error(`Kafka cluster ${brokers}: ${seen} of ${count} brokers after ${timeoutMs} ms`),
    },
  );
}

/** The node ids of every Kafka dir under `dir` (kafka/, kafka-2/, …), node 1 first. */
function nodeIdsIn(dir: string): number[] {
  const ids = [1];
  for (let id = 2; existsSync(kafkaDirOf(dir, id)); id++) ids.push(id);
  return ids;
}

/**
 * Stops every node and the registry. A cluster's nodes stop together: one after the other, the
 * last ones would wait for a controlled shutdown that the lost quorum can no longer grant.
 */
export async function stopStack(dir: string): Promise<{ kafka: string; registry: string }> {
  const [kafka, registry] = await Promise.all([
    Promise.all(nodeIdsIn(dir).map((id) => stopKafka(kafkaDirOf(dir, id)))),
    stopRegistry(registryDirOf(dir)),
  ]);
  return { kafka: kafka.join(','), registry };
}

export function stackStatus(dir: string): {
  kafkaPid?: number;
  registryPid?: number;
  /** Every node's pid (undefined = not running), node 1 first. */
  kafkaPids: (number | undefined)[];
} {
  const kafkaPids = nodeIdsIn(dir).map((id) => kafkaPid(kafkaDirOf(dir, id)));
  return {
    kafkaPid: kafkaPids.find((p) => p !== undefined),
    registryPid: registryPid(registryDirOf(dir)),
    kafkaPids,
  };
}

/** Free loopback ports for a stack of `kafkaNodes` nodes (2 per node) and the registry (2). */
export async function freeStackPorts(kafkaNodes = 1): Promise<StackPorts> {
  const ports: number[] = [];
  while (ports.length < 2 + 2 * kafkaNodes) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [kafka, controller, registry, registryManagement, ...rest] = ports as [
    number,
    number,
    number,
    number,
    ...number[],
  ];
  const extraNodes: NodePorts[] = [];
  for (let i = 0; i + 1 < rest.length; i += 2)
    extraNodes.push({ kafka: rest[i]!, controller: rest[i + 1]! });
  return {
    kafka,
    controller,
    registry,
    registryManagement,
    ...(extraNodes.length > 0 ? { extraNodes } : {}),
  };
}
