// The fault suites' own Kafka + registry: a dedicated stack on free ports under
// .stack/faults-<pid> (single broker) or .stack/faults-cluster-<pid> (the cluster suite's three
// nodes), because the scenarios kill, freeze and restart its brokers. It never uses
// KAFKA_BROKERS / SCHEMA_REGISTRY_URL or any other running stack. The teardown stops every node
// whatever state the last scenario left it in (SIGSTOPped, restarted under a new pid), prints
// the result table and removes the stack dir; service logs, the brokers' logs and the table stay
// in the report dir (.stack/faults-report/, .stack/faults-cluster-report/).
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopKafkaAfterFaults } from '../../infra/local-stack/broker-faults.js';
import { stackRoot } from '../../infra/local-stack/paths.js';
import { freeStackPorts, startStack, stopStack } from '../../infra/local-stack/stack.js';
import { KAFKA_VERSION } from '../../infra/local-stack/versions.js';
import { FAULTS_HEAP_MB, reportDir, tableFile } from './fault-env.js';
import { sweepServices } from './services.js';

export interface FaultStackSetupOptions {
  /** Kafka nodes (1, or 3 for the cluster suite). */
  nodes: number;
  heapMb: number;
  /** Stack dir name prefix under .stack/ and the report dir name (FAULTS_REPORT_NAME). */
  name: string;
  reportName: string;
}

/** A vitest global setup that starts the suite's stack and returns its teardown. */
export function faultStackSetup(o: FaultStackSetupOptions) {
  return async (project: TestProject): Promise<() => Promise<void>> => {
    // The workers get the same value from the vitest project's env; this process needs it too.
    process.env.FAULTS_REPORT_NAME = o.reportName;
    const dir = join(stackRoot(), `${o.name}-${process.pid}`);
    rmSync(reportDir(), { recursive: true, force: true });
    mkdirSync(reportDir(), { recursive: true });
    const started = Date.now();
    const ports = await freeStackPorts(o.nodes);
    const stack = await startStack({ dir, ports, kafkaHeapMb: o.heapMb, kafkaFastStart: true });
    console.log(
      `[faults] dedicated stack up in ${((Date.now() - started) / 1000).toFixed(1)}s: Kafka ${KAFKA_VERSION} at ${stack.brokers}${o.nodes > 1 ? ` (${o.nodes} nodes, ${o.heapMb} MB heap each)` : ''} (data ${stack.kafkaDir}), registry ${stack.registryUrl}`,
    );
    const runId = `${process.pid}-${randomUUID().slice(0, 8)}`;
    project.provide('faultStack', {
      runId,
      brokers: stack.brokers,
      registryUrl: stack.registryUrl,
      kafkaDir: stack.kafkaDir,
      kafkaPort: ports.kafka,
      controllerPort: ports.controller,
      nodes: stack.kafkaNodes,
    });
    return async () => {
      const swept = sweepServices(runId);
      if (swept.length > 0)
        console.log(`[faults] killed leftover service pids ${swept.join(', ')}`);
      await Promise.all(
        stack.kafkaNodes.map((n) => stopKafkaAfterFaults(n.options.dir).catch(() => undefined)),
      );
      await stopStack(dir);
      // The brokers' own logs explain slow restarts and recovery after kill -9; keep them.
      for (const n of stack.kafkaNodes) {
        const kafkaLog = join(n.options.dir, 'kafka.log');
        const name = stack.kafkaNodes.length > 1 ? `kafka-${n.nodeId}.log` : 'kafka.log';
        if (existsSync(kafkaLog)) copyFileSync(kafkaLog, join(reportDir(), name));
      }
      rmSync(dir, { recursive: true, force: true });
      if (existsSync(tableFile())) {
        console.log(
          `\n[faults] results (also in ${tableFile()}):\n${readFileSync(tableFile(), 'utf8')}`,
        );
      }
    };
  };
}

export default faultStackSetup({
  nodes: 1,
  heapMb: FAULTS_HEAP_MB,
  name: 'faults',
  reportName: 'faults-report',
});
