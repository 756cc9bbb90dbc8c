// Reads offset ranges of one topic, read_committed: the one "read a topic up to the end captured
// at start" of the pipeline (the CLI's tail, replay, dlq, tenants and trace, the console; the
// transformer's tenants follower, which then keeps reading).
//
// A bounded read (every range has an end) that is not supervised goes through partition-fetch.ts:
// plain Fetch requests of every partition at once, up to 16 MiB each, no consumer group, and a
// leaner record decoder than kafkajs' (numbers there). It can also skip records without a
// `needle`. Reads that follow a topic stay on the consumer described below.
//
// kafkajs has no manual partition assignment, so the reader is a consumer in a throw-away group
// (unique name, never commits) that seeks every partition to its start on GROUP_JOIN (again after
// any rebalance, to the position it reached) and pauses the partitions it has finished.
//
// "Finished" needs care: the end offset captured at start may sit on a transaction marker (the
// outputs and the DLQ are written transactionally, and compacted topics have gaps), so the last
// readable record can be below end - 1. kafkajs never shows control records to eachBatch, but a
// batch that held only control/aborted records still emits END_BATCH_PROCESS with its lastOffset,
// which is how the reader learns it has passed the end. As a last resort, when a bounded read sees
// no batch at all for `idleMs`, the remaining partitions are reported as incomplete instead of
// waiting forever (records behind an open transaction cannot be read yet).
import { randomUUID } from 'node:crypto';
import type { Admin, ConsumerRunConfig, Kafka, KafkaMessage } from 'kafkajs';
import { fetchRanges } from './partition-fetch.js';
import {
  superviseConsumer,
  supervisedRetry,
  type ConsumerSupervisor,
} from './consumer-supervisor.js';
import { withLeaderRetry } from './leader-retry.js';
import type { Logger } from '../logger.js';

export interface PartitionRange {
  partition: number;
  /** First offset to read. */
  start: bigint;
  /** Exclusive end; undefined = follow forever. */
  end?: bigint;
  /**
   * With `end` undefined: the end captured at start. Once every partition's position has passed
   * it (records, or transaction markers and compaction gaps seen through END_BATCH_PROCESS),
   * `onCaughtUp` is called, once, and the read goes on.
   */
  caughtUpAt?: bigint;
}

export interface ReadResult {
  /** Why the read ended. */
  reason: 'end' | 'stopped' | 'aborted' | 'idle';
  /** Partitions that did not reach their end (only when reason is 'idle'), with the position reached. */
  incomplete: { partition: number; position: bigint; end: bigint }[];
  /**
   * Bounded reads through Fetch requests only: records in the ranges (whether or not `needle`
   * let them through to `onRecord`) and the record batch bytes fetched.
   */
  scanned?: { records: number; bytes: number };
}

export interface ReadOptions {
  topic: string;
  ranges: readonly PartitionRange[];
  /**
   * Called in offset order per partition; return false to stop the whole read. A throw ends the
   * read and readTopicRange rejects with it.
   */
  onRecord: (partition: number, message: KafkaMessage) => Promise<boolean> | boolean;
  signal?: AbortSignal;
  /** Bounded reads give up waiting after this long without any batch (default 5 s). */
  idleMs?: number;
  /** Called once when every partition reached its `caughtUpAt` (at once if none has one). */
  onCaughtUp?: () => void;
  /** Prefix of the throw-away group (default `ghl-pipeline-cli-reader`). */
  groupPrefix?: string;
  /**
   * For long-lived reads: a crashed consumer is restarted at once (consumer-supervisor.ts) instead
   * of ending the read, and the restarts are logged here.
   */
  supervise?: Logger;
  /**
   * Bounded reads: hand `onRecord` only records whose key, value or header bytes contain these
   * bytes (a pre-filter; batches without them are not decoded). Ignored by the consumer path.
   */
  needle?: Buffer;
  /**
   * 'consumer' forces the kafkajs consumer for a bounded read (what every read used before the
   * Fetch path; kept for comparisons). Default: Fetch requests for bounded, unsupervised reads.
   */
  via?: 'fetch' | 'consumer';
}

/**
 * Reads `opts.ranges` of `opts.topic` read_committed, calling `onRecord` in offset order per
 * partition, until every bounded partition reaches its end, `onRecord` returns false, the signal
 * aborts, or (bounded reads only) nothing arrives for `idleMs`. Rejects with the consumer's error
 * when it crashes for good, or with what `onRecord` threw.
 */
export async function readTopicRange(kafka: Kafka, opts: ReadOptions): Promise<ReadResult> {
  const { topic } = opts;
  const idleMs = opts.idleMs ?? 5000;
  const end = new Map<number, bigint | undefined>();
  const position = new Map<number, bigint>();
  const active = new Set<number>();
  for (const r of opts.ranges) {
    end.set(r.partition, r.end);
    position.set(r.partition, r.start);
    if (r.end === undefined || r.start < r.end) active.add(r.partition);
  }
  // Partitions still behind their caughtUpAt; onCaughtUp fires when none is left.
  const behind = new Map<number, bigint>();
  for (const r of opts.ranges)
    if (r.end === undefined && r.caughtUpAt !== undefined && r.start < r.caughtUpAt)
      behind.set(r.partition, r.caughtUpAt);
  let caughtUpCalled = false;
  const checkCaughtUp = () => {
    if (caughtUpCalled || behind.size > 0) return;
    caughtUpCalled = true;
    opts.onCaughtUp?.();
  };
  const passed = (partition: number, next: bigint) => {
    const mark = behind.get(partition);
    if (mark !== undefined && next >= mark) {
      behind.delete(partition);
      checkCaughtUp();
    }
  };
  checkCaughtUp();
  if (active.size === 0) return { reason: 'end', incomplete: [] };
  if (opts.signal?.aborted) return { reason: 'aborted', incomplete: [] };
  if (opts.via !== 'consumer' && !opts.supervise && opts.ranges.every((r) => r.end !== undefined)) {
    const { records, bytes, ...result } = await fetchRanges(kafka, {
      topic,
      ranges: opts.ranges.map((r) => ({ partition: r.partition, start: r.start, end: r.end! })),
      onRecord: opts.onRecord,
      signal: opts.signal,
      idleMs,
      needle: opts.needle,
    });
    return { ...result, scanned: { records, bytes } };
  }

  let settle!: (reason: ReadResult['reason']) => void;
  let fail!: (err: Error) => void;
  const finished = new Promise<ReadResult['reason']>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  // A crash can reject it before it is awaited; the await below still sees the error.
  finished.catch(() => undefined);
  let stopped = false;
  const stop = (reason: ReadResult['reason']) => {
    if (stopped) return;
    stopped = true;
    settle(reason);
  };
  const abort = (err: Error) => {
    if (stopped) return;
    stopped = true;
    fail(err);
  };

  const consumer = kafka.consumer({
    groupId: `${opts.groupPrefix ?? 'ghl-pipeline-cli-reader'}-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 200,
    sessionTimeout: 30_000,
    retry: opts.supervise ? supervisedRetry({ retries: 5 }) : { retries: 5 },
  });
  let supervisor: ConsumerSupervisor | undefined;
  // The idle clock starts at the first join: joining can take seconds on a busy broker.
  let joined = false;
  let lastActivity = Date.now();
  const touch = () => {
    lastActivity = Date.now();
  };

  const markDone = (partition: number) => {
    if (!active.delete(partition)) return;
    consumer.pause([{ topic, partitions: [partition] }]);
    if (active.size === 0) stop('end');
  };
  // Advances a partition's position; finishes it once the position reaches its end.
  const advance = (partition: number, next: bigint) => {
    if (next > (position.get(partition) ?? 0n)) position.set(partition, next);
    passed(partition, next);
    const e = end.get(partition);
    if (e !== undefined && (position.get(partition) ?? 0n) >= e) markDone(partition);
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    touch();
    const assigned = payload.memberAssignment[topic] ?? [];
    const idle = assigned.filter((p) => !active.has(p));
    for (const p of assigned)
      if (active.has(p)) consumer.seek({ topic, partition: p, offset: String(position.get(p)) });
    if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
  });
  // Batches of only control or aborted records never reach eachBatch; this event still does.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    touch();
    if (payload.topic !== topic || !active.has(payload.partition)) return;
    const last = BigInt(payload.lastOffset);
    passed(payload.partition, last + 1n);
    const e = end.get(payload.partition);
    if (e !== undefined && last + 1n >= e) markDone(payload.partition);
  });
  // A supervised reader is restarted (and re-seeks on its next join); any other one that crashes
  // for good ends the read with the error.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart && !opts.supervise) abort(payload.error);
  });

  const onAbort = () => stop('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const bounded = opts.ranges.every((r) => r.end !== undefined);
  const idleTimer = bounded
    ? setInterval(
        () => {
          if (joined && Date.now() - lastActivity > idleMs) stop('idle');
        },
        Math.min(500, idleMs),
      )
    : undefined;

  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const runConfig: ConsumerRunConfig = {
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        touch();
        const { partition } = batch;
        if (stopped || !active.has(partition) || !isRunning() || isStale()) return;
        const e = end.get(partition);
        for (const message of batch.messages) {
          if (stopped || !active.has(partition)) return;
          const offset = BigInt(message.offset);
          if (offset < (position.get(partition) ?? 0n)) continue; // re-delivered after a re-seek
          if (e !== undefined && offset >= e) {
            markDone(partition);
            return;
          }
          let more: boolean;
          try {
            more = await opts.onRecord(partition, message);
          } catch (err) {
            // Never into kafkajs: it would re-deliver the batch. The read ends with this error.
            abort(err as Error);
            return;
          }
          advance(partition, offset + 1n);
          if (!more) {
            stop('stopped');
            return;
          }
          await heartbeat();
        }
        advance(partition, BigInt(batch.lastOffset()) + 1n);
      },
    };
    if (opts.supervise) supervisor = superviseConsumer(consumer, runConfig, opts.supervise);
    await consumer.run(runConfig);
    const reason = await finished;
    const incomplete =
      reason === 'idle'
        ? [...active].map((p) => ({
            partition: p,
            position: position.get(p) ?? 0n,
            end: end.get(p) ?? 0n,
          }))
        : [];
    return { reason, incomplete };
  } finally {
    supervisor?.stop();
    if (idleTimer) clearInterval(idleTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * The record at `offset` of `topic`'s `partition`, read read_committed in one bounded read;
 * undefined when there is none there (a transaction marker, an aborted write, or a record that
 * retention or compaction removed). Rejects like readTopicRange.
 */
export async function readRecordAt(
  kafka: Kafka,
  at: { topic: string; partition: number; offset: bigint },
  signal?: AbortSignal,
): Promise<KafkaMessage | undefined> {
  let found: KafkaMessage | undefined;
  await readTopicRange(kafka, {
    topic: at.topic,
    ranges: [{ partition: at.partition, start: at.offset, end: at.offset + 1n }],
    ...(signal ? { signal } : {}),
    onRecord: (_partition, message) => {
      if (BigInt(message.offset) === at.offset) found = message;
      return false;
    },
  });
  return found;
}

/**
 * Every partition of `topic` from its first retained offset, with the end captured now (the last
 * stable offset: kafkajs' admin reads offsets read_committed) as `caughtUpAt`: what a follower
 * that must first catch up reads. Retries leader errors of a just-created topic.
 */
export async function followRanges(admin: Admin, topic: string): Promise<PartitionRange[]> {
  const offsets = await withLeaderRetry(admin, topic, () => admin.fetchTopicOffsets(topic));
  return offsets.map((o) => ({
    partition: o.partition,
    start: BigInt(o.low),
    caughtUpAt: BigInt(o.high),
  }));
}
