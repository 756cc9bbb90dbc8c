// Parsers for what operators type, shared by the CLI's options and the console's forms: positions
// (`earliest`, an ISO time, `0:42,1:7`), times, record references and lists. Pure functions; a bad
// value is a UsageError (exit 2 in the CLI, a 400 in the console).
import { UsageError } from './errors.js';

/** Where a read starts (or, for `--to`, where it stops, exclusively). */
export type PositionSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'time'; ms: number }
  | { kind: 'offsets'; offsets: ReadonlyMap<number, bigint> };

const PARTITION_OFFSET = /^(\d+):(\d+)$/;
const RELATIVE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// A date, optionally followed by a time and a zone. Without a zone the time is taken as UTC, so
// the result never depends on the machine's TZ (the transformer reads GHL times the same way).
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A point in time: ISO-8601 (`2024-06-01`, `2024-06-01T10:00:00Z`, `…+02:00`; no zone = UTC) or a
 * duration ago (`90s`, `15m`, `2h`, `7d`). Returns epoch millis.
 */
export function parseTime(text: string, now: number = Date.now()): number {
  const value = text.trim();
  const rel = RELATIVE.exec(value);
  if (rel) return now - Math.round(Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS]);
  const iso = ISO.exec(value);
  if (iso) {
    const hasTime = /[T ]/i.test(value);
    const zoned = iso[1] !== undefined;
    const ms = Date.parse(
      hasTime ? (zoned ? value : `${value}Z`).replace(' ', 'T') : `${value}T00:00:00Z`,
    );
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `"${text}" is not a time: use ISO-8601 (2024-06-01T10:00:00Z; no zone means UTC) or a duration ago (30s, 15m, 2h, 7d)`,
  );
}

/** `p:o[,p:o…]` → partition → offset. Each partition at most once. */
export function parsePartitionOffsets(text: string): Map<number, bigint> {
  const offsets = new Map<number, bigint>();
  for (const part of text.split(',')) {
    const m = PARTITION_OFFSET.exec(part.trim());
    if (!m)
      throw new UsageError(
        `"${part.trim()}" is not partition:offset (e.g. 0:42, or 0:42,1:7 for several partitions)`,
      );
    const partition = Number(m[1]);
    if (offsets.has(partition))
      throw new UsageError(`partition ${partition} is given twice in "${text}"`);
    offsets.set(partition, BigInt(m[2]!));
  }
  return offsets;
}

/** `earliest` | `latest` | ISO time / duration ago | `p:o[,p:o…]`. */
export function parsePosition(text: string, now: number = Date.now()): PositionSpec {
  const value = text.trim();
  const lower = value.toLowerCase();
  if (lower === 'earliest' || lower === 'beginning') return { kind: 'earliest' };
  if (lower === 'latest' || lower === 'end') return { kind: 'latest' };
  if (/^\d+:\d+/.test(value) && !ISO.test(value))
    return { kind: 'offsets', offsets: parsePartitionOffsets(value) };
  try {
    return { kind: 'time', ms: parseTime(value, now) };
  } catch {
    throw new UsageError(
      `"${text}" is not a position: use earliest, latest, an ISO-8601 time (or 15m/2h/7d ago), or partition:offset[,partition:offset…]`,
    );
  }
}

/** A record in a known topic: `p:o`, or the `topic/partition/offset` form of dlq-source. */
export function parseRecordRef(text: string): {
  topic?: string;
  partition: number;
  offset: bigint;
} {
  const value = text.trim();
  const m = PARTITION_OFFSET.exec(value);
  if (m) return { partition: Number(m[1]), offset: BigInt(m[2]!) };
  const address = parseRecordAddress(value);
  if (address) return address;
  throw new UsageError(`"${text}" is not a record: use partition:offset (e.g. 0:42)`);
}

/** `topic/partition/offset` (record-headers recordAddress); topic names never contain '/'. */
export function parseRecordAddress(
  text: string,
): { topic: string; partition: number; offset: bigint } | undefined {
  const m = /^([^/]+)\/(\d+)\/(\d+)$/.exec(text.trim());
  return m ? { topic: m[1]!, partition: Number(m[2]), offset: BigInt(m[3]!) } : undefined;
}

/** Comma-separated values, repeated options accumulated (commander collector). */
export function collectList(text: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...text
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}
