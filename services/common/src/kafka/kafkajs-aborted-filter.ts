import type { NodeRequire } from './node-require.js';
import { AbortedTransactions } from './read-committed.js';

/**
 * A correct drop-in for kafkajs 2.2.4's read_committed filter
 * (kafkajs/src/consumer/filterAbortedMessages.js), which hands records of aborted transactions
 * to the application.
 *
 * How read_committed works (KIP-98, "Exactly Once Delivery and Transactional Messaging"): a
 * FetchResponse (v4+) carries, per partition, `aborted_transactions`: one `(producer_id,
 * first_offset)` per aborted transaction that overlaps the fetched range. The records of a
 * transaction sit in transactional record batches of its producer; the transaction ends with a
 * control batch (attribute bit 0x20) holding one control record whose key is
 * `version: int16, type: int16` with type 0 = ABORT, 1 = COMMIT (Kafka documentation, "Control
 * Batches"). The broker lists aborted transactions in the order their abort markers were
 * written (it reads them from the log's aborted-transaction index), not by first offset.
 *
 * The bug: kafkajs assumes that list is sorted by first offset and activates at most one aborted
 * transaction per message (`shift()` once, compared against the head only). When two producers'
 * aborted transactions interleave on a partition and the later-started one aborts first, the
 * head of the list is the one that started later; the earlier one is only activated after its
 * records have gone by, so they are delivered. Minimal case on one partition: P1 writes r1, r1b
 * in T1; P2 writes r2 in T2; T2 aborts, then T1 aborts; P3 commits r3. A Java read_committed
 * consumer returns r3; kafkajs returned r1, r1b and r3. It also treats any record whose key is
 * the four bytes 00 00 00 00 as an abort marker, control batch or not.
 *
 * The rule implemented here is the Java client's (CompletedFetch), in read-committed.ts, shared
 * with this project's own Fetch reader. Non-transactional batches and control records always pass (kafkajs' Batch removes
 * control records right after this function; they must reach it because the abort markers are
 * what end an aborted transaction).
 *
 * Shapes (kafkajs' own): messages are decoded records in log order, each with `offset` (Int64 as
 * a decimal string) and `batchContext`, one object shared by every record of a record batch, with
 * `firstOffset` (string), `lastOffsetDelta` (number), `producerId` (Int64 string, -1 without
 * one), `inTransaction` and `isControlBatch`. Aborted transactions are `{ producerId,
 * firstOffset }`, both Int64 strings. Offsets are compared exactly (numbers while they are safe
 * integers, BigInt beyond). Producer ids are compared as kafkajs' canonical decimal strings.
 *
 * Cost: nothing when the fetch has no aborted transactions (read_uncommitted, or none in range);
 * otherwise one sorted copy of the aborted list per call, per-batch work when the batch changes,
 * and the result array only if a record is actually dropped (else the input array is returned).
 *
 * kafkajs' Batch (src/consumer/batch.js) captures the function when it is first loaded, so this
 * must be installed before any kafkajs module loads: services/common/src/kafka/kafkajs.ts does it and
 * is the only place that loads kafkajs. The path below is part of the kafkajs 2.2.4 pin.
 */
export const ABORTED_FILTER_MODULE = 'kafkajs/src/consumer/filterAbortedMessages.js';

/** What kafkajs' record batch decoder puts in every record's `batchContext`. */
export interface FetchedBatchContext {
  firstOffset?: string;
  lastOffsetDelta?: number;
  producerId: string | number;
  inTransaction: boolean;
  isControlBatch?: boolean;
}

/** The fields of a kafkajs decoded record that the filter reads. */
export interface FetchedMessage {
  offset: string;
  key: Uint8Array | null;
  isControlRecord?: boolean;
  batchContext?: FetchedBatchContext;
}

/** One entry of a FetchResponse partition's `aborted_transactions`, as kafkajs decodes it. */
export interface AbortedTransaction {
  producerId: string | number;
  firstOffset: string | number;
}

export type FilterAbortedMessages = <M extends FetchedMessage>(input: {
  messages: M[];
  abortedTransactions?: readonly AbortedTransaction[] | null;
}) => M[];

type Offset = number | bigint;

/** An Int64 offset, exact: a number while it is a safe integer, else a BigInt (they compare with <=). */
function toOffset(value: string | number): Offset {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value);
}

/** The batch's last offset (first + lastOffsetDelta), or undefined if the context lacks either. */
function batchLastOffset(ctx: FetchedBatchContext): Offset | undefined {
  if (ctx.firstOffset === undefined || typeof ctx.lastOffsetDelta !== 'number') return undefined;
  const first = toOffset(ctx.firstOffset);
  if (typeof first === 'number' && Number.isSafeInteger(first + ctx.lastOffsetDelta)) {
    return first + ctx.lastOffsetDelta;
  }
  return BigInt(first) + BigInt(ctx.lastOffsetDelta);
}

/** A control record's key is version: int16, type: int16; type 0 is ABORT (1 is COMMIT). */
function isAbortMarkerKey(key: Uint8Array | null): boolean {
  return key !== null && key !== undefined && key.length >= 4 && key[2] === 0 && key[3] === 0;
}

const idOf = (producerId: string | number): string =>
  typeof producerId === 'string' ? producerId : String(producerId);

/**
 * Returns the records a read_committed consumer may see: `messages` without the records of
 * transactional batches that belong to an aborted transaction (Java client's rule, see above).
 * Control records are kept (kafkajs drops them next). Returns `messages` itself when nothing is
 * dropped; never mutates its input. Throws nothing for well-formed kafkajs input; a record
 * without `batchContext` (legacy message format, never transactional) is kept.
 */
export const filterAbortedMessages: FilterAbortedMessages = ({ messages, abortedTransactions }) => {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;

  const transactions = new AbortedTransactions(
    abortedTransactions.map((t) => ({
      producerId: idOf(t.producerId),
      firstOffset: toOffset(t.firstOffset),
    })),
  );

  let out: (typeof messages)[number][] | undefined;
  let currentCtx: FetchedBatchContext | undefined;
  let currentHasRange = false;
  let dropBatch = false;

  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const ctx = message.batchContext;
    let drop = false;
    if (ctx) {
      // Records of one batch share one context object: decide once per batch. A context without
      // the batch range (hand-built input) is decided per record from the record's own offset.
      if (ctx !== currentCtx || !currentHasRange) {
        currentCtx = ctx;
        const last = batchLastOffset(ctx);
        currentHasRange = last !== undefined;
        transactions.reach(last ?? toOffset(message.offset));
        const producerId = idOf(ctx.producerId);
        if (ctx.isControlBatch ?? message.isControlRecord === true) {
          if (isAbortMarkerKey(message.key)) transactions.abortMarker(producerId);
          dropBatch = false;
        } else {
          dropBatch = ctx.inTransaction && transactions.isAborted(producerId);
        }
      }
      drop = dropBatch;
    }
    if (drop) {
      out ??= messages.slice(0, i);
    } else if (out) {
      out.push(message);
    }
  }
  return out ?? messages;
};

// Marked so that a later install (another copy of this module) recognises it.
const patched = Object.assign(
  (input: Parameters<FilterAbortedMessages>[0]) => filterAbortedMessages(input),
  { abortedFilterFix: true as const },
);

/**
 * Replaces kafkajs' filterAbortedMessages module with {@link filterAbortedMessages} in the
 * require cache. Must run before any kafkajs module loads (Batch captures the function at load).
 * Returns true when the fix is active (installed now or before), false if the original module
 * was already loaded by someone else (then kafkajs may already hold the buggy function).
 */
export function installAbortedFilter(require: NodeRequire): boolean {
  const path = require.resolve(ABORTED_FILTER_MODULE);
  const loaded = require.cache[path];
  if (loaded) return (loaded.exports as { abortedFilterFix?: boolean }).abortedFilterFix === true;
  require(path); // creates the cache entry with the original; replaced right away
  const entry = require.cache[path];
  if (!entry) return false;
  entry.exports = patched;
  return true;
}
