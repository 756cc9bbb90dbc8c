import type { NodeRequire } from './node-require.js';

/**
 * Caches the group and transaction coordinators kafkajs 2.2.4 looks up.
 *
 * kafkajs' Cluster.findGroupCoordinator (src/cluster/index.js) sends a FindCoordinator request
 * every time it is called, and its transactional producer calls it for every step of every
 * transaction (src/producer/eosManager: AddPartitionsToTxn for each produce request,
 * AddOffsetsToTxn, TxnOffsetCommit to the group coordinator, EndTxn): three to five extra broker
 * round trips per transaction, on the exactly-once loop's critical path. The Java client keeps its
 * coordinators until a request fails with a coordinator error (KIP-98 TransactionManager:
 * `lookupCoordinator` only on NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE or a disconnect).
 *
 * This does the same per Cluster instance (one per producer, consumer or admin): a lookup's node
 * id is kept per (coordinator type, group or transactional id); later calls return that broker
 * without a request. The broker comes back wrapped, so that any of its requests failing with
 * NOT_COORDINATOR_FOR_GROUP, GROUP_COORDINATOR_NOT_AVAILABLE, a connection error, a request
 * timeout or an unknown broker drops the entry: kafkajs' own retry after such an error calls
 * findGroupCoordinator again, which then asks the cluster (what it did every time before).
 * GROUP_LOAD_IN_PROGRESS keeps the entry: the coordinator is right, only still loading.
 *
 * Installed by services/common/src/kafka/kafkajs.ts on Cluster.prototype (the class is shared, so the
 * order of loading does not matter). `findGroupCoordinator.uncached` is kafkajs' original.
 */
export const CLUSTER_MODULE = 'kafkajs/src/cluster/index.js';

/** Protocol error types (kafkajs' names) after which a cached coordinator is stale. */
const STALE_TYPES = new Set(['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE']);
/** kafkajs error names after which the cached broker may be gone or no longer the coordinator. */
const STALE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);

/** True when `err` says the coordinator must be looked up again. */
export function isStaleCoordinatorError(err: unknown): boolean {
  const e = err as { type?: string; name?: string; code?: string } | null;
  if (!e || typeof e !== 'object') return false;
  return (
    STALE_TYPES.has(e.type ?? '') || STALE_NAMES.has(e.name ?? '') || e.code === 'ECONNREFUSED'
  );
}

interface CoordinatorBroker {
  nodeId: number;
}
interface LookupArgs {
  groupId: string;
  coordinatorType?: number;
}
type FindCoordinator = (this: ClusterLike, args: LookupArgs) => Promise<CoordinatorBroker>;
interface ClusterLike {
  findBroker(args: { nodeId: number }): Promise<CoordinatorBroker>;
  [CACHE]?: Map<string, number>;
}

const CACHE = Symbol('coordinatorCache');

/**
 * `broker` as seen by the caller: every method call that fails (synchronously or with a rejected
 * promise) with a stale-coordinator error runs `drop` first; everything else passes through.
 */
function dropOnStaleError<B extends object>(broker: B, drop: () => void): B {
  return new Proxy(broker, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const onError = (err: unknown): never => {
          if (isStaleCoordinatorError(err)) drop();
          throw err;
        };
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (err) {
          return onError(err);
        }
        return result instanceof Promise ? result.catch(onError) : result;
      };
    },
  });
}

/** findGroupCoordinator with the cache above around `uncached` (kafkajs' lookup). */
export function cachedFindCoordinator(
  uncached: FindCoordinator,
): FindCoordinator & { uncached: FindCoordinator } {
  async function findGroupCoordinator(
    this: ClusterLike,
    args: LookupArgs,
  ): Promise<CoordinatorBroker> {
    const cache = (this[CACHE] ??= new Map<string, number>());
    const key = `${args.coordinatorType ?? 0}\u0000${args.groupId}`;
    const drop = () => cache.delete(key);
    const nodeId = cache.get(key);
    if (nodeId !== undefined) {
      try {
        return dropOnStaleError(await this.findBroker({ nodeId }), drop);
      } catch {
        drop(); // the broker is gone from the metadata or unreachable: look it up again
      }
    }
    const broker = await uncached.call(this, args);
    cache.set(key, broker.nodeId);
    return dropOnStaleError(broker, drop);
  }
  return Object.assign(findGroupCoordinator, { uncached });
}

/**
 * Puts the cache on kafkajs' Cluster.prototype.findGroupCoordinator. Returns true when it is
 * active (installed now or before). Throws when the pinned module does not have the method.
 */
export function installCoordinatorCache(require: NodeRequire): boolean {
  const Cluster = require(CLUSTER_MODULE) as { prototype: Record<string, unknown> };
  const current = Cluster.prototype.findGroupCoordinator as
    (FindCoordinator & { uncached?: FindCoordinator }) | undefined;
  if (typeof current !== 'function')
    throw new Error(`${CLUSTER_MODULE} has no findGroupCoordinator: not the pinned kafkajs 2.2.4`);
  if (current.uncached) return true;
  Cluster.prototype.findGroupCoordinator = cachedFindCoordinator(current);
  return true;
}
