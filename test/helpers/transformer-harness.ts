// Runs the transformer against the integration stack: in-process (createTransformer) for most
// tests, or as a child process (main.ts through tsx) when a test must SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { createLogger } from '../../services/common/src/logger.js';
import { projectRoot } from '../../services/common/src/project-root.js';
import { DOMAIN_KEYS, type TopicNames } from '../../services/common/src/topics.js';
import {
  createTransformer,
  type Transformer,
  type TransformerDeps,
} from '../../services/transformer/src/app.js';
import { loadTransformerConfig } from '../../services/transformer/src/config.js';
import {
  readCommitted,
  stackClientEnv,
  stackEnv,
  type FreshTopics,
  type ReadRecord,
} from './integration.js';

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
    ...overrides,
  };
}

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
