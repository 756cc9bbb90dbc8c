// In-memory dedup state of one ghl.raw partition: dedup key -> expiry (epoch ms). The changelog
// topic (same partition number) is its durable copy; this class only holds what was committed.
//
// A Map keeps insertion order, and keys are inserted with expiry = now + window, so the oldest
// entries sit at the front: finding expired keys is a walk from the front that stops at the first
// live one, with no timer and no extra index.

/**
 * Expiries are kept relative to this process's start: within ±24 days they are small integers,
 * which V8 stores inline in the Map (an absolute epoch-ms value would be a separate 16-byte heap
 * number per key: 16 MB per million keys). Larger values still work, just boxed.
 */
const BASE = Date.now();

export class DedupPartition {
  private readonly entries = new Map<string, number>();

  get size(): number {
    return this.entries.size;
  }

  /** True when `key` was committed and has not expired at `now`. */
  has(key: string, now: number): boolean {
    const expiry = this.entries.get(key);
    return expiry !== undefined && expiry > now - BASE;
  }

  /** Records a committed key; re-adding moves it to the back so the front stays the oldest. */
  add(key: string, expiry: number): void {
    this.entries.delete(key);
    this.entries.set(key, expiry - BASE);
  }

  remove(key: string): void {
    this.entries.delete(key);
  }

  /** Applies one changelog record while restoring: a value sets the expiry, a tombstone deletes. */
  restore(key: string, value: Buffer | null): void {
    if (value === null) {
      this.entries.delete(key);
      return;
    }
    const expiry = Number(value.toString());
    if (Number.isFinite(expiry)) this.add(key, expiry);
  }

  /** Up to `limit` keys that expired at `now`, oldest first (they get tombstones, then `remove`). */
  expired(now: number, limit: number): string[] {
    const keys: string[] = [];
    const relativeNow = now - BASE;
    for (const [key, expiry] of this.entries) {
      if (expiry > relativeNow || keys.length >= limit) break;
      keys.push(key);
    }
    return keys;
  }
}

/** The dedup key: the event ID, or replay-id + event ID so a replay re-emits exactly once. */
export const dedupKey = (eventId: string, replayId: string | undefined): string =>
  replayId ? `replay:${replayId}:${eventId}` : eventId;

/** Changelog keys with this prefix are restore markers, never dedup entries. */
export const MARKER_PREFIX = '__marker__:';

export const encodeExpiry = (expiry: number): Buffer => Buffer.from(String(expiry));
