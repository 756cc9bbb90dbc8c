import { join } from 'node:path';
import { freePort } from './free-port.js';
import { kafkaPid, startKafka, stopKafka } from './kafka-server.js';
import { registryPid, registryUrl, startRegistry, stopRegistry } from './registry-server.js';

export interface StackPorts {
  kafka: number;
  controller: number;
  registry: number;
  registryManagement: number;
}

export interface StackHandle {
  /** KAFKA_BROKERS for every client. */
  brokers: string;
  /** SCHEMA_REGISTRY_URL (Confluent-compatible API). */
  registryUrl: string;
  dir: string;
  ports: StackPorts;
  kafkaDir: string;
  registryDir: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  dir: string;
  ports: StackPorts;
  persistentRegistry?: boolean;
  kafkaHeapMb?: number;
}

export const kafkaDirOf = (dir: string) => join(dir, 'kafka');
export const registryDirOf = (dir: string) => join(dir, 'registry');

/** Starts (or adopts, when already running from `dir`) Kafka and the registry, in parallel. */
export async function startStack(o: StackOptions): Promise<StackHandle> {
  const kafkaDir = kafkaDirOf(o.dir);
  const registryDir = registryDirOf(o.dir);
  const stop = async () => {
    await stopStack(o.dir);
  };
  const results = await Promise.allSettled([
    startKafka({
      dir: kafkaDir,
      port: o.ports.kafka,
      controllerPort: o.ports.controller,
      heapMb: o.kafkaHeapMb,
    }),
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
    brokers: `127.0.0.1:${o.ports.kafka}`,
    registryUrl: registryUrl(o.ports.registry),
    dir: o.dir,
    ports: o.ports,
    kafkaDir,
    registryDir,
    stop,
  };
}

export async function stopStack(dir: string): Promise<{ kafka: string; registry: string }> {
  const [kafka, registry] = await Promise.all([
    stopKafka(kafkaDirOf(dir)),
    stopRegistry(registryDirOf(dir)),
  ]);
  return { kafka, registry };
}

export function stackStatus(dir: string): { kafkaPid?: number; registryPid?: number } {
  return { kafkaPid: kafkaPid(kafkaDirOf(dir)), registryPid: registryPid(registryDirOf(dir)) };
}

export async function freeStackPorts(): Promise<StackPorts> {
  const ports: number[] = [];
  while (ports.length < 4) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [kafka, controller, registry, registryManagement] = ports as [
    number,
    number,
    number,
    number,
  ];
  return { kafka, controller, registry, registryManagement };
}
