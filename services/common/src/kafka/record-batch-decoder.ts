// The Kafka record batch decoder of partition-fetch.ts: the record batches (magic 2; format at
// https://kafka.apache.org/documentation/#recordbatch) of one fetched partition, decoded without
// building an object per record:
//
// - record batches (magic 2) are walked by their headers; records are decoded into the
//   KafkaMessage shape only when the caller wants them: every record, or with a `needle`, only
//   records whose bytes contain it (a native `indexOf` over the fetched buffer finds them, and
//   whole batches without it are skipped);
// - read_committed is applied per batch by the Java client's rule (KIP-98; read-committed.ts,
//   shared with kafkajs-aborted-filter.ts): the response's aborted transactions, sorted by first offset, are
//   activated when a batch reaches their first offset; an ABORT control batch ends its producer's
//   aborted transaction; a transactional data batch of an aborted producer is dropped. Control
//   batches are never handed out;
// - gzip batches are inflated; other codecs are refused, as kafkajs does without a codec.
import { gunzipSync } from 'node:zlib';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { AbortedTransactions } from './read-committed.js';

// The walker's inputs are declared here, as the part of partition-fetch.ts' types it uses (its
// FetchedPartition, FetchRangesOptions and FetchRangesResult fit them), so that this module does
// not import partition-fetch.ts back: no import cycle, type-only imports included.

/** What walkBatches reads of one partition of a Fetch response. */
export interface FetchedBatches {
  partition: number;
  /** The partition's aborted transactions, as the response lists them. */
  aborted: { producerId: bigint; firstOffset: bigint }[];
  /** The partition's record batches, undecoded (the last one possibly partial). */
  records: Buffer | null;
}

/** What walkBatches takes of the read's options (see FetchRangesOptions in partition-fetch.ts). */
export interface BatchWalkOptions {
  /** Hand out only records whose bytes contain these bytes. */
  needle?: Buffer;
  /** Called per handed-out record in offset order; false stops the read. */
  onRecord: (partition: number, message: KafkaMessage) => Promise<boolean> | boolean;
}

/** The counters of the read's result that walkBatches adds to. */
export interface BatchWalkCounts {
  /** Records in the ranges (committed data records; aborted and control records excluded). */
  records: number;
  /** Record batch bytes fetched and walked. */
  bytes: number;
}

// Record batch (magic 2) layout: offsets of the fields from the batch's start.
const BATCH_LENGTH = 8;
const MAGIC = 16;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const RECORD_COUNT = 57;
const RECORDS = 61;
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_LOG_APPEND = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/**
 * Walks the record batches of one fetched partition from `position`, counting and handing out
 * records below `end`; returns the next position (past the last complete batch seen).
 * `fetched.records` must be set. `stop('stopped')` is called when `onRecord` returns false;
 * `stoppedNow` reports a stop from elsewhere (another partition, the abort signal).
 */
export async function walkBatches(
  fetched: FetchedBatches,
  from: bigint,
  end: bigint,
  opts: BatchWalkOptions,
  result: BatchWalkCounts,
  stop: (reason: 'stopped') => void,
  stoppedNow: () => unknown,
): Promise<bigint> {
  const buf = fetched.records!;
  const { partition } = fetched;
  let position = from;
  const transactions = new AbortedTransactions(fetched.aborted);
  let at = 0;
  // The next place the needle occurs in `buf` (-1: nowhere further).
  let hit = opts.needle ? buf.indexOf(opts.needle) : 0;
  while (at + RECORDS <= buf.length && !stoppedNow()) {
    const size = 12 + buf.readInt32BE(at + BATCH_LENGTH);
    if (at + size > buf.length) break; // partial batch at the end of the response
    const batchStart = at;
    at += size;
    const base = buf.readBigInt64BE(batchStart);
    const last = base + BigInt(buf.readInt32BE(batchStart + LAST_OFFSET_DELTA));
    if (buf.readInt8(batchStart + MAGIC) !== 2)
      throw new Error(`${partition}@${base}: message format v0/v1 is not supported`);
    const attributes = buf.readInt16BE(batchStart + ATTRIBUTES);
    const producerId = buf.readBigInt64BE(batchStart + PRODUCER_ID);
    transactions.reach(last);
    if (last < position) continue; // before the fetch offset (the batch holding it starts earlier)
    if (base >= end) {
      position = end;
      break;
    }
    result.bytes += size;
    const nextPosition = last + 1n;
    if (attributes & CONTROL) {
      // Control record key: version int16, type int16 (0 = ABORT, 1 = COMMIT).
      const records = batchRecords(buf, batchStart, size, attributes);
      const first = records.length > 0 ? readRecord(records, 0) : undefined;
      if (first?.key && first.key.length >= 4 && first.key.readInt16BE(2) === 0)
        transactions.abortMarker(producerId);
      position = nextPosition;
      continue;
    }
    if (attributes & TRANSACTIONAL && transactions.isAborted(producerId)) {
      position = nextPosition;
      continue;
    }
    const whole = base >= position && last < end;
    const compressed = (attributes & COMPRESSION_MASK) !== 0;
    if (opts.needle && !compressed) {
      while (hit !== -1 && hit < batchStart + RECORDS) hit = buf.indexOf(opts.needle, hit + 1);
      if (whole && (hit === -1 || hit >= at)) {
        // Nothing of the needle in this batch: count it without decoding.
        result.records += buf.readInt32BE(batchStart + RECORD_COUNT);
        position = nextPosition;
        continue;
      }
    }
    const records = batchRecords(buf, batchStart, size, attributes);
    const recordsAt = compressed ? 0 : batchStart + RECORDS;
    const baseTimestamp = Number(buf.readBigInt64BE(batchStart + BASE_TIMESTAMP));
    const logAppendTime =
      attributes & TIMESTAMP_LOG_APPEND
        ? String(buf.readBigInt64BE(batchStart + MAX_TIMESTAMP))
        : undefined;
    let p = compressed ? 0 : recordsAt;
    const stopAt = compressed ? records.length : at;
    const source = compressed ? records : buf;
    while (p < stopAt) {
      const r = readRecordBounds(source, p);
      const offset = base + BigInt(r.offsetDelta);
      const recordEnd = r.bodyStart + r.length;
      if (offset >= position && offset < end) {
        result.records++;
        let wanted = true;
        if (opts.needle) {
          if (compressed) wanted = source.subarray(p, recordEnd).includes(opts.needle);
          else {
            while (hit !== -1 && hit < p) hit = buf.indexOf(opts.needle, hit + 1);
            wanted = hit !== -1 && hit + opts.needle.length <= recordEnd;
          }
        }
        if (wanted) {
          const message = decodeRecord(source, p, offset, baseTimestamp, logAppendTime);
          if ((await opts.onRecord(partition, message)) === false) {
            stop('stopped');
            return offset + 1n;
          }
          if (stoppedNow()) return offset + 1n;
        }
      }
      p = recordEnd;
    }
    position = nextPosition > end ? end : nextPosition;
  }
  return position;
}

/** The records section of a batch, inflated when compressed. */
function batchRecords(buf: Buffer, batchStart: number, size: number, attributes: number): Buffer {
  const raw = buf.subarray(batchStart + RECORDS, batchStart + size);
  const codec = attributes & COMPRESSION_MASK;
  if (codec === 0) return raw;
  if (codec === 1) return gunzipSync(raw);
  throw new Error(`record batch compression codec ${codec} is not supported (only gzip)`);
}

// Varints are read at `cursor`, which each read advances (no tuple per read: this runs several
// times per record).
let cursor = 0;

/** The zigzag varint at `cursor` of `buf`. Values beyond 2^53 lose precision. */
function varint(buf: Buffer): number {
  let b = buf[cursor++]!;
  let value = b & 0x7f;
  let scale = 128;
  while (b & 0x80) {
    b = buf[cursor++]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
  }
  // Zigzag: even -> n / 2, odd -> -(n + 1) / 2.
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** A record's length and offset delta: enough to skip it or place it. */
function readRecordBounds(buf: Buffer, pos: number) {
  cursor = pos;
  const length = varint(buf);
  const bodyStart = cursor;
  cursor++; // attributes
  varint(buf); // timestamp delta
  const offsetDelta = varint(buf);
  return { length, bodyStart, offsetDelta };
}

function readRecord(buf: Buffer, pos: number) {
  return decodeRecord(buf, pos, 0n, 0, undefined);
}

// Records of a topic carry the same header names in the same order: the name read at each
// position is kept, and reused while the bytes match (a string per header of every record was
// the decoder's largest cost).
const names: { bytes: Buffer; name: string }[] = [];

function headerName(buf: Buffer, at: number, length: number, index: number): string {
  const known = names[index];
  if (known !== undefined && known.bytes.length === length) {
    const bytes = known.bytes;
    let k = 0;
    while (k < length && bytes[k] === buf[at + k]) k++;
    if (k === length) return known.name;
  }
  const name = buf.toString('utf8', at, at + length);
  if (index < 32 && length <= 64)
    names[index] = { bytes: Buffer.from(buf.subarray(at, at + length)), name };
  return name;
}

/** Decodes one record into kafkajs' KafkaMessage shape (headers as kafkajs builds them). */
function decodeRecord(
  buf: Buffer,
  pos: number,
  offset: bigint,
  baseTimestamp: number,
  logAppendTime: string | undefined,
): KafkaMessage {
  cursor = pos;
  varint(buf); // length
  const attributes = buf[cursor++]!;
  const timestampDelta = varint(buf);
  varint(buf); // offset delta
  let n = varint(buf);
  const key = n < 0 ? null : buf.subarray(cursor, (cursor += n));
  n = varint(buf);
  const value = n < 0 ? null : buf.subarray(cursor, (cursor += n));
  const headers: IHeaders = {};
  let i = 0;
  for (let count = varint(buf); count > 0; count--) {
    n = varint(buf);
    const name = headerName(buf, cursor, n, i++);
    cursor += n;
    n = varint(buf);
    const v = n < 0 ? (null as unknown as Buffer) : buf.subarray(cursor, (cursor += n));
    const prev = headers[name];
    headers[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return {
    key,
    value,
    headers,
    attributes,
    offset: offset.toString(),
    timestamp: logAppendTime ?? String(baseTimestamp + timestampDelta),
  };
}
