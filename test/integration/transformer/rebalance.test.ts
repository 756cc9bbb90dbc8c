// Exactly once across rebalances: a second instance joins mid-stream (partitions move to it,
// fenced by transactional.id) and the first one leaves mid-stream (the second takes everything).
// The count comes from the Java exactly-once verifier (infra/verifier), not from kafkajs.
import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { OUTPUT_HEADERS } from '../../../services/common/src/record-headers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { MAPPED_FIXTURES } from '../../fixtures/index.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { feed, rawMessage } from '../../helpers/raw-events.js';
import {
  countPipelineOutputs,
  describeCheck,
  processedCount,
  readPipelineOutputs,
  startTransformer,
  waitForCommittedEnd,
  ARRANGEMENTS,
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

for (const { label, env } of ARRANGEMENTS)
  describe(`transformer exactly-once across rebalances${label}`, () => {
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

      const first = await startTransformer(fresh, env);
      running.add(first);
      await waitFor(
        async () => (await processedCount(first)) > 0,
        60_000,
        'the first instance to make progress',
      );

      const second = await startTransformer(fresh, env);
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

      await waitForCommittedEnd(fresh.admin, fresh.group, fresh.names.raw, 120_000);
      const counted = await countPipelineOutputs(fresh.names, good);
      expect(counted.report.hanging).toEqual([]);
      expect(counted.check, describeCheck(counted.check)).toEqual({
        missing: [],
        duplicated: {},
        unexpected: [],
      });
      expect(counted.outputs).toBe(good.length);
      expect(counted.dlq).toBe(0);

      // The outputs decode through the registry, with the envelope's event ID matching ce_id.
      const { outputs } = await readPipelineOutputs(kafka, fresh.names, {
        expected: good.length,
        timeoutMs: 120_000,
        settleMs: 1000,
      });
      const known = new Set(good);
      const wrong = outputs.filter(
        (o) =>
          o.decoded.eventId !== o.headers[OUTPUT_HEADERS.id] ||
          !known.has(String(o.decoded.eventId)),
      );
      expect(wrong.map((o) => `${o.topic}/${o.partition}/${o.offset}`)).toEqual([]);
      // Both instances really did part of the work.
      expect(sharedAt).toBeGreaterThan(0);
      expect(await processedCount(second)).toBeGreaterThan(0);
      expect(sharedAt).toBeLessThan(TOTAL);
    });
  });
