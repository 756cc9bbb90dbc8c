// The fault suite's own Kafka + registry: a dedicated single-node stack on free ports under
// .stack/faults-<pid>, because the scenarios kill, freeze and restart its broker. It never uses
// KAFKA_BROKERS / SCHEMA_REGISTRY_URL or any other running stack. The teardown stops the broker
// whatever state the last scenario left it in (SIGSTOPped, restarted under a new pid), prints
// the result table and removes the stack dir; service logs and the table stay in
// .stack/faults-report/.
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopKafkaAfterFaults } from '../../infra/local-stack/broker-faults.js';
import { stackRoot } from '../../infra/local-stack/paths.js';
import {
  freeStackPorts,
  kafkaDirOf,
  startStack,
  stopStack,
} from '../../infra/local-stack/stack.js';
import { KAFKA_VERSION } from '../../infra/local-stack/versions.js';
import { FAULTS_HEAP_MB, reportDir, tableFile } from './fault-env.js';
import { sweepServices } from './services.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = join(stackRoot(), `faults-${process.pid}`);
  rmSync(reportDir(), { recursive: true, force: true });
  mkdirSync(reportDir(), { recursive: true });
  const started = Date.now();
  const ports = await freeStackPorts();
  const stack = await startStack({ dir, ports, kafkaHeapMb: FAULTS_HEAP_MB });
  console.log(
    `[faults] dedicated stack up in ${((Date.now() - started) / 1000).toFixed(1)}s: Kafka ${KAFKA_VERSION} at ${stack.brokers} (data ${stack.kafkaDir}), registry ${stack.registryUrl}`,
  );
  const runId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  project.provide('faultStack', {
    runId,
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    kafkaDir: stack.kafkaDir,
    kafkaPort: ports.kafka,
    controllerPort: ports.controller,
  });
  return async () => {
    const swept = sweepServices(runId);
    if (swept.length > 0) console.log(`[faults] killed leftover service pids ${swept.join(', ')}`);
    await stopKafkaAfterFaults(kafkaDirOf(dir)).catch(() => undefined);
    await stopStack(dir);
    // The broker's own log explains slow restarts and recovery after kill -9; keep it.
    const kafkaLog = join(kafkaDirOf(dir), 'kafka.log');
    if (existsSync(kafkaLog)) copyFileSync(kafkaLog, join(reportDir(), 'kafka.log'));
    rmSync(dir, { recursive: true, force: true });
    if (existsSync(tableFile())) {
      console.log(
        `\n[faults] results (also in ${tableFile()}):\n${readFileSync(tableFile(), 'utf8')}`,
      );
    }
  };
}
