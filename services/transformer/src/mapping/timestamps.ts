// Time values in webhook bodies, read the same way on every host. Date.parse reads a zone-less
// string in the host's local time unless it is in the strict ISO `T` form, and guesses at any
// other layout ("12/01/2026" is December 1st in one place and January 12th in the next), so it is
// never used here. The accepted layouts are listed in schemas/README.md ("Values and coercions");
// anything else is not a time: the caller keeps the value as text in `attributes`.

/**
 * ISO 8601 extended / RFC 3339: a date, optionally a time after `T`, `t` or one space, optional
 * seconds and fraction (`.` or `,`), optional zone `Z`/`z`/`±HH:MM`/`±HHMM`/`±HH`.
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;
/** RFC 9110 IMF-fixdate (HTTP date), always GMT: `Tue, 01 Dec 2026 15:00:00 GMT`. */
const HTTP_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NUMERIC = /^-?\d+(\.\d+)?$/;
/** Below this an epoch number is in seconds (1e11 ms is 1973; 1e11 s is the year 5138). */
const SECONDS_LIMIT = 1e11;
/** The largest JS Date; beyond it a number is not a time (and would not fit an Avro long). */
const MAX_TIME_MS = 8.64e15;

/**
 * Epoch millis (UTC) from:
 * - a number or numeric string: epoch milliseconds, or seconds when below 1e11 (fractions kept to
 *   the millisecond);
 * - an ISO 8601 / RFC 3339 string (`2026-01-12`, `2026-01-12T15:00`, `2026-01-12 15:00:00.5`,
 *   `…Z`, `…+05:30`, `…+0530`, `…-05`); without a zone it is UTC;
 * - an HTTP date (`Tue, 01 Dec 2026 15:00:00 GMT`).
 * Undefined for anything else, including impossible dates (`2026-02-30`) and other layouts
 * (`12/01/2026 15:00:00`): the result never depends on the host's time zone.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    const ms = Math.trunc(Math.abs(value) < SECONDS_LIMIT ? value * 1000 : value);
    return Math.abs(ms) <= MAX_TIME_MS ? ms : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (NUMERIC.test(text)) return parseTimestamp(Number(text));
  const iso = ISO.exec(text);
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', z, sign, oh, om = '0'] = iso;
    let offsetMinutes = 0;
    if (z === undefined && sign !== undefined) {
      if (Number(oh) > 23 || Number(om) > 59) return undefined;
      offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
    }
    const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
    return utc(+y!, +mo!, +d!, +h, +mi, +s, ms, offsetMinutes);
  }
  const http = HTTP_DATE.exec(text);
  if (http) {
    const [, d, mon, y, h, mi, s] = http;
    return utc(+y!, MONTHS.indexOf(mon!) + 1, +d!, +h!, +mi!, +s!, 0, 0);
  }
  return undefined;
}

/** The instant of a calendar date and wall time at `offsetMinutes` east of UTC; undefined if impossible. */
function utc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offsetMinutes: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1) return undefined; // 2026-02-30 rolled over into March
  date.setUTCHours(hour, minute, second, ms);
  const time = date.getTime() - offsetMinutes * 60_000;
  return Math.abs(time) <= MAX_TIME_MS ? time : undefined;
}
