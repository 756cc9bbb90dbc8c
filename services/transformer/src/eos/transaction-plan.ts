// The pure half of a transaction: what one chunk of ghl.raw records becomes (docs/exactly-once.md,
// "Decide"). Nothing here talks to Kafka or changes state: the caller sends the plan in one
// transaction and applies its dedup changes only after the commit.
import type { Span } from '@opentelemetry/api';
import type { FetchedRecord, OutboundRecord } from '../../../common/src/kafka/records.js';
import { dlqReasonOf, TransformerError } from '../../../common/src/errors.js';
import type { Logger } from '../../../common/src/logger.js';
import { REPLAY_HEADERS } from '../../../common/src/record-headers.js';
import type { Domain, TopicNames } from '../../../common/src/topics.js';
import { dedupKey, encodeExpiry } from './dedup-store.js';
import { truncateDlqMessage } from './dlq-truncation.js';
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
import { singleRecordBatchBytes } from './send-chunks.js';
import type { TopicLimits } from './topic-limits.js';
import type {
  Decision,
  DlqStage,
  RawRecord,
  TransformContext,
} from '../mapping/transform-types.js';

/** The last-resort DLQ record (after the DLQ rejected the whole one) stays this small. */
const LAST_RESORT_DLQ_BYTES = 16 * 1024;

export interface Encoder {
  /** Confluent wire format for `value` under the domain topic's registered schema; synchronous. */
  encode(domain: Domain, value: Record<string, unknown>): Buffer;
}

/** The failed attempts of one record so far: how many, the last error, and where it failed. */
export interface RecordAttempts {
  count: number;
  error: string;
  stage: DlqStage;
}

/** What the planner reads of the committed dedup state (dedup-store.ts). */
export interface DedupView {
  has(key: string, now: number): boolean;
  expired(now: number, limit: number): string[];
}

export interface PlannerDeps {
  names: TopicNames;
  encoder: Encoder;
  context: TransformContext;
  transform: (raw: RawRecord, ctx: TransformContext) => Decision;
  limits: Pick<TopicLimits, 'limitOf' | 'fits' | 'current'>;
  settings: {
    dedupWindowMs: number;
    /** Tombstones for expired dedup keys written per transaction at most. */
    expirySweepLimit: number;
    /** Attempts for a record whose processing throws something unclassified, before retries_exhausted. */
    maxRecordAttempts: number;
  };
  /** A span per record (record-tracing.ts); absent when tracing is off. */
  tracing?: Pick<RecordTracing, 'start' | 'traceparentOf'> | undefined;
  /** Where a dropped duplicate is logged (debug). */
  log: Pick<Logger, 'debug'>;
}

/** One chunk of records of one ghl.raw partition, in offset order, decided at `now` (epoch ms). */
export interface PlanInput {
  topic: string;
  partition: number;
  messages: readonly FetchedRecord[];
  now: number;
  /**
   * Whether the topic limits were read again since the record at `offset` was found over one by
   * a reading too old to judge it (TRF_ERR_TOPIC_LIMITS_STALE): it is judged by them, however old.
   */
  limitsReadSince?: (offset: string) => boolean;
}

export interface Plan {
  /** Output records per output topic, in offset order. */
  outputs: Map<string, OutboundRecord[]>;
  dlq: OutboundRecord[];
  /** Tombstones for the expired keys first, then the new keys' entries. */
  changelog: OutboundRecord[];
  /** New dedup keys and their expiry: added to the dedup state once the transaction commits. */
  added: Map<string, number>;
  /** Expired dedup keys: removed from the dedup state once the transaction commits. */
  expired: string[];
  /** Counts for the metrics: outputs per `<topic>\u0000<type>`, DLQ records per reason. */
  emittedByType: Map<string, number>;
  dlqByReason: Map<string, number>;
  skipped: number;
  duplicates: number;
  /** The records' spans (tracing on), ended with the transaction. */
  spans: Span[];
}

/**
 * A record whose processing threw something that is not a DLQ decision: the transaction must not
 * go ahead. `error` is what was thrown; the caller counts an attempt against the record at
 * `offset` (unless `cause` is transient) and retries.
 */
export class RecordFailure extends Error {
  constructor(
    readonly offset: string,
    readonly stage: DlqStage,
    readonly error: unknown,
  ) {
    super(`record ${offset} failed at ${stage}`, { cause: error });
    this.name = 'RecordFailure';
  }
}

/**
 * The record at `offset` is over `topic`'s max.message.bytes (`limit`) as last read, and that
 * reading is too old to dead-letter or truncate it by (TopicLimits.current): retry it once the
 * limits are read again (the caller reads them), without counting an attempt.
 */
function staleLimits(offset: string, topic: string, limit: number): RecordFailure {
  return new RecordFailure(
    offset,
    'produce',
    new TransformerError(
      'TRF_ERR_TOPIC_LIMITS_STALE',
      `record over ${topic}'s max.message.bytes (${limit}) as last read; reading the limits again`,
    ),
  );
}

/**
 * Decides every record of the chunk: output, DLQ, duplicate or skip. Reads the committed dedup
 * state and the records' failed attempts, changes neither. Throws RecordFailure only to retry.
 */
export function planTransaction(
  deps: PlannerDeps,
  dedup: DedupView,
  attempts: ReadonlyMap<string, RecordAttempts>,
  { topic, partition, messages, now, limitsReadSince }: PlanInput,
): Plan {
  const { names, settings, context, transform, encoder, limits, tracing } = deps;
  const plan: Plan = {
    outputs: new Map(),
    dlq: [],
    changelog: [],
    added: new Map(),
    expired: dedup.expired(now, settings.expirySweepLimit),
    emittedByType: new Map(),
    dlqByReason: new Map(),
    skipped: 0,
    duplicates: 0,
    spans: [],
  };
  // Tombstones go first: if an expired key comes back in this very batch, its new entry must
  // be the later record of the two, or compaction would keep the tombstone.
  for (const key of plan.expired) plan.changelog.push({ key, value: null, partition });
  const expiry = now + settings.dedupWindowMs;
  // Whether the topic limits may dead-letter or truncate the record at `offset` (TopicLimits).
  const judgeable = (offset: string) => limits.current(now) || limitsReadSince?.(offset) === true;
  const expiryBytes = encodeExpiry(expiry);

  for (const m of messages) {
    const span = tracing?.start(partition, m);
    if (span) plan.spans.push(span);
    const headers = headerStrings(m.headers);
    const source = {
      topic,
      partition,
      offset: m.offset,
      key: m.key,
      value: m.value,
      headers: m.headers,
    };
    const toDlq = (failure: DlqFailure, lastResort = false) => {
      let dlq = dlqMessage(source, failure, now);
      const limit = limits.limitOf(names.dlq);
      if (lastResort) dlq = truncateDlqMessage(dlq, Math.min(limit, LAST_RESORT_DLQ_BYTES));
      else if (singleRecordBatchBytes(dlq) > limit) {
        if (!judgeable(m.offset)) throw staleLimits(m.offset, names.dlq, limit);
        dlq = truncateDlqMessage(dlq, limit);
      }
      plan.dlq.push(dlq);
      span?.setAttribute(DLQ_REASON_ATTRIBUTE, failure.reason);
      plan.dlqByReason.set(failure.reason, (plan.dlqByReason.get(failure.reason) ?? 0) + 1);
    };
    const prior = attempts.get(m.offset);
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
          partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          headers,
          timestamp: m.timestamp,
        },
        context,
      );
    } catch (err) {
      throw new RecordFailure(m.offset, 'map', err);
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
    if (dedup.has(key, now) || plan.added.has(key)) {
      plan.duplicates++;
      deps.log.debug({ eventId: decision.eventId, offset: m.offset }, 'duplicate dropped');
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
      throw new RecordFailure(m.offset, 'encode', err);
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
    const entry: OutboundRecord = {
      key: key === decision.eventId ? (eventIdBytes ?? key) : key,
      value: expiryBytes,
      partition,
    };
    // The broker would reject the record for its size in every transaction: dead-letter it now.
    const oversized = !limits.fits(outputTopic, output)
      ? { topic: outputTopic, record: output }
      : !limits.fits(names.dedup, entry)
        ? { topic: names.dedup, record: entry }
        : undefined;
    if (oversized) {
      if (!judgeable(m.offset))
        throw staleLimits(m.offset, oversized.topic, limits.limitOf(oversized.topic));
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

/** The plan as sendBatch topic messages: outputs per topic, then the DLQ, then the changelog. */
export function topicMessagesOf(
  plan: Plan,
  names: Pick<TopicNames, 'dlq' | 'dedup'>,
): { topic: string; messages: OutboundRecord[] }[] {
  const topicMessages = [...plan.outputs].map(([t, msgs]) => ({ topic: t, messages: msgs }));
  if (plan.dlq.length > 0) topicMessages.push({ topic: names.dlq, messages: plan.dlq });
  if (plan.changelog.length > 0)
    topicMessages.push({ topic: names.dedup, messages: plan.changelog });
  return topicMessages;
}
