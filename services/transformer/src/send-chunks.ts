import type { Message, TopicMessages } from 'kafkajs';

/**
 * kafkajs puts everything one sendBatch call holds for a partition into a single record batch
 * and never splits it, so a batch above the broker's message.max.bytes (1 MiB by default) is
 * rejected as a whole. Inside a transaction the same records can go out in several sendBatch
 * calls; this cuts them so that each call stays under `maxBytes` in total, hence every
 * partition's record batch does too.
 *
 * It also caps the records of one topic per call: kafkajs groups a call's messages by partition
 * with an array spread per message (producer/groupMessagesPerPartition.js), quadratic in the
 * records per partition. The changelog sends a whole transaction to one partition, and at 2,000
 * records that grouping alone cost ~5% of the transformer's CPU.
 */
export function chunkTopicMessages(
  topicMessages: readonly TopicMessages[],
  maxBytes: number,
  maxPerTopic = Number.POSITIVE_INFINITY,
): TopicMessages[][] {
  const calls: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let currentBytes = 0;
  for (const { topic, messages } of topicMessages) {
    let bucket: Message[] = [];
    for (const message of messages) {
      const size = approximateSize(message);
      if ((currentBytes + size > maxBytes && currentBytes > 0) || bucket.length >= maxPerTopic) {
        if (bucket.length > 0) current.push({ topic, messages: bucket });
        calls.push(current);
        current = [];
        bucket = [];
        currentBytes = 0;
      }
      bucket.push(message);
      currentBytes += size;
    }
    if (bucket.length > 0) current.push({ topic, messages: bucket });
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/** Record size on the wire, near enough: payload bytes plus per-record and per-header framing. */
function approximateSize(m: Message): number {
  let size = 24 + byteLength(m.key) + byteLength(m.value);
  if (m.headers) {
    for (const name in m.headers) {
      const v = m.headers[name];
      size +=
        8 +
        name.length +
        (Array.isArray(v) ? v.reduce((n, x) => n + byteLength(x), 0) : byteLength(v));
    }
  }
  return size;
}

const byteLength = (v: Buffer | string | null | undefined): number =>
  v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
