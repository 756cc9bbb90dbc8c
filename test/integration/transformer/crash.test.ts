// Exactly once across kill -9: a transformer child process is SIGKILLed at random points while
// 20,000 raw events (with duplicate deliveries and poison among them) flow; after the last
// restart every expected event is in the outputs exactly once and the DLQ holds only the poison.
// The count comes from the Java exactly-once verifier (infra/verifier), not from kafkajs.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_HEADERS, RAW_HEADERS } from '../../../services/common/src/record-headers.js';
import { MAPPED_FIXTURES } from '../../fixtures/index.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { feed, rawMessage } from '../../helpers/raw-events.js';
import { committedTotal as committedOffsets } from '../../helpers/committed-offsets.js';
import {
  countPipelineOutputs,
  describeCheck,
  readPipelineOutputs,
  spawnTransformer,
  waitForCommittedEnd,
  waitForExit,
  ARRANGEMENTS,
} from '../../helpers/transformer-harness.js';

const TOTAL = 20_000;
const POISON_EVERY = 200; // 100 poison records
const DUPLICATE_EVERY = 50; // 400 re-deliveries of earlier events
const KILLS = 3;

for (const { label, env } of ARRANGEMENTS)
  describe(`transformer exactly-once across SIGKILL${label}`, () => {
    const kafka = testKafka('crash-test');
    let fresh: FreshTopics;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      fresh = await freshTopics({ partitions: 3, label: 'crash' });
    });
    afterAll(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await fresh?.cleanup();
    });

    it(`holds every event exactly once after ${KILLS} kills at random points`, async () => {
      const good = new Set<string>();
      const poison = new Set<string>();
      const messages: Message[] = [];
      for (let i = 0; messages.length < TOTAL; i++) {
        if (i % POISON_EVERY === POISON_EVERY - 1) {
          const eventId = `poison-${i}-${randomUUID()}`;
          poison.add(eventId);
          messages.push(rawMessage('{"event":"contact.created", truncated', { eventId }));
        } else if (i % DUPLICATE_EVERY === DUPLICATE_EVERY - 1 && good.size > 0) {
          const earlier = [...good][Math.floor(Math.random() * good.size)]!;
          const fixture = MAPPED_FIXTURES[earlier.length % MAPPED_FIXTURES.length]!;
          messages.push(rawMessage(fixture.bytes, { eventId: earlier }));
        } else {
          const eventId = `evt-${i}-${randomUUID()}`;
          good.add(eventId);
          messages.push(
            rawMessage(MAPPED_FIXTURES[eventId.length % MAPPED_FIXTURES.length]!.bytes, {
              eventId,
            }),
          );
        }
      }

      // The events keep flowing while the transformer is killed and restarted.
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      const feeding = feed(producer, fresh.names.raw, messages, { slice: 1000, pauseMs: 1500 });

      const admin = fresh.admin;
      const committedTotal = () => committedOffsets(admin, fresh.group, fresh.names.raw);
      // Each instance is killed at a random moment after it has committed something (so the kill
      // lands while it is processing, not during its start-up or the group's rebalance).
      const progressAtKill: number[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        child = spawnTransformer(fresh, env);
        const before = await committedTotal();
        const deadline = Date.now() + 60_000;
        while ((await committedTotal()) === before && Date.now() < deadline) await sleep(100);
        await sleep(Math.random() * 800);
        progressAtKill.push(await committedTotal());
        child.kill('SIGKILL');
        await waitForExit(child);
      }
      child = spawnTransformer(fresh, env);
      await feeding;
      await producer.disconnect();

      // Offsets commit in the outputs' transaction: once the group has committed the end of
      // ghl.raw, every output is committed and the verifier's snapshot is final.
      await waitForCommittedEnd(admin, fresh.group, fresh.names.raw, 180_000);
      const counted = await countPipelineOutputs(fresh.names, [...good, ...poison]);
      child.kill('SIGTERM');
      expect(await waitForExit(child)).toBe(0);

      // Every kill landed mid-stream: after progress, before the end.
      expect(
        progressAtKill.every((n) => n > 0 && n < TOTAL),
        `committed at each kill: ${progressAtKill.join(', ')}`,
      ).toBe(true);

      // Exactly once, counted by the Java client: each good event once in the outputs, each poison
      // record once in the DLQ, nothing else, no transaction left open.
      expect(counted.report.hanging).toEqual([]);
      expect(counted.check, describeCheck(counted.check)).toEqual({
        missing: [],
        duplicated: {},
        unexpected: [],
      });
      expect(counted.outputs).toBe(good.size);
      expect(counted.dlq).toBe(poison.size);
      expect(Object.keys(counted.dlqIds).sort()).toEqual([...poison].sort());
      expect(Object.values(counted.dlqIds).every((n) => n === 1)).toBe(true);

      // The outputs decode through the registry and carry their event ID in the envelope too.
      const { outputs, dlq } = await readPipelineOutputs(kafka, fresh.names, {
        expected: good.size + poison.size,
        timeoutMs: 120_000,
        settleMs: 1000,
      });
      const wrong = outputs.filter(
        (o) =>
          o.decoded.eventId !== o.headers[OUTPUT_HEADERS.id] ||
          !good.has(String(o.decoded.eventId)),
      );
      expect(wrong.map((o) => `${o.topic}/${o.partition}/${o.offset}`)).toEqual([]);
      expect(dlq.every((r) => poison.has(r.headers[RAW_HEADERS.eventId] ?? ''))).toBe(true);
    });
  });
