// In-memory dedup state of one ghl.raw partition: dedup key -> expiry (epoch ms). The changelog
// topic (same partition number) is its durable copy; this class only holds what was committed.
//
// The target is a million keys in well under 400 MB of process memory. A Map<string, number>
// costs ~120 bytes a key here (the string object, the Map's entry and its hash table), so this
// keeps the keys' UTF-8 bytes in one growing byte arena and the rest in typed arrays, indexed by
// an open-addressing hash table: ~45 bytes a key. Lookups compare the key bytes exactly, so a
// hash collision can never make one event look like another.
//
// Entries are appended in insertion order, and keys are inserted with expiry = now + window, so
// the oldest entries sit at the front: finding expired keys is a walk from the front that stops
// at the first live one. Removed or re-added entries leave dead slots behind, reclaimed by an
// occasional compaction (amortised O(1) per operation).

const EMPTY = -1;
const DELETED = -2;
const INITIAL_ENTRIES = 1024;
/** Event IDs are at most 256 characters (event-id.ts), a replay key adds ~50: far below this. */
const MAX_KEY_BYTES = 0xffff;

export class DedupPartition {
  private arena = Buffer.allocUnsafe(INITIAL_ENTRIES * 32);
  private arenaUsed = 0;
  private starts = new Uint32Array(INITIAL_ENTRIES);
  private lengths = new Uint16Array(INITIAL_ENTRIES);
  private hashes = new Uint32Array(INITIAL_ENTRIES);
  /** Expiry in epoch ms; NaN marks a dead entry. */
  private expiries = new Float64Array(INITIAL_ENTRIES);
  /** Slots hold an entry index, EMPTY or DELETED; always at least twice the entry capacity. */
  private index = new Int32Array(INITIAL_ENTRIES * 2).fill(EMPTY);
  private deletedSlots = 0;
  /** Entries appended so far (live and dead), and the first one that may still be live. */
  private count = 0;
  private head = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Bytes of storage held (arena, entry arrays, index), live or not yet reclaimed. */
  get storageBytes(): number {
    return (
      this.arena.length +
      this.starts.byteLength +
      this.lengths.byteLength +
      this.hashes.byteLength +
      this.expiries.byteLength +
      this.index.byteLength
    );
  }

  /** True when `key` was committed and has not expired at `now`. */
  has(key: string, now: number): boolean {
    const entry = this.find(key, hashOf(key));
    return entry >= 0 && (this.expiries[entry] as number) > now;
  }

  /** Records a committed key; re-adding moves it to the back so the front stays the oldest. */
  add(key: string, expiry: number): void {
    const hash = hashOf(key);
    const existing = this.find(key, hash);
    if (existing >= 0) this.kill(existing);
    const bytes = Buffer.byteLength(key);
    if (bytes > MAX_KEY_BYTES) throw new RangeError(`dedup key of ${bytes} bytes is too long`);
    this.ensureRoom(bytes);
    const entry = this.count++;
    this.starts[entry] = this.arenaUsed;
    this.lengths[entry] = bytes;
    this.hashes[entry] = hash;
    this.expiries[entry] = expiry;
    this.arenaUsed += this.arena.write(key, this.arenaUsed, bytes, 'utf8');
    this.insertSlot(entry, hash);
    this.live++;
  }

  remove(key: string): void {
    const entry = this.find(key, hashOf(key));
    if (entry >= 0) this.kill(entry);
  }

  /** Applies one changelog record while restoring: a value sets the expiry, a tombstone deletes. */
  restore(key: string, value: Buffer | null): void {
    if (value === null) {
      this.remove(key);
      return;
    }
    const expiry = Number(value.toString());
    if (Number.isFinite(expiry)) this.add(key, expiry);
  }

  /** Up to `limit` keys that expired at `now`, oldest first (they get tombstones, then `remove`). */
  expired(now: number, limit: number): string[] {
    const keys: string[] = [];
    for (let entry = this.head; entry < this.count && keys.length < limit; entry++) {
      const expiry = this.expiries[entry] as number;
      if (Number.isNaN(expiry)) {
        if (entry === this.head) this.head++;
        continue;
      }
      if (expiry > now) break;
      keys.push(this.keyAt(entry));
    }
    return keys;
  }

  private keyAt(entry: number): string {
    const start = this.starts[entry] as number;
    return this.arena.toString('utf8', start, start + (this.lengths[entry] as number));
  }

  /** The live entry holding `key`, or -1. */
  private find(key: string, hash: number): number {
    const mask = this.index.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.index[slot] as number;
      if (entry === EMPTY) return -1;
      if (entry >= 0 && this.hashes[entry] === hash && this.keyEquals(entry, key)) return entry;
    }
  }

  private keyEquals(entry: number, key: string): boolean {
    const start = this.starts[entry] as number;
    const length = this.lengths[entry] as number;
    if (length === key.length) {
      // ASCII keys (the norm): byte i is char i. A non-ASCII char sends us to the exact check.
      for (let i = 0; i < length; i++) {
        const code = key.charCodeAt(i);
        if (code > 0x7f) return this.arena.toString('utf8', start, start + length) === key;
        if (this.arena[start + i] !== code) return false;
      }
      return true;
    }
    return (
      Buffer.byteLength(key) === length &&
      this.arena.toString('utf8', start, start + length) === key
    );
  }

  /** Marks an entry dead and frees its index slot. */
  private kill(entry: number): void {
    const mask = this.index.length - 1;
    for (let slot = (this.hashes[entry] as number) & mask; ; slot = (slot + 1) & mask) {
      const at = this.index[slot] as number;
      if (at === entry) {
        this.index[slot] = DELETED;
        this.deletedSlots++;
        break;
      }
      if (at === EMPTY) break;
    }
    this.expiries[entry] = NaN;
    this.live--;
    if (entry === this.head) this.head++;
  }

  private insertSlot(entry: number, hash: number): void {
    const mask = this.index.length - 1;
    let slot = hash & mask;
    while ((this.index[slot] as number) >= 0) slot = (slot + 1) & mask;
    if (this.index[slot] === DELETED) this.deletedSlots--;
    this.index[slot] = entry;
  }

  /** Makes room for one more entry of `bytes` key bytes: compacts away dead entries or grows. */
  private ensureRoom(bytes: number): void {
    const dead = this.count - this.live;
    const entriesFull = this.count >= this.expiries.length;
    const arenaFull = this.arenaUsed + bytes > this.arena.length;
    // Too many DELETED slots make probes long: rebuilding the index clears them.
    const indexCrowded = this.count + 1 + this.deletedSlots > this.index.length / 2;
    if (!entriesFull && !arenaFull && !indexCrowded) return;
    // Mostly live: double. Mostly dead: the same size, freed of the dead, suffices.
    const grow = dead < this.live;
    const capacity = grow ? this.expiries.length * 2 : this.expiries.length;
    const arenaSize = Math.max(
      grow ? this.arena.length * 2 : this.arena.length,
      this.arenaUsed + bytes,
    );
    this.rebuild(capacity, arenaSize);
  }

  /** Copies the live entries, in order, into fresh storage and re-indexes them. */
  private rebuild(capacity: number, arenaSize: number): void {
    const arena = Buffer.allocUnsafe(arenaSize);
    const starts = new Uint32Array(capacity);
    const lengths = new Uint16Array(capacity);
    const hashes = new Uint32Array(capacity);
    const expiries = new Float64Array(capacity);
    this.index = new Int32Array(capacity * 2).fill(EMPTY);
    this.deletedSlots = 0;
    let used = 0;
    let next = 0;
    for (let entry = this.head; entry < this.count; entry++) {
      const expiry = this.expiries[entry] as number;
      if (Number.isNaN(expiry)) continue;
      const start = this.starts[entry] as number;
      const length = this.lengths[entry] as number;
      this.arena.copy(arena, used, start, start + length);
      starts[next] = used;
      lengths[next] = length;
      hashes[next] = this.hashes[entry] as number;
      expiries[next] = expiry;
      used += length;
      next++;
    }
    this.arena = arena;
    this.arenaUsed = used;
    this.starts = starts;
    this.lengths = lengths;
    this.hashes = hashes;
    this.expiries = expiries;
    this.count = next;
    this.head = 0;
    for (let entry = 0; entry < next; entry++) this.insertSlot(entry, hashes[entry] as number);
  }
}

/** FNV-1a over UTF-16 code units: only spreads keys over the index; equality is exact. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The dedup key: the event ID, or replay-id + event ID so a replay re-emits exactly once. */
export const dedupKey = (eventId: string, replayId: string | undefined): string =>
  replayId ? `replay:${replayId}:${eventId}` : eventId;

/** Changelog keys with this prefix are restore markers, never dedup entries. */
export const MARKER_PREFIX = '__marker__:';

export const encodeExpiry = (expiry: number): Buffer => Buffer.from(String(expiry));
