import type { Span } from '@opentelemetry/api';
import type { Admin, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { dlqReasonOf, TransformerError } from '../../common/src/errors.js';
import type { Logger } from '../../common/src/logger.js';
import { Murmur2Partitioner } from '../../common/src/partitioner.js';
import { REPLAY_HEADERS } from '../../common/src/record-headers.js';
import type { Domain, TopicNames } from '../../common/src/topics.js';
import { ChangelogReader } from './changelog-reader.js';
import { DedupPartition, dedupKey, encodeExpiry } from './dedup-store.js';
import { truncateDlqMessage } from './dlq-truncation.js';
import { isSizeError, permanentRecordErrorType } from './kafka-errors.js';
import type { TransformerMetrics } from './metrics.js';
import {
  dlqMessage,
  headerStrings,
  outputMessage,
  rawHeader,
  RAW_EVENT_ID,
  RAW_TRACEPARENT,
  type DlqFailure,
} from './record-builders.js';
import { DLQ_REASON_ATTRIBUTE, type RecordTracing } from './record-tracing.js';
import { chunkTopicMessages, singleRecordBatchBytes } from './send-chunks.js';
import type { TopicLimits } from './topic-limits.js';
import type { Decision, DlqStage, RawRecord, TransformContext } from './transform-types.js';

/** Per sendBatch call; a topic's part of it is also kept under its max.message.bytes (send-chunks.ts). */
const MAX_SEND_BYTES = 768 * 1024;
/** Per topic per sendBatch call: bounds kafkajs' quadratic per-partition grouping (send-chunks.ts). */
const MAX_SEND_RECORDS_PER_TOPIC = 500;
/** The last-resort DLQ record (after the DLQ rejected the whole one) stays this small. */
const LAST_RESORT_DLQ_BYTES = 16 * 1024;

export interface Encoder {
  /** Confluent wire format for `value` under the domain topic's registered schema; synchronous. */
  encode(domain: Domain, value: Record<string, unknown>): Buffer;
}

export interface WorkerSettings {
  groupId: string;
  dedupWindowMs: number;
  transactionTimeoutMs: number;
  restoreTimeoutMs: number;
  /** Attempts for a record whose processing throws something unclassified, before retries_exhausted. */
  maxRecordAttempts: number;
  /** Tombstones for expired dedup keys written per transaction at most. */
  expirySweepLimit: number;
  /** Records per transaction at most. */
  maxTransactionRecords: number;
  /** Pause between a commit and the next transaction of the same producer (see pump()). */
  transactionGapMs: number;
  /** A transaction slower than this is logged with the time each phase ended. */
  slowTransactionMs: number;
}

export interface WorkerDeps {
  kafka: Kafka;
  admin: Admin;
  names: TopicNames;
  reader: ChangelogReader;
  encoder: Encoder;
  context: TransformContext;
  transform: (raw: RawRecord, ctx: TransformContext) => Decision;
  metrics: TransformerMetrics;
  logger: Logger;
  settings: WorkerSettings;
  /** max.message.bytes of the output, DLQ and changelog topics. */
  limits: TopicLimits;
  /** Called after each committed transaction (the loop resets the partition's backoff). */
  onCommitted?: (partition: number) => void;
  /** A span per record (record-tracing.ts); absent when tracing is off. */
  tracing?: RecordTracing;
}

/**
 * A transaction that did not commit (TRF_ERR_TRANSACTION_FAILED, retriable). `ambiguous`: it may
 * have committed; the worker must re-init. `rejectedAs`: it was aborted because the broker rejected
 * a record for good (a Kafka error type such as MESSAGE_TOO_LARGE); the worker isolates that record
 * instead of retrying the chunk.
 */
export class TransactionFailed extends TransformerError {
  constructor(
    cause: unknown,
    readonly ambiguous: boolean,
    readonly rejectedAs?: string,
  ) {
    super(
      'TRF_ERR_TRANSACTION_FAILED',
      `transaction failed: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.name = 'TransactionFailed';
  }
}

interface Plan {
  outputs: Map<string, Message[]>;
  dlq: Message[];
  changelog: Message[];
  added: Map<string, number>;
  expired: string[];
  emittedByType: Map<string, number>;
  dlqByReason: Map<string, number>;
  skipped: number;
  duplicates: number;
  /** The records' spans (tracing on), ended with the transaction. */
  spans: Span[];
}

/**
 * Owns one ghl.raw partition for one group generation: its transactional producer
 * (transactional.id = <group>-<topic>-<partition>, the zombie fence kafkajs allows), its dedup
 * state, and the one-transaction-per-chunk processing of docs/exactly-once.md.
 */
export class PartitionWorker {
  dedup = new DedupPartition();
  /** Next offset to process as committed by the last transaction (-1n: nothing committed yet). */
  committedNext = -1n;
  /** Set when the group rebalanced while this worker kept the partition: re-check ownership. */
  needsOffsetCheck = false;
  /** Offset the next accepted kafkajs batch must start at; undefined until the first batch. */
  nextExpected: bigint | undefined;
  /** Set when a transaction failed: the queue was dropped and the partition is being rewound. */
  failed = false;
  private producer: Producer | undefined;
  /**
   * Set after a failed transaction. kafkajs rolls its idempotent sequence numbers back after any
   * failed produce request, including for partitions the broker did append to in that request; a
   * later batch reusing those numbers would be acknowledged as a duplicate and silently dropped.
   * A fresh producer (InitProducerId: new epoch, sequences from 0) is the only safe way on.
   */
  private producerStale = false;
  /** While set, records up to this offset go one per transaction, to find the one rejected. */
  private isolateThrough: bigint | undefined;
  private takingOver = false;
  /** Fetched, not yet committed records, in offset order, contiguous with the committed ones. */
  private queue: KafkaMessage[] = [];
  /** When each queued record was fetched (ms), for the `queue_wait` stage of recordStage. */
  private readonly fetchedAt = new WeakMap<KafkaMessage, number>();
  private firstAccepted: bigint | undefined;
  private pumping: Promise<void> | undefined;
  private held = false;
  private roomWaiters: (() => void)[] = [];
  private readonly attempts = new Map<string, { count: number; error: string; stage: DlqStage }>();
  private inFlight: Promise<unknown> | undefined;
  private closed = false;
  private readonly log: Logger;

  constructor(
    readonly partition: number,
    readonly generation: number,
    private readonly deps: WorkerDeps,
  ) {
    this.log = deps.logger.child({ partition });
  }

  get transactionalId(): string {
    return `${this.deps.settings.groupId}-${this.deps.names.raw}-${this.partition}`;
  }

  /**
   * Takes the partition over: a fresh producer's first transaction sends InitProducerId, which
   * bumps the epoch and aborts (or waits out) the previous owner's open transaction; the marker
   * committed in it tells the changelog reader where complete state ends; then the committed
   * offset is read, which after the fence can no longer move under us.
   */
  async init(): Promise<void> {
    this.takingOver = true;
    try {
      await this.takeOver();
    } finally {
      this.takingOver = false;
    }
  }

  /** True from the start of a takeover until its restore is complete (readiness reports it). */
  get restoring(): boolean {
    return this.takingOver;
  }

  private newProducer(): Producer {
    return this.deps.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.deps.settings.transactionTimeoutMs,
      // Same placement as kafkajs' default (Java murmur2), without its ~7 µs of Long arithmetic per key.
      createPartitioner: Murmur2Partitioner,
      // kafkajs retries CONCURRENT_TRANSACTIONS (the previous commit's markers still being written)
      // with this backoff; its 300 ms default would add that much to every other transaction.
      retry: { initialRetryTime: 10, multiplier: 1.5, maxRetryTime: 500, retries: 12 },
    });
  }

  /**
   * Replaces the producer after a transaction that was cleanly aborted (see producerStale). The
   * new producer's InitProducerId bumps the epoch. That also fences any instance that took this
   * partition over meanwhile, so the committed offset is read again right after it: if it moved,
   * someone else processed records and this worker's dedup state and offset are stale, and the
   * failure becomes ambiguous (the loop then does a full takeover with restore). If it did not
   * move, nobody else committed, and the state is still exact: no restore needed.
   */
  private async renewProducer(): Promise<Producer> {
    const old = this.producer;
    this.producer = undefined;
    await old?.disconnect().catch(() => undefined);
    const producer = this.newProducer();
    try {
      await producer.connect();
      // kafkajs sends InitProducerId with the first transaction(); an empty one sends nothing else.
      await (await producer.transaction()).abort();
      const committed = await this.fetchCommitted();
      if (committed !== this.committedNext)
        throw new Error(`committed offset moved to ${committed} while this worker recovered`);
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw new TransactionFailed(err, true);
    }
    if (this.closed) {
      await producer.disconnect().catch(() => undefined);
      throw new TransactionFailed(new Error('worker closed'), true);
    }
    this.producer = producer;
    this.producerStale = false;
    return producer;
  }

  private async takeOver(): Promise<void> {
    const started = Date.now();
    const { names, settings, reader } = this.deps;
    this.producer = this.newProducer();
    await this.producer.connect();
    const marker = ChangelogReader.newMarker();
    const txn = await this.producer.transaction();
    try {
      await txn.send({
        topic: names.dedup,
        acks: -1,
        messages: [{ key: marker, value: null, partition: this.partition }],
      });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    this.dedup = new DedupPartition();
    const restored = await reader.restore(
      this.partition,
      marker,
      this.dedup,
      settings.restoreTimeoutMs,
    );
    this.committedNext = await this.fetchCommitted();
    this.needsOffsetCheck = false;
    this.deps.metrics.restores.observe((Date.now() - started) / 1000);
    this.deps.metrics.dedupKeys.set({ partition: this.partition }, this.dedup.size);
    this.log.info(
      {
        restoredRecords: restored,
        dedupKeys: this.dedup.size,
        committed: String(this.committedNext),
        ms: Date.now() - started,
      },
      'partition taken over',
    );
  }

  async fetchCommitted(): Promise<bigint> {
    const offsets = await this.deps.admin.fetchOffsets({
      groupId: this.deps.settings.groupId,
      topics: [this.deps.names.raw],
    });
    const entry = offsets[0]?.partitions.find((p) => p.partition === this.partition);
    return entry ? BigInt(entry.offset) : -1n;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Where to rewind kafkajs to after a failure: the committed offset, or where this worker began. */
  rewindTarget(): bigint | undefined {
    return this.committedNext >= 0n ? this.committedNext : this.firstAccepted;
  }

  /**
   * Queues fetched records and makes sure a transaction loop runs. The consume side does not
   * wait for transactions: it keeps fetching while a transaction is in flight, and the next
   * transaction takes everything queued meanwhile (bigger transactions under load, and one slow
   * partition no longer holds back the fetch of the others).
   */
  enqueue(messages: KafkaMessage[], onFailure: (err: unknown) => void): void {
    if (this.failed || this.closed || messages.length === 0) return;
    this.firstAccepted ??= BigInt((messages[0] as KafkaMessage).offset);
    const now = Date.now();
    const fetchWait = this.deps.metrics.recordStage.labels('fetch_wait');
    for (const m of messages) {
      this.queue.push(m);
      this.fetchedAt.set(m, now);
      fetchWait.observe(Math.max(0, now - Number(m.timestamp)) / 1000);
    }
    this.startPump(onFailure);
  }

  private startPump(onFailure: (err: unknown) => void): void {
    if (this.pumping || this.held) return;
    this.pumping = this.pump(onFailure).finally(() => {
      this.pumping = undefined;
      this.wakeRoomWaiters();
    });
  }

  private async pump(onFailure: (err: unknown) => void): Promise<void> {
    const { maxTransactionRecords: max, transactionGapMs } = this.deps.settings;
    let first = true;
    while (this.queue.length > 0 && !this.closed && !this.failed && !this.held) {
      // Right after EndTxn the broker is still writing the previous transaction's markers, and
      // AddPartitionsToTxn answers CONCURRENT_TRANSACTIONS until it is done; kafkajs then retries
      // with backoff. Measured here (Kafka 4.4, kafkajs 2.2.4): back to back, half the
      // transactions hit it (p50 9 ms); with a 2-5 ms pause almost none do (p50 5 ms). The pause
      // also lets more records join the next transaction.
      if (!first && transactionGapMs > 0) await new Promise((r) => setTimeout(r, transactionGapMs));
      first = false;
      if (this.closed || this.failed || this.held || this.queue.length === 0) break;
      const chunk = this.queue.splice(0, this.chunkSize(max));
      this.wakeRoomWaiters();
      try {
        await this.runTransaction(this.deps.names.raw, chunk);
      } catch (err) {
        if (err instanceof TransactionFailed && err.rejectedAs && (await this.isolate(chunk, err)))
          continue;
        this.failed = true;
        this.queue = [];
        onFailure(err);
        return;
      }
    }
  }

  /** Records for the next transaction: one at a time while a rejected record is being isolated. */
  private chunkSize(max: number): number {
    const head = this.queue[0];
    if (this.isolateThrough === undefined || !head) return max;
    if (BigInt(head.offset) <= this.isolateThrough) return 1;
    this.isolateThrough = undefined;
    return max;
  }

  /**
   * After the broker rejected a record of `chunk` for good (the transaction was aborted): puts
   * the chunk back and retries it one record per transaction, so the rest commits and only the
   * rejected record's attempts count; decide() dead-letters it after the configured attempts.
   * Returns false once even its last-resort DLQ record was rejected: the caller then backs off
   * and retries like any failure (an operator has to look at the DLQ topic).
   */
  private async isolate(chunk: KafkaMessage[], err: TransactionFailed): Promise<boolean> {
    if (isSizeError(err.rejectedAs))
      await this.deps.limits
        .refresh()
        .catch((e: unknown) => this.log.warn({ err: e }, 'topic limits not refreshed'));
    this.queue.unshift(...chunk);
    const last = chunk[chunk.length - 1] as KafkaMessage;
    if (chunk.length > 1) {
      this.isolateThrough = BigInt(last.offset);
      this.log.warn(
        { err, rejectedAs: err.rejectedAs, from: chunk[0]?.offset, through: last.offset },
        'the broker rejected a record for good; retrying these records one per transaction',
      );
      return true;
    }
    const prior = this.attempts.get(last.offset);
    const count = (prior?.count ?? 0) + 1;
    this.attempts.set(last.offset, {
      count,
      error: `${err.rejectedAs}: ${(err.cause as Error)?.message ?? String(err.cause)}`,
      stage: 'produce',
    });
    this.log.warn({ err, offset: last.offset, attempts: count }, 'the broker rejected a record');
    return count <= this.deps.settings.maxRecordAttempts + 1;
  }

  /** Resolves once at most `limit` records are queued, the worker failed or closed, or after `ms`. */
  waitForRoom(limit: number, ms: number): Promise<void> {
    if (this.queue.length <= limit || this.failed || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.roomWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wakeRoomWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /**
   * Stops starting new transactions and waits for the one in flight, so the committed offset
   * can be compared with ours; `release` restarts the loop.
   */
  async hold(): Promise<void> {
    this.held = true;
    await this.pumping;
  }

  release(onFailure: (err: unknown) => void): void {
    this.held = false;
    if (this.queue.length > 0) this.startPump(onFailure);
  }

  /** Clears the failure after a rewind: kafkajs will deliver again from `offset`. */
  rewound(offset: bigint | undefined): void {
    this.queue = [];
    this.nextExpected = offset;
    this.failed = false;
  }

  /** Processes `messages` (offset order) in one transaction. Throws TransactionFailed or a decide error. */
  async runTransaction(topic: string, messages: KafkaMessage[]): Promise<void> {
    if (this.closed || !this.producer)
      throw new TransactionFailed(new Error('worker closed'), true);
    const producer = this.producerStale ? await this.renewProducer() : this.producer;
    const run = this.transact(producer, topic, messages);
    this.inFlight = run;
    try {
      await run;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async transact(
    producer: Producer,
    topic: string,
    messages: KafkaMessage[],
  ): Promise<void> {
    const started = Date.now();
    const plan = this.decide(topic, messages, started);
    const last = messages[messages.length - 1];
    if (!last) return;
    const next = (BigInt(last.offset) + 1n).toString();
    const topicMessages = [...plan.outputs].map(([t, msgs]) => ({ topic: t, messages: msgs }));
    if (plan.dlq.length > 0) topicMessages.push({ topic: this.deps.names.dlq, messages: plan.dlq });
    if (plan.changelog.length > 0)
      topicMessages.push({ topic: this.deps.names.dedup, messages: plan.changelog });

    let txn;
    try {
      txn = await producer.transaction();
    } catch (err) {
      throw new TransactionFailed(err, true);
    }
    let committing = false;
    const phases = { began: Date.now() - started, sent: 0, offsets: 0, committed: 0 };
    try {
      for (const call of chunkTopicMessages(
        topicMessages,
        MAX_SEND_BYTES,
        MAX_SEND_RECORDS_PER_TOPIC,
        this.deps.limits.limitOf,
      )) {
        await txn.sendBatch({ topicMessages: call, acks: -1 });
      }
      phases.sent = Date.now() - started;
      await txn.sendOffsets({
        consumerGroupId: this.deps.settings.groupId,
        topics: [{ topic, partitions: [{ partition: this.partition, offset: next }] }],
      });
      phases.offsets = Date.now() - started;
      committing = true;
      await txn.commit();
      phases.committed = Date.now() - started;
      if (phases.committed >= this.deps.settings.slowTransactionMs) {
        this.log.warn({ records: messages.length, msSince: phases }, 'slow transaction');
      }
    } catch (err) {
      this.producerStale = true;
      let aborted = false;
      if (!committing)
        aborted = await txn.abort().then(
          () => true,
          () => false,
        );
      this.deps.metrics.transactions.inc({ result: 'abort' });
      this.deps.tracing?.fail(plan.spans, err);
      throw new TransactionFailed(
        err,
        !aborted,
        aborted ? permanentRecordErrorType(err) : undefined,
      );
    }

    // Only now is the batch's dedup state real: apply it (tombstoned keys first, then new ones).
    for (const key of plan.expired) this.dedup.remove(key);
    for (const [key, expiry] of plan.added) this.dedup.add(key, expiry);
    for (const m of messages) this.attempts.delete(m.offset);
    this.committedNext = BigInt(next);
    if (this.log.isLevelEnabled('debug'))
      this.log.debug(
        {
          from: messages[0]?.offset,
          through: last.offset,
          outputs: messages.length - plan.dlq.length - plan.duplicates - plan.skipped,
          dlq: plan.dlq.length,
          duplicates: plan.duplicates,
          skipped: plan.skipped,
        },
        'transaction committed',
      );
    this.deps.tracing?.end(plan.spans);
    this.record(plan, messages.length, started);
    this.recordStages(messages, started, phases);
    this.deps.onCommitted?.(this.partition);
  }

  /** Decides every record of the chunk: output, DLQ, duplicate or skip. Throws only to retry. */
  private decide(topic: string, messages: KafkaMessage[], now: number): Plan {
    const { names, settings, context, transform, encoder, limits, tracing } = this.deps;
    const plan: Plan = {
      outputs: new Map(),
      dlq: [],
      changelog: [],
      added: new Map(),
      expired: this.dedup.expired(now, settings.expirySweepLimit),
      emittedByType: new Map(),
      dlqByReason: new Map(),
      skipped: 0,
      duplicates: 0,
      spans: [],
    };
    // Tombstones go first: if an expired key comes back in this very batch, its new entry must
    // be the later record of the two, or compaction would keep the tombstone.
    for (const key of plan.expired)
      plan.changelog.push({ key, value: null, partition: this.partition });
    const expiry = now + settings.dedupWindowMs;
    const expiryBytes = encodeExpiry(expiry);

    for (const m of messages) {
      const span = tracing?.start(this.partition, m);
      if (span) plan.spans.push(span);
      const headers = headerStrings(m.headers);
      const source = {
        topic,
        partition: this.partition,
        offset: m.offset,
        key: m.key,
        value: m.value,
        headers: m.headers,
      };
      const toDlq = (failure: DlqFailure, lastResort = false) => {
        let dlq = dlqMessage(source, failure, now);
        const limit = limits.limitOf(names.dlq);
        if (lastResort) dlq = truncateDlqMessage(dlq, Math.min(limit, LAST_RESORT_DLQ_BYTES));
        else if (singleRecordBatchBytes(dlq) > limit) dlq = truncateDlqMessage(dlq, limit);
        plan.dlq.push(dlq);
        span?.setAttribute(DLQ_REASON_ATTRIBUTE, failure.reason);
        plan.dlqByReason.set(failure.reason, (plan.dlqByReason.get(failure.reason) ?? 0) + 1);
      };
      const prior = this.attempts.get(m.offset);
      if (prior && prior.count >= settings.maxRecordAttempts) {
        // A count past the limit means the broker rejected even the whole DLQ record.
        toDlq(
          {
            reason: dlqReasonOf(
              prior.stage === 'produce' ? 'TRF_ERR_OUTPUT_REJECTED' : 'TRF_ERR_RETRIES_EXHAUSTED',
            ),
            stage: prior.stage,
            message: prior.error,
            attempts: prior.count,
          },
          prior.count > settings.maxRecordAttempts,
        );
        continue;
      }
      const attempt = (prior?.count ?? 0) + 1;
      let decision: Decision;
      try {
        decision = transform(
          {
            topic,
            partition: this.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers,
            timestamp: m.timestamp,
          },
          context,
        );
      } catch (err) {
        throw this.noteFailure(m.offset, err, 'map');
      }
      if (decision.kind === 'skip') {
        plan.skipped++;
        continue;
      }
      if (decision.kind === 'dlq') {
        toDlq({
          reason: decision.reason,
          stage: decision.stage,
          message: decision.message,
          attempts: attempt,
        });
        continue;
      }
      const key = dedupKey(decision.eventId, headers[REPLAY_HEADERS.replayId]);
      if (this.dedup.has(key, now) || plan.added.has(key)) {
        plan.duplicates++;
        this.log.debug({ eventId: decision.eventId, offset: m.offset }, 'duplicate dropped');
        continue;
      }
      let value: Buffer;
      try {
        value = encoder.encode(decision.domain, decision.value);
      } catch (err) {
        if (err instanceof TransformerError && err.dlqReason) {
          toDlq({
            reason: err.dlqReason,
            stage: 'encode',
            message: err.message,
            attempts: attempt,
          });
          continue;
        }
        throw this.noteFailure(m.offset, err, 'encode');
      }
      // Reuse the raw record's Buffers where they already hold the bytes (see record-builders.ts).
      const eventIdBytes =
        headers[RAW_EVENT_ID] === decision.eventId ? rawHeader(m.headers, RAW_EVENT_ID) : undefined;
      const outputTopic = names[decision.domain];
      const output = outputMessage({
        key: decision.key,
        value,
        eventId: eventIdBytes ?? decision.eventId,
        type: decision.type,
        occurredAt: decision.occurredAt,
        locationId: typeof decision.value.locationId === 'string' ? decision.value.locationId : '',
        // Traced, outputs name the record's span: a consumer continues the same trace.
        traceparent:
          span && tracing ? tracing.traceparentOf(span) : rawHeader(m.headers, RAW_TRACEPARENT),
      });
      const entry: Message = {
        key: key === decision.eventId ? (eventIdBytes ?? key) : key,
        value: expiryBytes,
        partition: this.partition,
      };
      // The broker would reject the record for its size in every transaction: dead-letter it now.
      const oversized = !limits.fits(outputTopic, output)
        ? { topic: outputTopic, record: output }
        : !limits.fits(names.dedup, entry)
          ? { topic: names.dedup, record: entry }
          : undefined;
      if (oversized) {
        toDlq({
          reason: dlqReasonOf('TRF_ERR_OUTPUT_TOO_LARGE'),
          stage: 'produce',
          message:
            `${oversized.topic} record of ${singleRecordBatchBytes(oversized.record)} bytes exceeds ` +
            `the topic's max.message.bytes (${limits.limitOf(oversized.topic)})`,
          attempts: attempt,
        });
        continue;
      }
      let bucket = plan.outputs.get(outputTopic);
      if (!bucket) plan.outputs.set(outputTopic, (bucket = []));
      bucket.push(output);
      const typeKey = `${outputTopic}\u0000${decision.type}`;
      plan.emittedByType.set(typeKey, (plan.emittedByType.get(typeKey) ?? 0) + 1);
      plan.added.set(key, expiry);
      plan.changelog.push(entry);
    }
    return plan;
  }

  /** Counts an unclassified failure against the record; transient ones do not count. */
  private noteFailure(offset: string, err: unknown, stage: DlqStage): unknown {
    if (err instanceof TransformerError && err.retriable) return err;
    const prior = this.attempts.get(offset);
    this.attempts.set(offset, {
      count: (prior?.count ?? 0) + 1,
      error: (err as Error)?.message ?? String(err),
      stage,
    });
    return err;
  }

  private record(plan: Plan, records: number, started: number): void {
    const m = this.deps.metrics;
    m.transactions.inc({ result: 'commit' });
    m.processed.inc({ partition: this.partition }, records);
    m.batchRecords.observe(records);
    m.batchSeconds.observe((Date.now() - started) / 1000);
    for (const [typeKey, n] of plan.emittedByType) {
      const [topic, type] = typeKey.split('\u0000') as [string, string];
      m.emitted.inc({ topic, type }, n);
    }
    for (const [reason, n] of plan.dlqByReason) m.dlq.inc({ reason }, n);
    if (plan.duplicates > 0) m.duplicates.inc(plan.duplicates);
    if (plan.skipped > 0)
      m.skipped.inc({ reason: dlqReasonOf('TRF_ERR_UNMAPPED_EVENT_TYPE') }, plan.skipped);
    m.dedupKeys.set({ partition: this.partition }, this.dedup.size);
    m.dedupBytes.set({ partition: this.partition }, this.dedup.storageBytes);
  }

  /** Observes each committed record's stages (metrics.recordStage); `phases` in ms since `started`. */
  private recordStages(
    messages: KafkaMessage[],
    started: number,
    phases: { began: number; sent: number; offsets: number; committed: number },
  ): void {
    const stage = this.deps.metrics.recordStage;
    const queueWait = stage.labels('queue_wait');
    const seconds = [
      [stage.labels('prepare'), phases.began],
      [stage.labels('send'), phases.sent - phases.began],
      [stage.labels('offsets'), phases.offsets - phases.sent],
      [stage.labels('commit'), phases.committed - phases.offsets],
    ] as const;
    for (const m of messages) {
      const fetched = this.fetchedAt.get(m);
      if (fetched !== undefined) queueWait.observe(Math.max(0, started - fetched) / 1000);
      for (const [child, ms] of seconds) child.observe(ms / 1000);
    }
  }

  /** Waits for an in-flight transaction, then disconnects the producer. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.wakeRoomWaiters();
    await this.inFlight?.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.deps.metrics.dedupKeys.remove({ partition: this.partition });
    this.deps.metrics.dedupBytes.remove({ partition: this.partition });
  }
}
