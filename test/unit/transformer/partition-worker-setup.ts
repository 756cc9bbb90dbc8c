// Shared pieces of the partition-worker test files: a worker on partition P over a fake cluster
// (test/helpers/fake-kafka.ts), batches as kafkajs fetches them, and waits for the group's
// committed offset or for the failure a worker reports.
import type { KafkaMessage } from 'kafkajs';
import { expect, vi } from 'vitest';
import { PartitionWorker } from '../../../services/transformer/src/eos/partition-worker.js';
import type { FetchedBatch } from '../../../services/transformer/src/eos/record-queue.js';
import type { WorkerSettings } from '../../../services/transformer/src/eos/worker-deps.js';
import { FakeCluster } from '../../helpers/fake-kafka.js';
import { fakeWorkerDeps } from '../../helpers/fake-worker-deps.js';

export const P = 2;

export function setup(
  settings: Partial<WorkerSettings> = {},
  cluster = new FakeCluster(),
  limits?: Parameters<typeof fakeWorkerDeps>[2],
) {
  const deps = fakeWorkerDeps(cluster, settings, limits);
  const failures: unknown[] = [];
  const onFailure = (err: unknown) => void failures.push(err);
  const worker = new PartitionWorker(P, deps);
  return { cluster, deps, worker, failures, onFailure };
}

export const batch = (messages: KafkaMessage[], fetched = messages[0]!.offset): FetchedBatch => ({
  fetchedOffset: BigInt(fetched),
  firstOffset: messages[0]?.offset ?? null,
  lastOffset: messages[messages.length - 1]?.offset ?? fetched,
  messages,
});

/** Waits until the group's committed offset for the partition is `next`. */
export const committedAt = (cluster: FakeCluster, next: number) =>
  vi.waitFor(() => expect(cluster.offsets.get(P)).toBe(BigInt(next)), { timeout: 2000 });

export const failureOf = async (failures: unknown[]) => {
  await vi.waitFor(() => expect(failures).toHaveLength(1), { timeout: 2000 });
  return failures[0];
};
