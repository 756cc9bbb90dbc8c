// Reading typed fields out of a normalised event's `data` for the payload builders
// (payload-builders.ts, whose header states the coercion policy): required and optional strings,
// numbers, timestamps, lists and free text, each remembered as consumed; the rest becomes the
// record's `attributes`.
import { TransformerError } from '../../../common/src/errors.js';
import type { FieldChange, PayloadRecordName } from '../avro/generated/neuronx-events.js';
import { setOwn, type InputFormat, type JsonObject } from './normalise.js';
import { parseTimestamp } from './timestamps.js';

/** A payload that cannot be built: TRF_ERR_INVALID_PAYLOAD (→ DLQ invalid_payload). */
export class PayloadError extends TransformerError {
  constructor(message: string) {
    super('TRF_ERR_INVALID_PAYLOAD', message);
    this.name = 'PayloadError';
  }
}

/**
 * A field both formats carry under different names: each format's own spelling comes first, so
 * that a GHL payload that also holds a field named like a seed alias (a custom `value`, say)
 * keeps its real value in the typed field and the other one in `attributes`.
 */
export interface Spellings {
  readonly seed: readonly string[];
  readonly ghl: readonly string[];
}
type Keys = string | readonly string[] | Spellings;

/** Reads typed fields from `data` and remembers which keys it consumed. */
export class PayloadReader {
  /** Keys a typed field took; every other key of `data` becomes an attribute. */
  private readonly used: string[] = [];

  constructor(
    private readonly data: Readonly<JsonObject>,
    private readonly record: PayloadRecordName,
    /** Which spelling of a `Spellings` field comes first. */
    private readonly format: InputFormat = 'seed',
  ) {}

  /** The names to try, in order, for this reader's format. */
  private names(keys: Keys): string | readonly string[] {
    return typeof keys === 'string' || Array.isArray(keys)
      ? keys
      : (keys as Spellings)[this.format];
  }

  /** The first of `keys` holding a value (not undefined/null). */
  private pick(spelled: Keys): [string, unknown] | undefined {
    const keys = this.names(spelled);
    if (typeof keys === 'string') {
      const v = this.data[keys];
      return v === undefined || v === null ? undefined : [keys, v];
    }
    for (const key of keys) {
      const v = this.data[key];
      if (v !== undefined && v !== null) return [key, v];
    }
    return undefined;
  }

  /** A required identifier or text: non-blank string or finite number, else PayloadError. */
  required(keys: Keys): string {
    const found = this.pick(keys);
    const spelled = this.names(keys);
    const names = typeof spelled === 'string' ? spelled : spelled.join(' or ');
    if (!found) throw new PayloadError(`${this.record}: missing required field ${names}`);
    const [key, v] = found;
    if (typeof v === 'string' && v.trim() !== '') return this.take(key, v);
    if (typeof v === 'number' && Number.isFinite(v)) return this.take(key, String(v));
    throw new PayloadError(
      `${this.record}: field ${key} must be a non-empty string, got ${typeof v === 'string' ? 'an empty string' : Array.isArray(v) ? 'array' : typeof v}`,
    );
  }

  /** An optional scalar as a string; objects/arrays stay in attributes (→ null). */
  str(keys: Keys): string | null {
    const found = this.pick(keys);
    if (!found) return this.nullOf(keys);
    const [key, v] = found;
    if (typeof v === 'string') return this.take(key, v);
    if (typeof v === 'number' || typeof v === 'boolean') return this.take(key, String(v));
    return null;
  }

  /** An optional free-text value: strings as-is, anything else JSON-encoded. */
  text(keys: Keys): string | null {
    const found = this.pick(keys);
    if (!found) return this.nullOf(keys);
    return this.take(found[0], encodeValue(found[1]));
  }

  /** An optional number: numbers and numeric strings; anything else stays in attributes. */
  num(keys: Keys): number | null {
    const found = this.pick(keys);
    if (!found) return this.nullOf(keys);
    const [key, v] = found;
    // JSON.parse turns 1e400 into Infinity: not a usable amount.
    if (typeof v === 'number') return Number.isFinite(v) ? this.take(key, v) : null;
    if (typeof v === 'string' && v.trim() !== '') {
      const n = Number(v);
      if (Number.isFinite(n)) return this.take(key, n);
    }
    return null;
  }

  /** An optional timestamp as epoch millis (see parseTimestamp). */
  time(keys: Keys): number | null {
    const found = this.pick(keys);
    if (!found) return this.nullOf(keys);
    const ms = parseTimestamp(found[1]);
    return ms === undefined ? null : this.take(found[0], ms);
  }

  /** A list of strings; non-string entries JSON-encoded; a non-array stays in attributes. */
  strList(key: string): string[] | null {
    const v = this.data[key];
    if (v === undefined || v === null) return this.nullOf(key);
    if (!Array.isArray(v)) return null;
    const out = new Array<string>(v.length);
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      out[i] = typeof item === 'string' ? item : JSON.stringify(item);
    }
    return this.take(key, out);
  }

  /**
   * The seed's `changes[]`: entries are field names or {field, oldValue, newValue}. When any
   * entry is neither, or an object carries more than those three keys, the raw list also stays
   * in attributes (typed as far as possible only when every entry fits).
   */
  changes(key = 'changes'): FieldChange[] {
    const v = this.data[key];
    if (v === undefined || v === null) {
      this.nullOf(key);
      return [];
    }
    if (!Array.isArray(v)) return [];
    const out: FieldChange[] = [];
    let exact = true;
    for (const item of v as unknown[]) {
      if (typeof item === 'string') {
        out.push({ field: item, oldValue: null, newValue: null });
        continue;
      }
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return [];
      const entry = item as JsonObject;
      if (typeof entry.field !== 'string') return [];
      out.push({
        field: entry.field,
        oldValue: encodeValue(entry.oldValue),
        newValue: encodeValue(entry.newValue),
      });
      for (const k in entry)
        if (k !== 'field' && k !== 'oldValue' && k !== 'newValue') exact = false;
    }
    return exact ? this.take(key, out) : out;
  }

  /** Every field of `data` no typed field took, JSON-encoded. */
  attributes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key in this.data) {
      const v = this.data[key];
      if (v === undefined || this.used.includes(key)) continue;
      setOwn(out, key, JSON.stringify(v));
    }
    return out;
  }

  private take<T>(key: string, value: T): T {
    this.used.push(key);
    return value;
  }

  /** An explicit JSON null carries no information: consume it rather than copy "null" along. */
  private nullOf(spelled: Keys): null {
    const keys = this.names(spelled);
    if (typeof keys === 'string') {
      if (this.data[keys] === null) this.used.push(keys);
    } else for (const key of keys) if (this.data[key] === null) this.used.push(key);
    return null;
  }
}

/** Strings as-is, null/undefined as null, anything else as JSON text. */
export const encodeValue = (v: unknown): string | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
