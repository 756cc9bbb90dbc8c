// ghl.raw records as the ingress writes them (key = event ID, value = exact body bytes, the
// ghl.raw headers of docs/architecture.md), for tests that feed the transformer directly.
import { randomUUID } from 'node:crypto';
import type { Message, Producer } from 'kafkajs';
import { RAW_HEADERS } from '../../services/common/src/record-headers.js';

export interface RawEventOptions {
  eventId?: string;
  eventType?: string;
  locationId?: string;
  headers?: Record<string, string>;
}

export function rawMessage(
  body: Buffer | string | object,
  opts: RawEventOptions = {},
): Message & { key: string } {
  const bytes = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const eventId = opts.eventId ?? randomUUID();
  return {
    key: eventId,
    value: bytes,
    headers: {
      [RAW_HEADERS.eventId]: eventId,
      [RAW_HEADERS.eventType]: opts.eventType ?? 'test',
      [RAW_HEADERS.locationId]: opts.locationId ?? 'loc_123',
      [RAW_HEADERS.receivedAt]: new Date().toISOString(),
      [RAW_HEADERS.requestId]: randomUUID(),
      [RAW_HEADERS.signatureScheme]: 'hmac',
      [RAW_HEADERS.contentType]: 'application/json',
      ...opts.headers,
    },
  };
}

/** Sends in slices: kafkajs never splits a partition's record batch, and the broker caps it at 1 MiB. */
export async function produceAll(
  producer: Producer,
  topic: string,
  messages: Message[],
  slice = 500,
): Promise<void> {
  for (let i = 0; i < messages.length; i += slice) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + slice) });
  }
}

/**
 * Produces `messages` in slices of `slice`, pausing `pauseMs` after each, so events keep flowing
 * while a test kills, adds or stops transformers. Resolves when all are written.
 */
export async function feed(
  producer: Producer,
  topic: string,
  messages: Message[],
  opts: { slice: number; pauseMs: number },
): Promise<void> {
  for (let i = 0; i < messages.length; i += opts.slice) {
    await produceAll(producer, topic, messages.slice(i, i + opts.slice));
    await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
}
