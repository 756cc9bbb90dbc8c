import { SpanKind, type Span } from '@opentelemetry/api';
import type { FetchedRecord } from '../../../common/src/kafka/records.js';
import { headerOf, RAW_HEADERS } from '../../../common/src/record-headers.js';
import {
  failSpan,
  MESSAGING,
  MESSAGING_SYSTEM_KAFKA,
  traceparentOf,
  type Tracing,
} from '../../../common/src/tracing.js';

/** Not in RAW_HEADERS: the ingress stores traceparent only, other writers may add this. */
const TRACESTATE = 'tracestate';

/** Attribute naming the DLQ reason of a record's span (a record that went to ghl.dlq). */
export const DLQ_REASON_ATTRIBUTE = 'neuronx.dlq.reason';

/**
 * The transformer's span per ghl.raw record (README, Configuration: Tracing): a CONSUMER span named
 * `process <ghl.raw topic>`, child of the span the record's `traceparent` header names (the
 * ingress's producer span), or the root of a new trace when the record has none. Its context is
 * the output record's `traceparent`, so a downstream consumer continues the same trace. It ends
 * when the record's transaction commits, or with ERROR when the transaction fails (the retry
 * gets a new span). Only built when tracing is on: the partition worker skips all of this when
 * it has none.
 */
export class RecordTracing {
  private readonly name: string;

  constructor(
    private readonly tracing: Tracing,
    private readonly topic: string,
    private readonly groupId: string,
  ) {
    this.name = `process ${topic}`;
  }

  /** Starts the span of one record of `partition`. */
  start(partition: number, m: FetchedRecord): Span {
    const parent = this.tracing.parentFrom(
      headerOf(m.headers, RAW_HEADERS.traceparent),
      headerOf(m.headers, TRACESTATE),
    );
    const eventId = headerOf(m.headers, RAW_HEADERS.eventId);
    return this.tracing.tracer.startSpan(
      this.name,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [MESSAGING.system]: MESSAGING_SYSTEM_KAFKA,
          [MESSAGING.destinationName]: this.topic,
          [MESSAGING.partitionId]: String(partition),
          [MESSAGING.operationType]: 'process',
          [MESSAGING.operationName]: 'process',
          [MESSAGING.operation]: 'process',
          [MESSAGING.consumerGroup]: this.groupId,
          [MESSAGING.kafkaOffset]: Number(m.offset),
          ...(eventId === undefined ? {} : { [MESSAGING.messageId]: eventId }),
        },
      },
      parent,
    );
  }

  /** The `traceparent` header value an output of the record carries. */
  traceparentOf(span: Span): string {
    return traceparentOf(span);
  }

  /** Ends the record spans of a committed transaction. */
  end(spans: readonly Span[]): void {
    for (const span of spans) span.end();
  }

  /** Ends the record spans of a transaction that failed with `err`, marked failed. */
  fail(spans: readonly Span[], err: unknown): void {
    for (const span of spans) {
      failSpan(span, err);
      span.end();
    }
  }
}
