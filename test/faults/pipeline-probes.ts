// What the runner asks the running pipeline: every service's /readyz and the transformers'
// per-partition `processed` counters, sampled while the scenario runs (readiness during the outage,
// recovery and pauses), and whether the group has committed the end of ghl.raw after the load.
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import type { TopicNames } from '../../services/common/src/topics.js';
import type { FaultStack } from './fault-env.js';
import type { ReadinessSample } from './scenario-types.js';
import { processedByPartition, readyz, type ServiceChild } from './services.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Samples /readyz of `services` every 500 ms into `readiness` (named without the `<scenario>-`
 * prefix) and the committed-record counts of `transformers` every 200 ms into `processed` (per
 * transformer) and `processedPerPartition` (per `<transformer>\0<partition>`), while `active()`.
 */
export function sampleServices(
  scenario: string,
  services: ServiceChild[],
  transformers: ServiceChild[],
  active: () => boolean,
  readiness: ReadinessSample[],
  processed: Map<string, { at: number; value: number }[]>,
  processedPerPartition: Map<string, { at: number; value: number }[]>,
): Promise<void> {
  return Promise.all([
    sampleEach(services, 500, active, async (s) => {
      const status = await readyz(s);
      readiness.push({ at: Date.now(), service: s.name.slice(scenario.length + 1), status });
    }),
    sampleEach(transformers, 200, active, async (t) => {
      const perPartition = await processedByPartition(t);
      if (perPartition === undefined) return;
      const at = Date.now();
      const append = (map: typeof processed, key: string, value: number) => {
        const series = map.get(key) ?? [];
        series.push({ at, value });
        map.set(key, series);
      };
      append(
        processed,
        t.name,
        [...perPartition.values()].reduce((a, b) => a + b, 0),
      );
      for (const [partition, value] of perPartition)
        append(processedPerPartition, `${t.name}\u0000${partition}`, value);
    }),
  ]).then(() => undefined);
}

/** Calls `fn` for every item every `everyMs` while `active()`; one slow item never stalls another. */
async function sampleEach<T>(
  items: T[],
  everyMs: number,
  active: () => boolean,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  await Promise.all(
    items.map(async (item) => {
      while (active()) {
        const next = Date.now() + everyMs;
        await fn(item);
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
      }
    }),
  );
}

/**
 * Waits until the transformer group has committed the end of every ghl.raw partition (nothing
 * left to transform), or `timeoutMs`, or until no transformer is alive. kafkajs is fine here: the
 * count itself comes from the Java verifier.
 */
export async function drain(
  stack: FaultStack,
  names: TopicNames,
  group: string,
  transformers: ServiceChild[],
  timeoutMs: number,
): Promise<boolean> {
  const admin = createKafka({
    brokers: stack.brokers.split(','),
    clientId: 'faults-drain',
  }).admin();
  const deadline = Date.now() + timeoutMs;
  try {
    await admin.connect();
    while (Date.now() < deadline && transformers.some((t) => t.alive())) {
      try {
        const ends = await admin.fetchTopicOffsets(names.raw);
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [names.raw] });
        const at = new Map(committed?.partitions.map((p) => [p.partition, p.offset]) ?? []);
        if (ends.every((e) => at.get(e.partition) === e.offset)) return true;
      } catch {
        // Coordinator loading after a restart: ask again.
      }
      await sleep(500);
    }
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
