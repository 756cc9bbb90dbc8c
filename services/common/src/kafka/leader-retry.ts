import type { Admin } from 'kafkajs';

const LEADER_ERRORS = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);

/**
 * kafkajs' admin gives up at once on NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE (it retries
 * only an unknown topic), which a topic created a moment ago or a leader election produces. These
 * are retried here after refreshing the topic's metadata.
 */
export async function withLeaderRetry<T>(
  admin: Admin,
  topic: string,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (attempt >= 6 || !LEADER_ERRORS.has(type)) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    }
  }
}
