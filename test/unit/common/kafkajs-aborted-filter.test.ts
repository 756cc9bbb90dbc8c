import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { abortedFilterActive, Kafka } from '../../../services/common/src/kafka/kafkajs.js';
import {
  ABORTED_FILTER_MODULE,
  filterAbortedMessages,
  type AbortedTransaction,
  type FetchedBatchContext,
  type FilterAbortedMessages,
} from '../../../services/common/src/kafka/kafkajs-aborted-filter.js';
import { evaluateModule } from '../../../services/common/src/kafka/kafkajs-source-patch.js';

const require = createRequire(import.meta.url);

/** kafkajs' own filter, compiled afresh from its file (the require cache holds the fix). */
function loadOriginal(): FilterAbortedMessages {
  return evaluateModule(require.resolve(ABORTED_FILTER_MODULE)) as FilterAbortedMessages;
}
const original = loadOriginal();

interface Msg {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  isControlRecord: boolean;
  batchContext: FetchedBatchContext;
}

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

/**
 * One record batch as kafkajs' decoder produces it: every record shares one batchContext object.
 * `values` are the data records' values; a control batch has one record whose key is the marker.
 */
function batch(
  firstOffset: number | string,
  producerId: string,
  kind: 'txn' | 'plain' | 'abort' | 'commit',
  values: string[] = [],
): Msg[] {
  const control = kind === 'abort' || kind === 'commit';
  const count = control ? 1 : values.length;
  const ctx: FetchedBatchContext = {
    firstOffset: String(firstOffset),
    lastOffsetDelta: count - 1,
    producerId,
    inTransaction: kind !== 'plain',
    isControlBatch: control,
  };
  return Array.from({ length: count }, (_, i) => ({
    offset: (BigInt(firstOffset) + BigInt(i)).toString(),
    key: control ? (kind === 'abort' ? ABORT : COMMIT) : Buffer.from(`k${i}`),
    value: control ? Buffer.from([0, 0, 0, 0, 0, 0]) : Buffer.from(values[i]!),
    isControlRecord: control,
    batchContext: ctx,
  }));
}

const aborted = (...list: [string, number | string][]): AbortedTransaction[] =>
  list.map(([producerId, firstOffset]) => ({ producerId, firstOffset: String(firstOffset) }));

/** What the application sees: kafkajs' Batch drops control records after the filter. */
const delivered = (
  filter: FilterAbortedMessages,
  messages: Msg[],
  abortedTransactions: AbortedTransaction[],
) =>
  filter({ messages, abortedTransactions })
    .filter((m) => !m.isControlRecord)
    .map((m) => m.value!.toString());

// P1 begins T1 and writes r1, r1b; P2 begins T2 and writes r2; T2 aborts, then T1 aborts;
// P3 commits r3. The broker lists the aborted transactions in abort-marker order.
const interleaved = (): { messages: Msg[]; abortedTransactions: AbortedTransaction[] } => ({
  messages: [
    ...batch(0, '1001', 'txn', ['r1', 'r1b']),
    ...batch(2, '1002', 'txn', ['r2']),
    ...batch(3, '1002', 'abort'),
    ...batch(4, '1001', 'abort'),
    ...batch(5, '1003', 'txn', ['r3']),
    ...batch(6, '1003', 'commit'),
  ],
  abortedTransactions: aborted(['1002', 2], ['1001', 0]),
});

describe("read_committed filter of aborted transactions (replaces kafkajs' filterAbortedMessages)", () => {
  it('is the function kafkajs uses (installed before kafkajs loaded)', () => {
    expect(abortedFilterActive).toBe(true);
    expect(typeof Kafka).toBe('function');
    const installed = require(ABORTED_FILTER_MODULE) as { abortedFilterFix?: boolean };
    expect(installed.abortedFilterFix).toBe(true);

    // kafkajs' Batch captured it: it exposes only r3 for the interleaved case.
    const Batch = require('kafkajs/src/consumer/batch.js') as new (
      topic: string,
      fetchedOffset: string,
      partitionData: object,
    ) => { messages: Msg[] };
    const { messages, abortedTransactions } = interleaved();
    const b = new Batch('t', '0', {
      partition: 0,
      highWatermark: '7',
      abortedTransactions,
      messages,
    });
    expect(b.messages.map((m) => m.value!.toString())).toEqual(['r3']);
  });

  it('hides interleaved aborted transactions listed in abort order (kafkajs delivered them)', () => {
    const { messages, abortedTransactions } = interleaved();
    expect(delivered(filterAbortedMessages, messages, abortedTransactions)).toEqual(['r3']);
    // The bug being fixed, on the original code.
    expect(delivered(original, messages, abortedTransactions)).toEqual(['r1', 'r1b', 'r3']);
  });

  it('sorts an unsorted aborted list by first offset', () => {
    const messages = [
      ...batch(0, '1', 'txn', ['a1']),
      ...batch(1, '2', 'txn', ['b1']),
      ...batch(2, '3', 'txn', ['c1']),
      ...batch(3, '4', 'txn', ['ok']),
      ...batch(4, '3', 'abort'),
      ...batch(5, '1', 'abort'),
      ...batch(6, '2', 'abort'),
      ...batch(7, '4', 'commit'),
      ...batch(8, '2', 'txn', ['b2']),
      ...batch(9, '2', 'abort'),
    ];
    const list = aborted(['2', 8], ['3', 2], ['1', 0], ['2', 1]);
    expect(delivered(filterAbortedMessages, messages, list)).toEqual(['ok']);
    expect(delivered(filterAbortedMessages, messages, [...list].reverse())).toEqual(['ok']);
  });

  it('activates every aborted transaction that began before a batch, not one per record', () => {
    // A fetch that starts after three aborted transactions began (the earlier records are below
    // the fetch offset): all three are open when the first record arrives.
    const messages = [
      ...batch(10, '3', 'txn', ['c']),
      ...batch(11, '2', 'txn', ['b']),
      ...batch(12, '9', 'plain', ['plain']),
      ...batch(13, '1', 'abort'),
      ...batch(14, '2', 'abort'),
      ...batch(15, '3', 'abort'),
    ];
    const list = aborted(['1', 0], ['2', 1], ['3', 2]);
    expect(delivered(filterAbortedMessages, messages, list)).toEqual(['plain']);
    expect(delivered(original, messages, list)).toEqual(['c', 'plain']);
  });

  it('drops a whole aborted batch even when the fetch starts in the middle of it', () => {
    // Batch 5..8 of an aborted transaction; kafkajs passes only the records at or after the
    // fetch offset (7): activation uses the batch's last offset, as the Java client does.
    const messages = batch(5, '1', 'txn', ['x', 'y', 'z', 'w']).slice(2);
    messages.push(...batch(9, '1', 'abort'), ...batch(10, '2', 'txn', ['ok']));
    expect(delivered(filterAbortedMessages, messages, aborted(['1', 5]))).toEqual(['ok']);
  });

  it('ends an aborted transaction only at an ABORT control batch, not at a COMMIT marker or a data key', () => {
    const messages = [
      ...batch(0, '1', 'txn', ['p1-aborted']),
      ...batch(1, '2', 'txn', ['p2-committed']),
      ...batch(2, '2', 'commit'),
      // A data record whose key happens to be the ABORT marker's bytes is still data.
      { ...batch(3, '1', 'txn', ['p1-zero-key'])[0]!, key: Buffer.from([0, 0, 0, 0]) },
      ...batch(4, '1', 'txn', ['p1-after-zero-key']),
      ...batch(5, '1', 'abort'),
      ...batch(6, '1', 'txn', ['p1-next-committed']),
      ...batch(7, '1', 'commit'),
    ];
    const list = aborted(['1', 0]);
    expect(delivered(filterAbortedMessages, messages, list)).toEqual([
      'p2-committed',
      'p1-next-committed',
    ]);
    expect(delivered(original, messages, list)).toContain('p1-zero-key');
  });

  it('keeps non-transactional batches, even from a producer id with an open aborted transaction', () => {
    const messages = [
      ...batch(0, '-1', 'plain', ['plain-1', 'plain-2']),
      ...batch(2, '1', 'txn', ['aborted']),
      ...batch(3, '1', 'plain', ['idempotent']),
      ...batch(4, '-1', 'plain', ['plain-3']),
      ...batch(5, '1', 'abort'),
    ];
    expect(delivered(filterAbortedMessages, messages, aborted(['1', 2]))).toEqual([
      'plain-1',
      'plain-2',
      'idempotent',
      'plain-3',
    ]);
  });

  it('compares Int64 producer ids and offsets exactly beyond 2^53', () => {
    const big = 9007199254740993n; // 2^53 + 1: Number() would round it to 2^53
    const messages = [
      ...batch(big.toString(), '9007199254740993', 'txn', ['kept-other-producer']),
      ...batch((big + 1n).toString(), '9007199254740992', 'txn', ['kept-before-first-offset']),
      ...batch((big + 2n).toString(), '9007199254740992', 'txn', ['dropped']),
      ...batch((big + 3n).toString(), '9007199254740992', 'abort'),
    ];
    // The aborted transaction of ...992 begins at big + 2; ...993 is another producer.
    const list = aborted(['9007199254740992', (big + 2n).toString()]);
    expect(delivered(filterAbortedMessages, messages, list)).toEqual([
      'kept-other-producer',
      'kept-before-first-offset',
    ]);
  });

  it('returns its input untouched when nothing is dropped, and keeps records without a batch context', () => {
    const messages = batch(0, '1', 'txn', ['a', 'b']);
    expect(filterAbortedMessages({ messages, abortedTransactions: [] })).toBe(messages);
    expect(filterAbortedMessages({ messages, abortedTransactions: null })).toBe(messages);
    expect(filterAbortedMessages({ messages, abortedTransactions: aborted(['2', 0]) })).toBe(
      messages,
    );
    const legacy = [{ offset: '0', key: null, value: Buffer.from('v') }];
    expect(
      filterAbortedMessages({ messages: legacy, abortedTransactions: aborted(['1', 0]) }),
    ).toBe(legacy);
    const input = interleaved();
    const copy = [...input.messages];
    filterAbortedMessages(input);
    expect(input.messages).toEqual(copy);
  });

  // Random logs of interleaved transactional, idempotent and plain producers, read from a random
  // fetch offset with the aborted list the broker would send (abort-marker order, only
  // transactions that end at or after the fetch offset): exactly the committed and
  // non-transactional records must remain.
  it('matches read_committed semantics on random interleavings', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let run = 0; run < 500; run++) {
      const log: Msg[] = [];
      const abortOrder: AbortedTransaction[] = [];
      const abortEnds: number[] = [];
      const expected = new Set<string>();
      const open = new Map<string, { first: number; values: string[] }>();
      const producers = ['11', '12', '13', '14'];
      for (let step = 0; step < 40; step++) {
        const p = producers[rand(producers.length)]!;
        const txn = open.get(p);
        const r = rand(10);
        const offset = log.length;
        if (r === 0) {
          const v = `plain@${offset}`;
          log.push(...batch(offset, rand(2) ? '-1' : p, 'plain', [v, `${v}b`]));
          expected.add(v).add(`${v}b`);
        } else if (!txn || r < 6) {
          const values = [`${p}@${offset}`, `${p}@${offset}b`].slice(0, 1 + rand(2));
          log.push(...batch(offset, p, 'txn', values));
          if (txn) txn.values.push(...values);
          else open.set(p, { first: offset, values });
        } else {
          const abort = r >= 8;
          log.push(...batch(offset, p, abort ? 'abort' : 'commit'));
          if (abort) {
            abortOrder.push({ producerId: p, firstOffset: String(txn.first) });
            abortEnds.push(offset);
          } else for (const v of txn.values) expected.add(v);
          open.delete(p);
        }
      }
      for (const [p, txn] of open) {
        abortOrder.push({ producerId: p, firstOffset: String(txn.first) });
        abortEnds.push(log.length);
        log.push(...batch(log.length, p, 'abort'));
      }
      const fetchOffset = rand(log.length);
      const messages = log.filter((m) => Number(m.offset) >= fetchOffset);
      const list = abortOrder.filter((_, i) => abortEnds[i]! >= fetchOffset);
      const want = messages.map((m) => m.value!.toString()).filter((v) => expected.has(v));
      expect(delivered(filterAbortedMessages, messages, list), `run ${run}`).toEqual(want);
    }
  });
});
