// How a trace reads little: the bytes every record that can match an ID holds (the topic
// reader's needle) and a record's size as read (what a ScanReport adds up). The partition a key
// lives in is partitionOfKey of kafka/partitioner.ts, the rule the writers use.
import type { FetchedRecord } from '../kafka/records.js';

/** Key, value and header bytes of a record as read (what ScanReport.bytes adds up). */
export const messageBytes = (m: FetchedRecord): number => {
  let n = (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [name, v] of Object.entries(m.headers ?? {}))
    for (const x of Array.isArray(v) ? v : [v]) n += name.length + (x?.length ?? 0);
  return n;
};
/**
 * The bytes every record that can match an ID contains: the ID as UTF-8 (a record's event ID is
 * its trimmed `event-id` header or key, a contact output's key is the contact id, an output's
 * `ce_id` header is the event ID). None when the ID cannot be matched bytewise: blank, padded,
 * or holding U+FFFD (which a header with invalid UTF-8 decodes to).
 */
export const needleOf = (id: string | undefined): Buffer | undefined =>
  id === undefined || id === '' || id.trim() !== id || id.includes('\uFFFD')
    ? undefined
    : Buffer.from(id, 'utf8');
