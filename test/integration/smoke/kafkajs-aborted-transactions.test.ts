// Regression test against the real broker: kafkajs 2.2.4's read_committed filter delivered the
// records of aborted transactions when two producers' aborted transactions interleave on one
// partition and abort in the other order (services/common/src/kafka/kafkajs-aborted-filter.ts has the
// story). The broker lists aborted transactions in abort-marker order; kafkajs assumed
// first-offset order. This reproduces the minimal case, reads it through the project's kafkajs,
// and feeds the exact fetch the broker returned to kafkajs' original filter to show it fails.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abortedFilterActive } from '../../../services/common/src/kafka/kafkajs.js';
import {
  ABORTED_FILTER_MODULE,
  filterAbortedMessages,
  type AbortedTransaction,
  type FetchedMessage,
  type FilterAbortedMessages,
} from '../../../services/common/src/kafka/kafkajs-aborted-filter.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { readCommitted, sleep, testKafka, uniquePrefix } from '../../helpers/integration.js';
import { evaluateModule } from '../../../services/common/src/kafka/kafkajs-source-patch.js';

const require = createRequire(import.meta.url);

/** kafkajs' own filter, compiled afresh from its file: the require cache holds the fix. */
function loadOriginalFilter(): FilterAbortedMessages {
  return evaluateModule(require.resolve(ABORTED_FILTER_MODULE)) as FilterAbortedMessages;
}

interface FetchedRecord extends FetchedMessage {
  value: Buffer | null;
  isControlRecord: boolean;
}
interface FetchedPartition {
  partition: number;
  highWatermark: string;
  abortedTransactions: AbortedTransaction[];
  messages: FetchedRecord[];
}
interface FetchResponse {
  responses: { topicName: string; partitions: FetchedPartition[] }[];
}
type ResponseModule = { parse: (data: unknown) => Promise<FetchResponse> };

/**
 * Records every decoded Fetch response on its way from kafkajs' connection to the consumer
 * (the connection calls `parse` on the response module object, so wrapping it sees all).
 */
function interceptFetchResponses(onResponse: (r: FetchResponse) => void): () => void {
  const restore: (() => void)[] = [];
  for (let v = 4; v <= 11; v++) {
    const mod = require(`kafkajs/src/protocol/requests/fetch/v${v}/response.js`) as ResponseModule;
    const parse = mod.parse;
    mod.parse = async (data) => {
      const parsed = await parse(data);
      onResponse(parsed);
      return parsed;
    };
    restore.push(() => {
      mod.parse = parse;
    });
  }
  return () => restore.forEach((r) => r());
}

describe('kafkajs read_committed with interleaved aborted transactions (real broker)', () => {
  const kafka = testKafka('smoke-aborted');
  const admin = kafka.admin();
  const prefix = uniquePrefix('aborted');
  const topic = `${prefix}interleaved`;

  let phase: 'write' | 'read' = 'write';
  let highWatermark = -1;
  const readCommittedFetches: FetchedPartition[] = [];
  let stopIntercepting: (() => void) | undefined;

  beforeAll(async () => {
    stopIntercepting = interceptFetchResponses((response) => {
      for (const t of response.responses) {
        if (t.topicName !== topic) continue;
        for (const p of t.partitions) {
          if (phase === 'write') highWatermark = Math.max(highWatermark, Number(p.highWatermark));
          else readCommittedFetches.push(p);
        }
      }
    });
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
  });
  afterAll(async () => {
    stopIntercepting?.();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  /**
   * The coordinator writes the abort markers after answering EndTxn, so the next step waits
   * until the partition's high watermark (seen by a read_uncommitted consumer) covers the marker:
   * the markers must land in the log in the order of the scenario.
   */
  async function untilHighWatermark(atLeast: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (highWatermark < atLeast) {
      if (Date.now() > deadline) throw new Error(`high watermark ${highWatermark} < ${atLeast}`);
      await sleep(20);
    }
  }

  it('returns only the committed record, like the Java client, and the original kafkajs filter does not', async () => {
    expect(abortedFilterActive).toBe(true);

    const producer = (name: string): Producer =>
      kafka.producer({
        transactionalId: `${prefix}${name}-${randomUUID()}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
    const [p1, p2, p3] = [producer('p1'), producer('p2'), producer('p3')];
    const watcher = kafka.consumer({
      groupId: `${prefix}watch`,
      readUncommitted: true,
      maxWaitTimeInMs: 100,
    });
    await Promise.all([p1.connect(), p2.connect(), p3.connect(), watcher.connect()]);
    try {
      await watcher.subscribe({ topics: [topic], fromBeginning: true });
      await watcher.run({ eachMessage: async () => undefined });

      const t1 = await p1.transaction();
      await t1.send({ topic, messages: [{ value: 'r1' }, { value: 'r1b' }] }); // offsets 0, 1
      const t2 = await p2.transaction();
      await t2.send({ topic, messages: [{ value: 'r2' }] }); // offset 2
      await t2.abort(); // marker at 3: T2 aborts first although it began later
      await untilHighWatermark(4);
      await t1.abort(); // marker at 4
      await untilHighWatermark(5);
      const t3 = await p3.transaction();
      await t3.send({ topic, messages: [{ value: 'r3' }] }); // offset 5, commit marker at 6
      await t3.commit();
      await untilHighWatermark(7);
    } finally {
      await Promise.all([p1.disconnect(), p2.disconnect(), p3.disconnect(), watcher.disconnect()]);
    }

    // 1. Through the project's kafkajs (the fix installed): r3 only.
    phase = 'read';
    const seen = await readCommitted(kafka, [topic], { expected: 1, settleMs: 1500 });
    expect(seen.map((r) => [r.offset, r.value?.toString()])).toEqual([['5', 'r3']]);

    // 2. The fetch the broker answered to that read_committed consumer: all seven offsets, and
    // the aborted transactions in abort-marker order (T2, first offset 2, before T1, first
    // offset 0), which is what kafkajs did not expect.
    const fetch = readCommittedFetches.find((p) => p.messages[0]?.offset === '0');
    expect(fetch, 'a read_committed fetch from offset 0').toBeDefined();
    const { messages, abortedTransactions } = fetch!;
    expect(messages.map((m) => m.offset)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(abortedTransactions.map((t) => t.firstOffset)).toEqual(['2', '0']);

    const delivered = (filter: FilterAbortedMessages) =>
      filter({ messages, abortedTransactions })
        .filter((m) => !m.isControlRecord)
        .map((m) => m.value?.toString());
    // kafkajs 2.2.4's own function hands the aborted records to the application ...
    expect(delivered(loadOriginalFilter())).toEqual(['r1', 'r1b', 'r3']);
    // ... the replacement does not.
    expect(delivered(filterAbortedMessages)).toEqual(['r3']);
  });
});
