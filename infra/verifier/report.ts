// The exactly-once verifier's report: what Verifier.java prints, parsed into prototype-free maps,
// and the exactly-once comparison. Pure; the run itself is verifier.ts.

export interface VerifyReport {
  records: number;
  perTopic: Record<string, number>;
  ids: Record<string, number>;
  idsByTopic: Record<string, Record<string, number>>;
  dlqReasons: Record<string, number>;
  hanging: string[];
  /** ID -> `partition:offset` of its first record in `locateTopic`; empty without that option. */
  locations: Record<string, string>;
  /**
   * For up to 100 IDs read more than once in one topic: `topic/partition:offset` of each of their
   * first 10 records in that topic (redeliveries in an input topic count too).
   */
  copies: Record<string, string[]>;
}

/**
 * Parses the verifier's stdout (one JSON object, possibly after other lines) into a report whose
 * maps have no prototype, so IDs such as "constructor" or "__proto__" are plain keys. Throws when
 * the text holds no report of the expected shape.
 */
export function parseReport(stdout: string): VerifyReport {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`exactly-once verifier printed no report: ${stdout.slice(0, 500)}`);
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    throw new Error(`exactly-once verifier printed invalid JSON: ${(err as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new Error(`exactly-once verifier report has no valid ${what}: ${line.slice(0, 300)}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('object');
  const r = raw as Record<string, unknown>;
  if (typeof r.records !== 'number') bad('records');
  const counts = (v: unknown, what: string): Record<string, number> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(what);
    const out = Object.create(null) as Record<string, number>;
    for (const [k, n] of Object.entries(v)) {
      if (typeof n !== 'number') bad(`${what}[${JSON.stringify(k)}]`);
      out[k] = n as number;
    }
    return out;
  };
  const strings = (v: unknown): Record<string, string> => {
    const out = Object.create(null) as Record<string, string>;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('locations');
    for (const [k, s] of Object.entries(v)) {
      if (typeof s !== 'string') bad(`locations[${JSON.stringify(k)}]`);
      out[k] = s as string;
    }
    return out;
  };
  const lists = (v: unknown): Record<string, string[]> => {
    const out = Object.create(null) as Record<string, string[]>;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('copies');
    for (const [k, l] of Object.entries(v)) {
      if (!Array.isArray(l) || l.some((s) => typeof s !== 'string'))
        bad(`copies[${JSON.stringify(k)}]`);
      out[k] = [...(l as string[])];
    }
    return out;
  };
  const byTopic = r.idsByTopic;
  if (typeof byTopic !== 'object' || byTopic === null) bad('idsByTopic');
  const idsByTopic = Object.create(null) as Record<string, Record<string, number>>;
  for (const [t, m] of Object.entries(byTopic as object)) idsByTopic[t] = counts(m, 'idsByTopic');
  if (!Array.isArray(r.hanging) || r.hanging.some((h) => typeof h !== 'string')) bad('hanging');
  return {
    records: r.records as number,
    perTopic: counts(r.perTopic, 'perTopic'),
    ids: counts(r.ids, 'ids'),
    idsByTopic,
    dlqReasons: counts(r.dlqReasons, 'dlqReasons'),
    hanging: [...(r.hanging as string[])],
    locations: strings(r.locations),
    copies: lists(r.copies),
  };
}

/**
 * Compares a report with the IDs that should each appear exactly once (across every topic read):
 * `missing` expected IDs never seen, `duplicated` every ID seen more than once with its count,
 * `unexpected` IDs seen that were not expected. All empty means exactly once.
 */
export function exactlyOnce(
  report: VerifyReport,
  expected: Iterable<string>,
): { missing: string[]; duplicated: Record<string, number>; unexpected: string[] } {
  const want = new Set(expected);
  const count = (id: string) => (Object.hasOwn(report.ids, id) ? (report.ids[id] ?? 0) : 0);
  const missing = [...want].filter((id) => count(id) === 0);
  const duplicated: Record<string, number> = {};
  const unexpected: string[] = [];
  for (const [id, n] of Object.entries(report.ids)) {
    if (n > 1)
      Object.defineProperty(duplicated, id, {
        value: n,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    if (n > 0 && !want.has(id)) unexpected.push(id);
  }
  return { missing, duplicated, unexpected };
}
