// The coordinator cache's rules, on a scripted cluster: one lookup per (type, group), answered
// from the cache afterwards; dropped when a request to the coordinator fails with a stale-
// coordinator error (kafkajs' retry then looks it up again), kept while it is only loading.
import { describe, expect, it } from 'vitest';
import { coordinatorCacheActive } from '../../../services/common/src/kafka/kafkajs.js';
import {
  cachedFindCoordinator,
  isStaleCoordinatorError,
} from '../../../services/common/src/kafka/kafkajs-coordinator-cache.js';

const TRANSACTION = 1;

function scripted() {
  const lookups: string[] = [];
  let coordinatorNode = 1;
  const failures: Error[] = [];
  const broker = (nodeId: number) => ({
    nodeId,
    endTxn: async () => {
      const err = failures.shift();
      if (err) throw err;
      return `endTxn on ${nodeId}`;
    },
  });
  const cluster = {
    findBroker: async ({ nodeId }: { nodeId: number }) => broker(nodeId),
  };
  const find = cachedFindCoordinator(async function (args) {
    lookups.push(`${args.coordinatorType ?? 0}:${args.groupId}`);
    return broker(coordinatorNode);
  });
  return {
    lookups,
    failures,
    moveTo: (node: number) => (coordinatorNode = node),
    find: (groupId: string, coordinatorType?: number) =>
      find.call(cluster, { groupId, coordinatorType }) as Promise<ReturnType<typeof broker>>,
  };
}

const protocolError = (type: string) => Object.assign(new Error(type), { type });

describe('coordinator cache', () => {
  it('is installed on kafkajs', () => {
    expect(coordinatorCacheActive).toBe(true);
  });

  it('looks a coordinator up once per type and id', async () => {
    const c = scripted();
    for (let i = 0; i < 3; i++) {
      await c.find('tx-1', TRANSACTION);
      await c.find('group-a');
    }
    await c.find('tx-2', TRANSACTION);
    expect(c.lookups).toEqual(['1:tx-1', '0:group-a', '1:tx-2']);
  });

  it('looks it up again after NOT_COORDINATOR, and finds where it moved', async () => {
    const c = scripted();
    const first = await c.find('tx-1', TRANSACTION);
    c.moveTo(3);
    c.failures.push(protocolError('NOT_COORDINATOR_FOR_GROUP'));
    await expect(first.endTxn()).rejects.toThrow('NOT_COORDINATOR_FOR_GROUP');
    const second = await c.find('tx-1', TRANSACTION);
    expect(second.nodeId).toBe(3);
    expect(await second.endTxn()).toBe('endTxn on 3');
    expect(c.lookups).toEqual(['1:tx-1', '1:tx-1']);
  });

  it('keeps it while the coordinator is loading, drops it on a connection error', async () => {
    const c = scripted();
    const b = await c.find('g');
    c.failures.push(protocolError('GROUP_LOAD_IN_PROGRESS'));
    await expect(b.endTxn()).rejects.toThrow();
    await c.find('g');
    expect(c.lookups).toHaveLength(1);
    const refused = new Error('refused');
    refused.name = 'KafkaJSConnectionError';
    c.failures.push(refused);
    await expect(b.endTxn()).rejects.toThrow('refused');
    await c.find('g');
    expect(c.lookups).toHaveLength(2);
  });

  it('classifies errors as kafkajs names them', () => {
    expect(isStaleCoordinatorError(protocolError('GROUP_COORDINATOR_NOT_AVAILABLE'))).toBe(true);
    expect(isStaleCoordinatorError({ name: 'KafkaJSRequestTimeoutError' })).toBe(true);
    expect(isStaleCoordinatorError({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isStaleCoordinatorError(protocolError('CONCURRENT_TRANSACTIONS'))).toBe(false);
    expect(isStaleCoordinatorError(undefined)).toBe(false);
  });
});
