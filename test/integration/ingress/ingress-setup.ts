// What the ingress tests on the real broker share (ingress.test.ts, ingress-bytes.test.ts): a
// reader on the integration stack, and an ingress on its own fresh topics; whatever a test
// started is ended after it (runCleanups, in afterEach).
import type { Kafka } from 'kafkajs';
import { freshTopics, stackEnv, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { startIngress, type RunningIngress } from './ingress-harness.js';

export const kafka: Kafka = testKafka('ingress-it-reader');
/** What the running test started, ended in reverse order by runCleanups. */
export const cleanups: (() => Promise<void>)[] = [];

export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** An ingress (`env` over the stack's brokers) on fresh topics; runCleanups ends both. */
export async function ingressWithTopics(
  env: Record<string, string> = {},
): Promise<{ ingress: RunningIngress; topics: FreshTopics }> {
  const topics = await freshTopics({ label: 'ingress' });
  cleanups.push(() => topics.cleanup());
  const ingress = await startIngress({
    KAFKA_BROKERS: stackEnv().brokers,
    TOPIC_PREFIX: topics.prefix,
    ...env,
  });
  cleanups.push(() => ingress.close());
  return { ingress, topics };
}
