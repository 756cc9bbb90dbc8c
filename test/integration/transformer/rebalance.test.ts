// Exactly once across rebalances: a second instance joins mid-stream (partitions move to it,
// fenced by transactional.id) and the first one leaves mid-stream (the second takes everything).
import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { MAPPED_FIXTURES } from '../../fixtures/index.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { feed, rawMessage } from '../../helpers/raw-events.js';
import {
  countBy,
  processedCount,
  readPipelineOutputs,
  startTransformer,
} from '../../helpers/transformer-harness.js';

const TOTAL = 12_000;

async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('transformer exactly-once across rebalances', () => {
  const kafka = testKafka('rebalance-test');
  let fresh: FreshTopics;
  const running = new Set<Transformer>();

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 6, label: 'rebal' });
  });
  afterAll(async () => {
    await Promise.all([...running].map((t) => t.close()));
    await fresh?.cleanup();
  });

  it('keeps every event exactly once when an instance joins and another leaves mid-stream', async () => {
    const good: string[] = [];
    const messages: Message[] = [];
    for (let i = 0; messages.length < TOTAL; i++) {
      // Every 40th record re-delivers an earlier event: dedup must hold across the moves.
      const redeliver = i % 40 === 39 && good.length > 0;
      const eventId = redeliver
        ? good[Math.floor(Math.random() * good.length)]!
        : `evt-${i}-${randomUUID()}`;
      if (!redeliver) good.push(eventId);
      messages.push(rawMessage(MAPPED_FIXTURES[i % MAPPED_FIXTURES.length]!.bytes, { eventId }));
    }
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const feeding = feed(producer, fresh.names.raw, messages, { slice: 500, pauseMs: 400 });

    const first = await startTransformer(fresh);
    running.add(first);
    await waitFor(
      async () => (await processedCount(first)) > 0,
      60_000,
      'the first instance to make progress',
    );

    const second = await startTransformer(fresh);
    running.add(second);
    await waitFor(
      () => second.ownedPartitions().length > 0 && first.ownedPartitions().length > 0,
      60_000,
      'partitions to be shared',
    );
    await waitFor(
      async () => (await processedCount(second)) > 0,
      60_000,
      'the second instance to make progress',
    );
    const sharedAt = await processedCount(first);

    await first.close();
    running.delete(first);
    await waitFor(
      () => second.ownedPartitions().length === 6,
      60_000,
      'the second instance to own every partition',
    );
    await feeding;
    await producer.disconnect();

    const { outputs, dlq } = await readPipelineOutputs(kafka, fresh.names, {
      expected: good.length,
      timeoutMs: 120_000,
      settleMs: 3000,
    });
    const counts = countBy(outputs, (o) => String(o.decoded.eventId));
    expect({
      missing: good.filter((id) => !counts.has(id)).length,
      repeated: [...counts.values()].filter((n) => n > 1).length,
      total: outputs.length,
    }).toEqual({ missing: 0, repeated: 0, total: good.length });
    expect(dlq).toHaveLength(0);
    // Both instances really did part of the work.
    expect(sharedAt).toBeGreaterThan(0);
    expect(await processedCount(second)).toBeGreaterThan(0);
    expect(sharedAt).toBeLessThan(TOTAL);
  });
});
