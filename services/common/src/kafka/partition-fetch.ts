// Bounded reads of partitions with plain Fetch requests: no consumer group, large fetches, and
// the record batch decoder of record-batch-decoder.ts, which walks batches without building an
// object per record.
//
// Why not kafkajs' consumer: in `npm run bench:trace` it read the event's 166k-record ghl.raw
// partition in 7.1 s, this path in 223-263 ms. A CPU profile put nearly all of the consumer's time
// in kafkajs' record decoder (it rebuilds the header object with a spread for every header of
// every record, and does offset/timestamp arithmetic with its Long class), and a bare kafkajs
// `broker.fetch` decoded as slowly with 1 MiB or 32 MiB fetches. So this module sends kafkajs'
// own Fetch request (same connection, authentication and version negotiation, through kafkajs'
// cluster) and decodes the response itself; the record batches of each partition are walked by
// record-batch-decoder.ts.
//
// kafkajs has no public API for any of this: the cluster comes from the Kafka object's private
// factory and the Fetch definition from kafkajs' protocol modules (the pinned 2.2.4; a missing
// piece throws rather than guesses). './kafkajs.js' is imported first so its patches are in place
// before any kafkajs module loads.
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, KafkaMessage } from 'kafkajs';
import './kafkajs.js';
import {
  acquireCluster,
  isRetriableKafkaError,
  READ_COMMITTED,
  type BuiltRequest,
  type KBroker,
} from './kafkajs-cluster.js';
import { walkBatches } from './record-batch-decoder.js';

const require = createRequire(import.meta.url);
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys') as { Fetch: number };
const { requests } = require('kafkajs/src/protocol/requests') as { requests: { Fetch: unknown } };
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error & { type?: string; retriable?: boolean };
};

/** One partition of a Fetch response, records undecoded. */
interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  aborted: { producerId: bigint; firstOffset: bigint }[];
  records: Buffer | null;
}

/** Decodes a Fetch response (v4-v11) payload, leaving each partition's records as bytes. */
function decodeFetchResponse(buf: Buffer, version: number) {
  let pos = 0;
  const i16 = () => ((pos += 2), buf.readInt16BE(pos - 2));
  const i32 = () => ((pos += 4), buf.readInt32BE(pos - 4));
  const i64 = () => ((pos += 8), buf.readBigInt64BE(pos - 8));
  const clientSideThrottleTime = version >= 1 ? i32() : 0;
  const errorCode = version >= 7 ? i16() : 0;
  if (version >= 7) i32(); // session id
  const responses: { topicName: string; partitions: FetchedPartition[] }[] = [];
  for (let t = i32(); t > 0; t--) {
    const nameLength = i16();
    const topicName = buf.toString('utf8', pos, pos + nameLength);
    pos += nameLength;
    const partitions: FetchedPartition[] = [];
    for (let n = i32(); n > 0; n--) {
      const partition = i32();
      const partitionError = i16();
      const highWatermark = i64();
      const lastStableOffset = version >= 4 ? i64() : highWatermark;
      if (version >= 5) i64(); // log start offset
      const aborted: FetchedPartition['aborted'] = [];
      for (let a = version >= 4 ? i32() : 0; a > 0; a--)
        aborted.push({ producerId: i64(), firstOffset: i64() });
      if (version >= 11) i32(); // preferred read replica
      const size = i32();
      const records = size < 0 ? null : buf.subarray(pos, pos + size);
      pos += Math.max(0, size);
      partitions.push({
        partition,
        errorCode: partitionError,
        highWatermark,
        lastStableOffset,
        aborted,
        records,
      });
    }
    responses.push({ topicName, partitions });
  }
  return { throttleTime: 0, clientSideThrottleTime, errorCode, responses };
}

/**
 * Per connection pool, the open of its fetch connection in progress. kafkajs' ConnectionPool opens
 * that connection lazily and unguarded: two Fetch requests sent at once to a broker whose fetch
 * connection is closed both open a socket, and the first is orphaned (never closed, so the CLI
 * never exited). kafkajs' consumer never fetches from one broker twice at once; this module does
 * (a request per partition), so the first open is shared.
 */
const openingFetchConnection = new WeakMap<object, Promise<unknown>>();

async function fetchConnectionReady(broker: KBroker, request: BuiltRequest): Promise<void> {
  const pool = broker.connectionPool;
  let opening = openingFetchConnection.get(pool);
  if (!opening) {
    opening = pool.getConnectionByRequest(request).finally(() => {
      openingFetchConnection.delete(pool);
    });
    openingFetchConnection.set(pool, opening);
  }
  await opening;
}

/** Sends kafkajs' Fetch request to `broker`, decoding the response with decodeFetchResponse. */
async function fetchRaw(
  broker: KBroker,
  args: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: {
      topic: string;
      partitions: { partition: number; fetchOffset: string; maxBytes: number }[];
    }[];
  },
): Promise<ReturnType<typeof decodeFetchResponse>> {
  const build = broker.lookupRequest(apiKeys.Fetch, requests.Fetch);
  const built = build({ replicaId: -1, rackId: '', ...args });
  const version = built.request.apiVersion;
  if (version < 4) throw new Error(`Fetch v${version}: the broker is too old for read_committed`);
  const request: BuiltRequest = {
    ...built,
    response: {
      decode: async (raw) => decodeFetchResponse(raw, version),
      parse: async (data) => data,
    },
  };
  try {
    await fetchConnectionReady(broker, request);
    return (await broker.connectionPool.send(request)) as ReturnType<typeof decodeFetchResponse>;
  } catch (err) {
    // What kafkajs' broker does for its own requests: a closed connection is reopened next time.
    if ((err as Error).name === 'KafkaJSConnectionClosedError') await broker.disconnect();
    throw err;
  }
}

/** Where a bounded read of one partition starts and (exclusive) ends. */
export interface FetchRange {
  partition: number;
  start: bigint;
  end: bigint;
}

export interface FetchRangesOptions {
  topic: string;
  ranges: readonly FetchRange[];
  /**
   * Hand out only records whose bytes (key, value or headers) contain these bytes; record
   * batches without them are skipped undecoded. A pre-filter: `onRecord` still decides.
   */
  needle?: Buffer;
  /** Called in offset order per partition (partitions are read concurrently); false stops all. */
  onRecord: (partition: number, message: KafkaMessage) => Promise<boolean> | boolean;
  signal?: AbortSignal;
  /** A partition that makes no progress for this long is given up as incomplete (default 5 s). */
  idleMs?: number;
  /** At most this many bytes per Fetch request (default 16 MiB; less for what is left of a range). */
  maxBytes?: number;
}

export interface FetchRangesResult {
  reason: 'end' | 'stopped' | 'aborted' | 'idle';
  incomplete: { partition: number; position: bigint; end: bigint }[];
  /** Records in the ranges (committed data records; aborted and control records excluded). */
  records: number;
  /** Record batch bytes fetched and walked. */
  bytes: number;
}

/**
 * Reads `ranges` of `topic` read_committed with Fetch requests of its partitions' leaders (every
 * partition concurrently), handing records to `onRecord` (all of them, or with `needle` only the
 * records containing it). Ends when every partition reached its end, `onRecord` returns false,
 * the signal aborts, or a partition makes no progress for `idleMs` (records behind an open
 * transaction: reported in `incomplete`). Leader changes and connection errors are retried;
 * anything else, or a throw of `onRecord`, rejects.
 */
export async function fetchRanges(
  kafka: Kafka,
  opts: FetchRangesOptions,
): Promise<FetchRangesResult> {
  const result: FetchRangesResult = { reason: 'end', incomplete: [], records: 0, bytes: 0 };
  const ranges = opts.ranges.filter((r) => r.start < r.end);
  if (ranges.length === 0) return result;
  if (opts.signal?.aborted) return { ...result, reason: 'aborted' };
  const idleMs = opts.idleMs ?? 5000;
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  let stopped: FetchRangesResult['reason'] | undefined;
  const stop = (reason: FetchRangesResult['reason']) => (stopped ??= reason);
  const onAbort = () => stop('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const { cluster, release } = await acquireCluster(kafka);
  const readPartition = async ({ partition, start, end }: FetchRange) => {
    let position = start;
    let lastProgress = Date.now();
    let failures = 0;
    // Fetches are sized to what is left of the range (a short range of a big partition must not
    // pull maxBytes of records past its end): a guess of 512 bytes per offset at first, then the
    // bytes per offset seen so far. The broker returns at least one whole batch whatever the size.
    let bytesPerOffset = 512;
    const sizeFor = (left: bigint) =>
      Math.min(maxBytes, Math.max(64 * 1024, Math.ceil(Number(left) * bytesPerOffset * 1.1)));
    while (stopped === undefined && position < end) {
      const fetchBytes = sizeFor(end - position);
      let fetched: FetchedPartition | undefined;
      try {
        const leaders = cluster.findLeaderForPartitions(opts.topic, [partition]);
        const nodeId = Object.keys(leaders)[0];
        if (nodeId === undefined) throw new Error(`${opts.topic} has no partition ${partition}`);
        const broker = await cluster.findBroker({ nodeId });
        const response = await fetchRaw(broker, {
          isolationLevel: READ_COMMITTED,
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: fetchBytes,
          topics: [
            {
              topic: opts.topic,
              partitions: [{ partition, fetchOffset: String(position), maxBytes: fetchBytes }],
            },
          ],
        });
        if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
        fetched = response.responses[0]?.partitions.find((p) => p.partition === partition);
        if (fetched && fetched.errorCode !== 0) throw createErrorFromCode(fetched.errorCode);
        failures = 0;
      } catch (err) {
        if ((err as { type?: string }).type === 'OFFSET_OUT_OF_RANGE') {
          // Retention deleted the records up to the log start: go on from there.
          const [earliest] = await cluster.fetchTopicsOffset([
            { topic: opts.topic, partitions: [{ partition }], fromBeginning: true },
          ]);
          const low = BigInt(earliest?.partitions[0]?.offset ?? '-1');
          if (low > position) {
            position = low;
            continue;
          }
          throw err;
        }
        if (!isRetriableKafkaError(err) || ++failures > 8) throw err;
        await sleep(Math.min(2000, 100 * 2 ** (failures - 1)));
        await cluster.refreshMetadata().catch(() => undefined);
        continue;
      }
      const before = position;
      if (fetched?.records && fetched.records.length > 0)
        position = await walkBatches(fetched, position, end, opts, result, stop, () => stopped);
      if (position > before) {
        lastProgress = Date.now();
        bytesPerOffset = Math.max(1, fetched!.records!.length / Number(position - before));
      } else if (Date.now() - lastProgress > idleMs) {
        result.incomplete.push({ partition, position, end });
        return;
      }
    }
  };

  try {
    await cluster.addTargetTopic(opts.topic);
    await Promise.all(ranges.map(readPartition));
    if (stopped === undefined && result.incomplete.length > 0) stop('idle');
    // An idle read reports every partition short of its end.
    if (stopped !== 'idle') result.incomplete = [];
    return { ...result, reason: stopped ?? 'end' };
  } catch (err) {
    stop('stopped');
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await release();
  }
}
