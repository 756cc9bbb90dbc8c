// A kafkajs Cluster of one Kafka object's configuration, for the requests this project sends
// itself (partition-fetch.ts: Fetch; kafkajs-group-metadata.ts: OffsetFetch v7). kafkajs has no
// public API for this: the cluster comes from the Kafka object's private factory (the pinned
// 2.2.4; a missing piece throws rather than guesses).
import type { Kafka } from 'kafkajs';

export const READ_COMMITTED = 1;

/**
 * Errors a request to the cluster may simply be sent again after: what kafkajs marks `retriable`
 * (a leader or coordinator moved or still loading …), and its connection, request-timeout and
 * metadata errors, which it does not mark.
 */
const RETRIABLE_CLIENT_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
]);
export function isRetriableKafkaError(err: unknown): boolean {
  const e = err as { retriable?: boolean; name?: string } | null | undefined;
  return e?.retriable === true || RETRIABLE_CLIENT_ERRORS.has(e?.name ?? '');
}

/** A request built by one of kafkajs' protocol definitions (or one of ours in the same shape). */
export interface BuiltRequest {
  request: { apiVersion: number };
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  requestTimeout?: number;
}

/** The parts of kafkajs' (private) Broker object used here. */
export interface KBroker {
  lookupRequest(apiKey: number, definition: unknown): (args: object) => BuiltRequest;
  connectionPool: {
    send(request: BuiltRequest): Promise<unknown>;
    getConnectionByRequest(request: BuiltRequest): Promise<unknown>;
  };
  /** Per API key, the versions the broker supports (ApiVersions). */
  versions?: Record<number, { minVersion: number; maxVersion: number }>;
  disconnect(): Promise<void>;
}

/** The parts of kafkajs' (private) Cluster object used here. */
export interface KCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<KBroker>;
  findGroupCoordinator(args: { groupId: string }): Promise<unknown>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

const PRIVATE_CREATE_CLUSTER = 'private:Kafka:createCluster';

/** A kafkajs cluster of `kafka`'s configuration (brokers, TLS, SASL, retry), not yet connected. */
function createCluster(kafka: Kafka): KCluster {
  const key = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === PRIVATE_CREATE_CLUSTER,
  );
  const factory = key && (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof factory !== 'function')
    throw new Error('kafkajs is not the pinned 2.2.4: no cluster factory on the Kafka object');
  return (factory as (o: object) => KCluster)({
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    maxInFlightRequests: null,
    isolationLevel: READ_COMMITTED,
  });
}

/**
 * Users of one Kafka object that overlap in time share a cluster (connections and metadata): a
 * trace reads a dozen topics at once. The last one to release it disconnects it.
 */
const shared = new WeakMap<Kafka, { cluster: KCluster; users: number; connected: Promise<void> }>();

/** The shared cluster of `kafka`, connected; call `release` once done with it. */
export async function acquireCluster(
  kafka: Kafka,
): Promise<{ cluster: KCluster; release(): Promise<void> }> {
  let entry = shared.get(kafka);
  if (!entry) {
    const cluster = createCluster(kafka);
    entry = { cluster, users: 0, connected: cluster.connect() };
    shared.set(kafka, entry);
  }
  const held = entry;
  held.users++;
  const release = async () => {
    if (--held.users > 0) return;
    if (shared.get(kafka) === held) shared.delete(kafka);
    await held.cluster.disconnect().catch(() => undefined);
  };
  try {
    await held.connected;
  } catch (err) {
    await release();
    throw err;
  }
  return { cluster: held.cluster, release };
}

/**
 * Runs `attempt` with the shared cluster of `kafka` until it resolves, retrying what a coordinator
 * move, a coordinator still loading, a lost connection or a request timeout throws
 * (`isRetriableKafkaError`) with a backoff doubling from
 * `backoffMs.initial` to `backoffMs.max`, until `timeoutMs`. An error with `fatal: true`, a
 * non-retriable one, or the last one after `timeoutMs` is thrown.
 */
export async function withClusterRetry<T>(
  kafka: Kafka,
  opts: { timeoutMs: number; backoffMs: { initial: number; max: number } },
  attempt: (cluster: KCluster) => Promise<T>,
): Promise<T> {
  const { cluster, release } = await acquireCluster(kafka);
  const deadline = Date.now() + opts.timeoutMs;
  let wait = opts.backoffMs.initial;
  try {
    for (;;) {
      try {
        return await attempt(cluster);
      } catch (err) {
        const retriable = (err as { fatal?: boolean }).fatal !== true && isRetriableKafkaError(err);
        if (!retriable || Date.now() + wait > deadline) throw err;
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, opts.backoffMs.max);
      }
    }
  } finally {
    await release();
  }
}
