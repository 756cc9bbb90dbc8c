// Turns one scenario's load statistics and the independent verifier's count into a table row,
// keeps the rows in .stack/faults-report/table.txt (printed by the test and by the global
// teardown), and digests service logs into short evidence for the failures.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { exactlyOnce, type VerifyReport } from '../../infra/verifier/verifier.js';
import type { TopicNames } from '../../services/common/src/topics.js';
import { DOMAIN_KEYS } from '../../services/common/src/topics.js';
import { tableFile } from './fault-env.js';
import type { LoadStats } from './load.js';

export interface Row {
  scenario: string;
  sent: number;
  ok: number;
  tooMany: number;
  serverErrors: number;
  /** Other answers: 0 (no HTTP answer) and 4xx other than 429, by status. */
  other: Record<string, number>;
  rawRecords: number;
  rawIds: number;
  outputs: number;
  dlq: number;
  /** Event IDs of the ghl.dlq records. */
  dlqIds: string[];
  /** 200-acked IDs not in ghl.raw, then ghl.raw IDs with neither an output nor a DLQ record. */
  lost: string[];
  ackedNotInRaw: string[];
  /** IDs counted more than once across the outputs and the DLQ. */
  duplicated: string[];
  /** exactlyOnce(): expected (acked or in ghl.raw) IDs never seen in outputs + DLQ. */
  missing: string[];
  /** exactlyOnce(): outputs/DLQ IDs that were never acked nor in ghl.raw. */
  unexpected: string[];
  dlqReasons: Record<string, number>;
  hanging: string[];
  /** Seconds from broker back / SIGCONT to the next commit; null = never, undefined = n/a. */
  recoveryS: number | null | undefined;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * The counts of one scenario. `report` is one verifier read of ghl.raw, the five output topics
 * and ghl.dlq: raw IDs come from `event-id`, output IDs from `ce_id`, DLQ IDs from `event-id`.
 */
export function buildRow(
  scenario: string,
  load: LoadStats,
  report: VerifyReport,
  names: TopicNames,
  recoveryS: number | null | undefined,
): Row {
  const byTopic = (topic: string) => report.idsByTopic[topic] ?? {};
  const raw = byTopic(names.raw);
  const dlq = byTopic(names.dlq);
  // Outputs and DLQ together: each ghl.raw ID must appear there exactly once.
  const delivered = Object.create(null) as Record<string, number>;
  for (const topic of [...DOMAIN_KEYS.map((d) => names[d]), names.dlq])
    for (const [id, n] of Object.entries(byTopic(topic))) delivered[id] = (delivered[id] ?? 0) + n;
  const has = (m: Record<string, number>, id: string) => Object.hasOwn(m, id) && (m[id] ?? 0) > 0;

  const ackedNotInRaw = [...load.accepted].filter((id) => !has(raw, id));
  const undelivered = Object.keys(raw).filter((id) => !has(delivered, id));
  const expected = new Set([...load.accepted, ...Object.keys(raw)]);
  const eo = exactlyOnce({ ...report, ids: delivered }, expected);

  const other: Record<string, number> = {};
  let serverErrors = 0;
  for (const [status, n] of load.statuses) {
    if (status >= 500) serverErrors += n;
    else if (status !== 200 && status !== 429) other[String(status)] = n;
  }
  return {
    scenario,
    sent: load.sent,
    ok: load.statuses.get(200) ?? 0,
    tooMany: load.statuses.get(429) ?? 0,
    serverErrors,
    other,
    rawRecords: report.perTopic[names.raw] ?? 0,
    rawIds: Object.keys(raw).length,
    outputs: sum(Object.fromEntries(DOMAIN_KEYS.map((d) => [d, report.perTopic[names[d]] ?? 0]))),
    dlq: report.perTopic[names.dlq] ?? 0,
    dlqIds: Object.keys(dlq),
    lost: [...ackedNotInRaw, ...undelivered],
    ackedNotInRaw,
    duplicated: Object.keys(eo.duplicated),
    missing: eo.missing,
    unexpected: eo.unexpected,
    dlqReasons: Object.fromEntries(Object.entries(report.dlqReasons)),
    hanging: report.hanging,
    recoveryS,
  };
}

const COLUMNS = [
  'scenario',
  'sent',
  '200',
  '429',
  '5xx',
  'in ghl.raw',
  'outputs',
  'dlq',
  'lost',
  'duplicated',
  'recovery_s',
] as const;
const WIDTHS = [22, 6, 6, 6, 4, 10, 7, 4, 5, 10, 10];

const line = (cells: (string | number)[]) =>
  cells.map((c, i) => String(c).padEnd(WIDTHS[i] ?? 0)).join(' | ');

export const tableHeader = () => line([...COLUMNS]);

const recoveryCell = (r: number | null | undefined) =>
  r === undefined ? '-' : r === null ? 'never' : r.toFixed(1);

/** The table row, then one indented line per detail (readiness, notes) given. */
export function formatRow(row: Row, details: string[] = []): string {
  const cells = [
    row.scenario,
    row.sent,
    row.ok,
    row.tooMany,
    row.serverErrors,
    row.rawRecords,
    row.outputs,
    row.dlq,
    row.lost.length,
    row.duplicated.length,
    recoveryCell(row.recoveryS),
  ];
  return [line(cells), ...details.map((d) => `    ${d}`)].join('\n');
}

/** A row that could not be counted (setup or verifier failure), so the table stays complete. */
export function formatFailedRow(scenario: string, reason: string): string {
  return `${line([scenario, ...Array<string>(COLUMNS.length - 1).fill('?')])}\n    not counted: ${reason}`;
}

/** Appends to the suite's table file, writing the header first when the file is new. */
export function appendToTable(text: string): void {
  if (!existsSync(tableFile())) writeFileSync(tableFile(), `${tableHeader()}\n`);
  appendFileSync(tableFile(), `${text}\n`);
}

export const readTable = (): string =>
  existsSync(tableFile()) ? readFileSync(tableFile(), 'utf8') : '(no rows)';

/** The first few IDs of a list, for assertion messages. */
export const sample = (ids: string[], n = 5) =>
  ids.length === 0 ? 'none' : `${ids.slice(0, n).join(', ')}${ids.length > n ? ', …' : ''}`;

/**
 * Warn-and-above lines of a pino log grouped by message: count, first time and the first error
 * message. Short enough to print in a failure, precise enough to say why.
 */
export function logDigest(file: string, max = 8): string[] {
  if (!existsSync(file)) return [`(no log at ${file})`];
  const groups = new Map<string, { n: number; first: string; err: string }>();
  const plain: string[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    let entry: { level?: number; time?: number; msg?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(text) as typeof entry;
    } catch {
      // Not pino: a crash trace or Node's own warning; keep the first ones verbatim.
      if (plain.length < 3) plain.push(text.slice(0, 300));
      continue;
    }
    if ((entry.level ?? 0) < 40) continue;
    const key = `${entry.level}:${entry.msg}`;
    const g = groups.get(key);
    if (g) g.n++;
    else
      groups.set(key, {
        n: 1,
        first: entry.time ? new Date(entry.time).toISOString().slice(11, 23) : '?',
        err: (entry.err?.message ?? '').slice(0, 200),
      });
  }
  const lines = [...groups].map(([key, g]) => {
    const [level, ...msg] = key.split(':');
    const name = level === '40' ? 'warn' : level === '50' ? 'error' : 'fatal';
    return `${g.n}x ${name} "${msg.join(':')}" first ${g.first}${g.err ? `: ${g.err}` : ''}`;
  });
  return [...lines.slice(0, max), ...plain];
}
