// Settings of the fault suite and what its global setup hands to the scenarios. The defaults keep
// the whole suite (5 scenarios, one 75 s outage) within ~6 minutes on the 2-core CI machine.
import { join } from 'node:path';
import { stackRoot } from '../../infra/local-stack/paths.js';
import type { KafkaServerOptions } from '../../infra/local-stack/kafka-server.js';
import { bool, int, loadConfig, oneOf } from '../../services/common/src/config.js';

/** One node of the cluster suite's Kafka: what the per-node fault helpers take. */
export interface FaultNode {
  nodeId: number;
  /** 127.0.0.1:<port> */
  broker: string;
  options: KafkaServerOptions;
}

/** The dedicated stack started by global-setup.ts. */
export interface FaultStack {
  /** Unique per run; every service child carries it in its environment (FAULTS_RUN_ID). */
  runId: string;
  brokers: string;
  registryUrl: string;
  /** Kafka's dir (server.properties, data/, kafka.pid): what the broker fault helpers take. */
  kafkaDir: string;
  kafkaPort: number;
  controllerPort: number;
  /** Every Kafka node (node 1 first); one entry for the single-broker suite. */
  nodes?: FaultNode[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    faultStack: FaultStack;
  }
}

export const faultConfig = loadConfig({
  FAULTS_RATE: int({ default: 200, min: 1, max: 1000, describe: 'webhooks per second of load' }),
  FAULTS_LONG_OUTAGE_S: int({
    default: 75,
    min: 1,
    max: 600,
    describe:
      'broker-long-outage: seconds the broker stays down (longer than the consumer retries)',
  }),
  FAULTS_CLUSTER_RATE: int({
    default: 50,
    min: 1,
    max: 1000,
    describe: 'cluster suite: webhooks per second of load',
  }),
  FAULTS_CLUSTER_DOWN_S: int({
    default: 15,
    min: 1,
    max: 600,
    describe: 'cluster suite: seconds a kill -9ed node stays down before its restart',
  }),
  FAULTS_KEEP_TOPICS: bool({
    default: false,
    describe:
      "keep each scenario's topics after it was counted (default: deleted, for faster node restarts)",
  }),
  FAULTS_TRANSFORMER_LOG_LEVEL: oneOf(['info', 'debug', 'trace'] as const, {
    default: 'info',
    describe:
      "the transformers' log level; debug logs every committed transaction's offsets (to trace a missing output)",
  }),
  FAULTS_RECOVERY_LIMIT_S: int({
    default: 5,
    min: 1,
    describe:
      'largest accepted recovery_s: broker back (or SIGCONT) until every partition committed again',
  }),
});

/** The broker's heap: the suite's records are small, and 2 cores / shared memory favour less. */
export const FAULTS_HEAP_MB = 512;
/** Each of the cluster suite's three nodes: three JVMs share two cores and 24 GiB with the rest. */
export const CLUSTER_FAULTS_HEAP_MB = 384;

/**
 * Service logs and the result table of the last run (kept after the stack dir is removed). The
 * cluster suite sets FAULTS_REPORT_NAME (faults-cluster-report), so neither suite's run
 * overwrites the other's.
 */
export const reportDir = () => join(stackRoot(), process.env.FAULTS_REPORT_NAME ?? 'faults-report');
export const tableFile = () => join(reportDir(), 'table.txt');
