// Runs the transformer against the integration stack: in-process (createTransformer) for most
// tests, or as a child process (main.ts through tsx) when a test must SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterEach, beforeEach } from 'vitest';
import { exactlyOnce, verifyCommitted, type VerifyReport } from '../../infra/verifier/verifier.js';
import { createLogger } from '../../services/common/src/logger.js';
import { projectRoot } from '../../services/common/src/project-root.js';
import { DOMAIN_KEYS, type TopicNames } from '../../services/common/src/topics.js';
import {
  createTransformer,
  type Transformer,
  type TransformerDeps,
} from '../../services/transformer/src/app.js';
import { loadTransformerConfig } from '../../services/transformer/src/config.js';
import { committedTotal } from './committed-offsets.js';
import {
  freshTopics,
  readCommitted,
  sleep,
  stackClientEnv,
  stackEnv,
  type FreshTopics,
  type ReadRecord,
} from './integration.js';

/** What each test of a describe block gets from transformerTestBed. */
export interface TransformerTestBed {
  fresh: FreshTopics;
  /** Idempotent, connected. */
  producer: Producer;
  /** The transformer the test starts, if any: closed after the test. */
  transformer: Transformer | undefined;
}

/**
 * Registers, in the calling describe block, fresh topics (`partitions` each, labelled `label`)
 * and an idempotent producer before each test, and after it closes the test's transformer and
 * the producer and deletes the topics. The returned object holds the current test's.
 */
export function transformerTestBed(
  kafka: Kafka,
  opts: { partitions: number; label: string },
): TransformerTestBed {
  const bed = { transformer: undefined } as TransformerTestBed;
  beforeEach(async () => {
    bed.fresh = await freshTopics(opts);
    bed.producer = kafka.producer({ idempotent: true });
    await bed.producer.connect();
  });
  afterEach(async () => {
    await bed.transformer?.close();
    bed.transformer = undefined;
    await bed.producer.disconnect();
    await bed.fresh.cleanup();
  });
  return bed;
}

/** Env for a transformer on the test stack; fast group failover so kill/restart tests stay short. */
export function transformerEnv(
  fresh: FreshTopics,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    ...stackClientEnv(fresh.prefix),
    TRANSFORMER_GROUP_ID: fresh.group,
    TRANSFORMER_METRICS_PORT: '0',
    TRANSFORMER_SESSION_TIMEOUT_MS: '6000',
    TRANSFORMER_HEARTBEAT_INTERVAL_MS: '1000',
    TRANSFORMER_BACKOFF_MAX_MS: '2000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    // The suites can run against either transaction arrangement (config.ts).
    ...(process.env.TRANSFORMER_TRANSACTIONS
      ? { TRANSFORMER_TRANSACTIONS: process.env.TRANSFORMER_TRANSACTIONS }
      : {}),
    ...overrides,
  };
}

/**
 * The transaction arrangements (TRANSFORMER_TRANSACTIONS) the exactly-once suites run under: the
 * default first, with the suite's plain name, then one producer per partition.
 */
export const ARRANGEMENTS: readonly { label: string; env: Record<string, string> }[] = [
  { label: '', env: {} },
  { label: ' (per-partition transactions)', env: { TRANSFORMER_TRANSACTIONS: 'per-partition' } },
];

export async function startTransformer(
  fresh: FreshTopics,
  overrides: Record<string, string> = {},
  deps: TransformerDeps = {},
): Promise<Transformer> {
  const config = loadTransformerConfig(transformerEnv(fresh, overrides));
  const transformer = createTransformer(config, {
    logger: createLogger('transformer-test', config.LOG_LEVEL),
    ...deps,
  });
  await transformer.start();
  return transformer;
}

/** The transformer's main.ts in a child process (tsx), for tests that kill it with SIGKILL. */
export function spawnTransformer(
  fresh: FreshTopics,
  overrides: Record<string, string> = {},
): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot(), 'services/transformer/src/main.ts')],
    {
      cwd: projectRoot(),
      env: { ...process.env, ...transformerEnv(fresh, overrides) },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return child;
}

export function waitForExit(child: ChildProcess, timeoutMs = 30_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child ${child.pid} did not exit in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

export interface DecodedOutput extends ReadRecord {
  decoded: Record<string, unknown>;
}

/**
 * Everything in the five output topics and the DLQ, read_committed, outputs decoded through the
 * registry with a fresh client (what any Confluent-compatible consumer would do).
 */
export async function readPipelineOutputs(
  kafka: Kafka,
  names: TopicNames,
  opts: { expected: number; timeoutMs?: number; settleMs?: number; registryUrl?: string },
): Promise<{ outputs: DecodedOutput[]; dlq: ReadRecord[] }> {
  const outputTopics = DOMAIN_KEYS.map((d) => names[d]);
  const records = await readCommitted(kafka, [...outputTopics, names.dlq], opts);
  const registry = new SchemaRegistry({ host: opts.registryUrl ?? stackEnv().registryUrl });
  const outputs: DecodedOutput[] = [];
  const dlq: ReadRecord[] = [];
  for (const r of records) {
    if (r.topic === names.dlq) dlq.push(r);
    else
      outputs.push({
        ...r,
        decoded: (await registry.decode(r.value as Buffer)) as Record<string, unknown>,
      });
  }
  return { outputs, dlq };
}

/** Event ID -> how many times it appears. */
export function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** ghl.raw records a transformer instance has committed so far (its own metric). */
export const processedCount = async (t: Transformer): Promise<number> =>
  (await t.metrics.processed.get()).values.reduce((n, v) => n + v.value, 0);

/**
 * Waits until `groupId` has committed the end of every partition of `topic`. The transformer
 * commits its offsets in the transaction that holds the outputs, so afterwards every output of
 * those records is committed too. Throws after `timeoutMs` with how far the group got.
 */
export async function waitForCommittedEnd(
  admin: Admin,
  groupId: string,
  topic: string,
  timeoutMs: number,
): Promise<void> {
  const end = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await committedTotal(admin, groupId, topic);
    if (done >= end) return;
    if (Date.now() > deadline)
      throw new Error(`${groupId} committed ${done} of ${end} ${topic} records in ${timeoutMs} ms`);
    await sleep(200);
  }
}

export interface PipelineCount {
  report: VerifyReport;
  /** Records per output topic summed (the DLQ not included). */
  outputs: number;
  /** Records in the DLQ. */
  dlq: number;
  /** Event IDs in the DLQ with their counts. */
  dlqIds: Record<string, number>;
  /** `exactlyOnce` over outputs + DLQ against the expected IDs. */
  check: ReturnType<typeof exactlyOnce>;
}

/**
 * Counts the five output topics and the DLQ with the Java exactly-once verifier (read_committed
 * in the Apache Kafka client, not kafkajs), after waiting up to 30 s for open transactions to
 * end. Call it once the pipeline is done (e.g. after `waitForCommittedEnd`).
 */
export async function countPipelineOutputs(
  names: TopicNames,
  expected: Iterable<string>,
): Promise<PipelineCount> {
  const outputTopics = DOMAIN_KEYS.map((d) => names[d]);
  const report = await verifyCommitted({
    brokers: stackEnv().brokers,
    topics: [...outputTopics, names.dlq],
    waitLsoMs: 30_000,
    timeoutMs: 180_000,
  });
  return {
    report,
    outputs: outputTopics.reduce((n, t) => n + (report.perTopic[t] ?? 0), 0),
    dlq: report.perTopic[names.dlq] ?? 0,
    dlqIds: { ...report.idsByTopic[names.dlq] },
    check: exactlyOnce(report, expected),
  };
}

/** A short, readable summary of an exactly-once check for assertion messages. */
export function describeCheck(check: ReturnType<typeof exactlyOnce>): string {
  const few = (ids: string[]) => ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', …' : '');
  const dup = Object.entries(check.duplicated).map(([id, n]) => `${id} x${n}`);
  return `missing ${check.missing.length} [${few(check.missing)}], duplicated ${dup.length} [${few(dup)}], unexpected ${check.unexpected.length} [${few(check.unexpected)}]`;
}
