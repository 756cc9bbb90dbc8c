// The shapes a fault scenario is described and reported in: the spec a suite hands to
// runScenario (scenario-runner.ts), the context its fault gets, the window the fault hands back,
// and the outcome the suite asserts on.
import type { Admin } from 'kafkajs';
import type { TopicNames, TopicSpec } from '../../services/common/src/topics.js';
import type { FaultStack } from './fault-env.js';
import type { LoadGenerator } from './load.js';
import type { Row } from './report.js';
import type { ServiceChild } from './services.js';

/** What a scenario's fault hands back: when the outage began and when the broker/process was back. */
export interface FaultWindow {
  /** The fault was injected (kill, SIGSTOP, stop). */
  downAt?: number;
  /** The broker's port accepts connections again / SIGCONT was sent. */
  backAt?: number;
  /** Scenario-specific facts for the report (takeover time, poison ID, …). */
  notes?: string[];
}

export interface ScenarioContext {
  name: string;
  stack: FaultStack;
  prefix: string;
  names: TopicNames;
  ingress: ServiceChild;
  transformers: ServiceChild[];
  load: LoadGenerator;
  /** A timeline line on the console: `[faults] <scenario> +12.3s <msg>`. */
  log(msg: string): void;
  admin: Admin;
  group: string;
}

export interface ScenarioSpec {
  name: string;
  /** Transformer instances in the group (default 1). */
  transformers?: number;
  /** Adjusts the topics before they are created (e.g. a lower max.message.bytes). */
  topics?: (specs: TopicSpec[]) => TopicSpec[];
  /** Webhooks per second (default FAULTS_RATE). */
  rate?: number;
  /** ghl.raw (and every topic's) partitions (default 3). */
  partitions?: number;
  /** Replication of the scenario's topics (default: the topic file's, RF 1). */
  replicationFactor?: number;
  minInsyncReplicas?: number;
  /** Seconds of load before the fault. */
  beforeS: number;
  /** Seconds of load after the fault returned. */
  afterS: number;
  /** Injects the fault while the load runs; resolves once the broker/process is back. */
  fault(ctx: ScenarioContext): Promise<FaultWindow>;
  /** Keep the topics after the count (the test reads them afterwards); default: deleted. */
  keepTopics?: boolean;
}

export interface ReadinessSample {
  at: number;
  service: string;
  status: number | 'timeout' | 'down';
}

export interface ScenarioOutcome {
  /** The scenario's topic prefix (its topics stay until the stack is removed). */
  prefix: string;
  row?: Row;
  /** Why there is no row (setup or verifier failure), with the error. */
  error?: Error;
  window: FaultWindow;
  readiness: ReadinessSample[];
  /** Per service: statuses answered within the outage window, and the last answer at the end. */
  readinessDuring: Record<string, Record<string, number>>;
  readinessAfter: Record<string, string>;
  /** Transformers still running when the scenario ended (before they were stopped). */
  transformersAlive: boolean[];
  /** How each service ended when stopped ("exit 0", "signal SIGKILL", …). */
  stopped: string[];
  /** Warn+ log digests of each service, for failure messages. */
  evidence: Record<string, string[]>;
  details: string[];
  text: string;
  /** Longest stretch after the fault without a new commit / a new ingress 200, in seconds. */
  commitPauseS?: number;
  acceptPauseS?: number;
}
