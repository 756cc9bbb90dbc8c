// Single DLQ records picked on the Failures page: the addresses the page sends
// (`ghl.dlq/partition/offset`, what `redrive-of` holds), checked strictly, read back from the DLQ
// topic, and refused when a redrive of one of them is already in ghl.raw or under way, so a
// selection is never redriven twice from the console (and the transformer's dedup by event ID
// keeps a second output out even if it were).
import { ConsoleError, type ConsoleErrorCode } from '../../common/src/errors.js';
import { recordAddress } from '../../common/src/record-headers.js';
import { readTopicRange } from '../../common/src/kafka/topic-reader.js';
import type { OpsContext } from '../../common/src/ops/context.js';
import { dlqEntry, type DlqRecord } from '../../common/src/ops/dlq-records.js';
import { parseRecordAddress } from '../../common/src/ops/specs.js';
import { partitionBounds } from '../../common/src/ops/topic-positions.js';
import { redrivenAddresses } from './failures.js';

/** The most records one selection may name (and one group's record list shows). */
export const MAX_SELECTION = 500;

/** A console error about some of the selected records; the answer lists them as `records`. */
export class SelectionError extends ConsoleError {
  constructor(
    code: ConsoleErrorCode,
    message: string,
    readonly records: string[],
  ) {
    super(code, message);
    this.name = 'SelectionError';
  }
}

const MAX_PARTITION = 2 ** 31 - 1;
const listed = (items: readonly string[]) =>
  items.length <= 5
    ? items.join(', ')
    : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`;

/** One checked address. */
export interface SelectedAddress {
  address: string;
  partition: number;
  offset: bigint;
}

/**
 * Checks a request body against `allowed` field names (anything else: CONSOLE_ERR_BAD_REQUEST),
 * and that it is a JSON object.
 */
export function requireFields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ConsoleError('CONSOLE_ERR_BAD_REQUEST', 'the body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new ConsoleError(
      'CONSOLE_ERR_BAD_REQUEST',
      `unknown field(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
    );
  return body as Record<string, unknown>;
}

/**
 * `records` of a request: 1 to MAX_SELECTION distinct strings, each exactly
 * `<dlqTopic>/<partition>/<offset>` in canonical form (no sign, no leading zeros, no spaces).
 * Throws SelectionError CONSOLE_ERR_BAD_RECORDS naming the bad entries.
 */
export function parseSelection(value: unknown, dlqTopic: string): SelectedAddress[] {
  const bad = (message: string, records: string[] = []) =>
    new SelectionError('CONSOLE_ERR_BAD_RECORDS', message, records);
  if (!Array.isArray(value))
    throw bad('"records" must be a list of DLQ record addresses (topic/partition/offset)');
  if (value.length === 0) throw bad('"records" is empty: select at least one DLQ record');
  if (value.length > MAX_SELECTION)
    throw bad(`"records" names ${value.length} records; at most ${MAX_SELECTION} at once`);
  const out: SelectedAddress[] = [];
  const invalid: string[] = [];
  const otherTopic: string[] = [];
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const item of value as unknown[]) {
    if (typeof item !== 'string') {
      invalid.push(JSON.stringify(item) ?? String(item));
      continue;
    }
    const parsed = parseRecordAddress(item);
    if (
      !parsed ||
      parsed.partition > MAX_PARTITION ||
      recordAddress(parsed.topic, parsed.partition, parsed.offset.toString()) !== item
    ) {
      invalid.push(item);
      continue;
    }
    if (parsed.topic !== dlqTopic) {
      otherTopic.push(item);
      continue;
    }
    if (seen.has(item)) twice.add(item);
    seen.add(item);
    out.push({ address: item, partition: parsed.partition, offset: parsed.offset });
  }
  if (invalid.length > 0)
    throw bad(
      `not DLQ record addresses (topic/partition/offset, e.g. ${dlqTopic}/0/42): ${listed(invalid)}`,
      invalid,
    );
  if (otherTopic.length > 0)
    throw bad(`not records of ${dlqTopic}: ${listed(otherTopic)}`, otherTopic);
  if (twice.size > 0) throw bad(`named more than once: ${listed([...twice])}`, [...twice]);
  return out;
}

/**
 * Reads the selected records from the DLQ topic (one bounded read per partition, from the lowest
 * to the highest selected offset), oldest first like `collectDlq`. Throws SelectionError
 * CONSOLE_ERR_UNKNOWN_RECORDS for addresses outside their partition, of a partition the topic does
 * not have, or that hold no readable record (a transaction marker, an aborted write).
 */
export async function readSelection(
  ctx: OpsContext,
  topic: string,
  selected: readonly SelectedAddress[],
): Promise<DlqRecord[]> {
  const bounds = await partitionBounds(await ctx.admin(), topic);
  const outside = selected.filter((s) => {
    const b = bounds.get(s.partition);
    return !b || s.offset < b.low || s.offset >= b.high;
  });
  if (outside.length > 0)
    throw new SelectionError(
      'CONSOLE_ERR_UNKNOWN_RECORDS',
      `no such records in ${topic}: ${listed(outside.map((s) => s.address))}`,
      outside.map((s) => s.address),
    );
  const wanted = new Map<number, Set<string>>();
  for (const s of selected) {
    const set = wanted.get(s.partition) ?? new Set<string>();
    set.add(s.offset.toString());
    wanted.set(s.partition, set);
  }
  const found: DlqRecord[] = [];
  await readTopicRange(ctx.kafka(), {
    topic,
    ranges: [...wanted.entries()].map(([partition, offsets]) => {
      const list = [...offsets].map(BigInt);
      const min = list.reduce((a, b) => (b < a ? b : a));
      const max = list.reduce((a, b) => (b > a ? b : a));
      return { partition, start: min, end: max + 1n };
    }),
    signal: ctx.interruptSignal(),
    onRecord: (partition, message) => {
      if (wanted.get(partition)?.has(message.offset))
        found.push({
          entry: dlqEntry(topic, partition, message),
          key: message.key,
          value: message.value,
          headers: message.headers,
        });
      return true;
    },
  });
  const got = new Set(found.map((r) => r.entry.address));
  const missing = selected.filter((s) => !got.has(s.address)).map((s) => s.address);
  if (missing.length > 0)
    throw new SelectionError(
      'CONSOLE_ERR_UNKNOWN_RECORDS',
      `no readable DLQ record at ${listed(missing)}`,
      missing,
    );
  return found.sort(
    (a, b) =>
      a.entry.timestamp.localeCompare(b.entry.timestamp) ||
      a.entry.partition - b.entry.partition ||
      Number(BigInt(a.entry.offset) - BigInt(b.entry.offset)),
  );
}

/**
 * Reserves `records` for one redrive in `running` (the addresses of redrives under way in this
 * console) and returns what releases them. Throws SelectionError CONSOLE_ERR_ALREADY_REDRIVEN,
 * reserving nothing, when ghl.raw holds a redrive of any of them (its `redrive-of` is the record's
 * address) or a running redrive holds it. The check of `running` and the reservation happen in one
 * step, so two requests for the same record cannot both pass.
 */
export async function reserveOpen(
  ctx: OpsContext,
  records: readonly DlqRecord[],
  running: Set<string>,
): Promise<() => void> {
  const redriven = await redrivenAddresses(ctx, records);
  const addresses = records.map((r) => r.entry.address);
  const done = addresses.filter((a) => redriven.has(a) || running.has(a));
  if (done.length > 0)
    throw new SelectionError(
      'CONSOLE_ERR_ALREADY_REDRIVEN',
      `redriven already (or being redriven): ${listed(done)}; nothing was sent`,
      done,
    );
  for (const a of addresses) running.add(a);
  return () => {
    for (const a of addresses) running.delete(a);
  };
}
