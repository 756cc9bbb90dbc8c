// What the cluster fault scenarios and the scale bench ask a replicated local cluster: who leads
// which partition, which broker coordinates a group or a transactional id, and whether every ISR
// is full again after a node came back (the step a rolling restart waits for before the next).
import type { Admin } from 'kafkajs';
import { waitUntil } from './wait-until.js';

export interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Leader, replicas and ISR of every partition of `topics`, from the cluster metadata. */
export async function partitionStates(admin: Admin, topics: string[]): Promise<PartitionState[]> {
  const { topics: meta } = await admin.fetchTopicMetadata({ topics });
  return meta.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionId,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
    })),
  );
}

/** Java's String.hashCode: Kafka maps group and transactional ids to coordinator partitions by it. */
export function javaStringHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return h;
}

/**
 * The partition of __consumer_offsets (a group id) or __transaction_state (a transactional id)
 * that holds `key`: Utils.abs(key.hashCode()) % partitions, as the brokers compute it. Its leader
 * is the key's coordinator.
 */
export function coordinatorPartition(key: string, partitions: number): number {
  const h = javaStringHash(key);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

/** The node ids coordinating `keys` in `internalTopic`, with how many keys each one holds. */
export async function coordinators(
  admin: Admin,
  internalTopic: '__consumer_offsets' | '__transaction_state',
  keys: string[],
): Promise<Map<number, number>> {
  const states = await partitionStates(admin, [internalTopic]);
  const counts = new Map<number, number>();
  for (const key of keys) {
    const p = coordinatorPartition(key, states.length);
    const leader = states.find((s) => s.partition === p)?.leader ?? -1;
    counts.set(leader, (counts.get(leader) ?? 0) + 1);
  }
  return counts;
}

/** Leader node id -> how many partitions of `topic` it leads. */
export async function leaderCounts(admin: Admin, topic: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const s of await partitionStates(admin, [topic]))
    counts.set(s.leader, (counts.get(s.leader) ?? 0) + 1);
  return counts;
}

/** The key with the largest count (ties: the lowest key), or undefined for an empty map. */
export function busiest(counts: Map<number, number>): number | undefined {
  let best: number | undefined;
  for (const [k, n] of [...counts].sort((a, b) => a[0] - b[0]))
    if (k >= 0 && (best === undefined || n > (counts.get(best) ?? 0))) best = k;
  return best;
}

/**
 * Until every partition of `topics` (internal ones included if named) has all its replicas in
 * the ISR: a node that came back has caught up. Returns the milliseconds it took.
 */
export async function waitIsrFull(
  admin: Admin,
  topics: string[],
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  let lagging: string[] = [];
  return waitUntil(
    async () => {
      // An error is metadata from a node that is going away: ask again.
      const states = await partitionStates(admin, topics);
      lagging = states
        .filter((s) => s.isr.length < s.replicas.length)
        .map((s) => `${s.topic}-${s.partition}`);
      return lagging.length === 0 ? Date.now() - started : undefined;
    },
    {
      timeoutMs,
      timeoutError: () =>
        new Error(
          `ISR not full after ${timeoutMs} ms: ${lagging.slice(0, 5).join(', ')}${lagging.length > 5 ? ', …' : ''}`,
        ),
    },
  );
}
