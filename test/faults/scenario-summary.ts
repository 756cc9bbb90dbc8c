// A scenario's result once its services have stopped: the recovery and pause figures
// (recovery.ts), /readyz during and after the outage, the table row from the load statistics and
// the verifier's count, and the detail lines printed beside it (where a missing ID sits in ghl.raw,
// the copies of a duplicated one, transactions whose markers Kafka skipped).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyReport } from '../../infra/verifier/verifier.js';
import type { TopicNames } from '../../services/common/src/topics.js';
import type { FaultStack } from './fault-env.js';
import type { LoadStats } from './load.js';
import {
  everyPartitionRecovered,
  longestPause,
  progressTimes,
  recoverySeconds,
  secondsAfter,
} from './recovery.js';
import { buildRow, formatFailedRow, formatRow, type Row } from './report.js';
import type { FaultWindow, ReadinessSample } from './scenario-types.js';

/** What runScenario gathered while the scenario ran. */
export interface ScenarioRecord {
  name: string;
  stack: FaultStack;
  prefix: string;
  names: TopicNames;
  window: FaultWindow;
  readiness: ReadinessSample[];
  /** Per transformer, its committed-record count; per `<transformer>\0<partition>`, that partition's. */
  processed: Map<string, { at: number; value: number }[]>;
  processedPerPartition: Map<string, { at: number; value: number }[]>;
  loadStoppedAt: number | undefined;
  stats: LoadStats | undefined;
  report: VerifyReport | undefined;
  error: Error | undefined;
  transformersAlive: boolean[];
  stopped: string[];
}

export interface ScenarioSummary {
  row: Row | undefined;
  during: Record<string, Record<string, number>>;
  after: Record<string, string>;
  details: string[];
  text: string;
  commitPauseS: number | undefined;
  acceptPauseS: number | undefined;
}

/** The figures, the row and its text (a failed row when there is no count). */
export function summariseScenario(scenario: ScenarioRecord): ScenarioSummary {
  const { window, processed, processedPerPartition, readiness, loadStoppedAt, stats, report } =
    scenario;
  const { error, stack, prefix, names, transformersAlive, stopped } = scenario;
  // recovery_s: until EVERY ghl.raw partition committed again (a stalled partition is not a
  // recovered pipeline); the first commit anywhere is printed beside it.
  const firstCommitS =
    window.backAt === undefined ? undefined : recoverySeconds(processed, window.backAt);
  const allPartitions =
    window.backAt === undefined
      ? undefined
      : everyPartitionRecovered(processedPerPartition, window.backAt);
  const recoveryS = allPartitions?.seconds;
  const { during, after } = summariseReadiness(readiness, window);
  // How long the pipeline stood still because of the fault: the longest stretch, from the fault
  // to the end of the load, without a new commit (transformers) or a new 200 (ingress).
  const pauseEnd = loadStoppedAt ?? Date.now();
  const commitPauseS =
    window.downAt === undefined
      ? undefined
      : longestPause(progressTimes(processed), window.downAt, pauseEnd);
  const acceptPauseS =
    window.downAt === undefined || !stats
      ? undefined
      : longestPause(stats.acceptedAt, window.downAt, pauseEnd);

  const details = [
    ...(window.downAt !== undefined && window.backAt !== undefined
      ? [
          `readyz during outage (${((window.backAt - window.downAt) / 1000).toFixed(1)}s): ${fmtReadiness(during)}; after: ${Object.entries(
            after,
          )
            .map(([s, v]) => `${s} ${v}`)
            .join(', ')}`,
        ]
      : []),
    ...(window.downAt !== undefined && window.backAt !== undefined && stats
      ? [
          `ingress answered 200 again ${secondsAfter(stats.acceptedAt, window.backAt)} after the fault ended`,
        ]
      : []),
    ...(commitPauseS !== undefined && acceptPauseS !== undefined
      ? [
          `longest pause after the fault: commits ${commitPauseS.toFixed(1)}s, ingress 200s ${acceptPauseS.toFixed(1)}s`,
        ]
      : []),
    ...(allPartitions !== undefined
      ? [
          `after the fault: first commit ${fmtS(firstCommitS)}, every partition ${fmtS(allPartitions.seconds)} (last: partition ${allPartitions.slowest ?? '?'})`,
        ]
      : []),
    ...(window.notes ?? []),
  ];
  let row: Row | undefined;
  let text: string;
  if (stats && report) {
    row = buildRow(scenario.name, stats, report, names, recoveryS);
    const extras = [
      Object.keys(row.other).length > 0 ? `other answers ${JSON.stringify(row.other)}` : '',
      stats.skipped > 0 ? `skipped ${stats.skipped} slots (too many open requests)` : '',
      row.rawIds !== row.rawRecords ? `ghl.raw distinct IDs ${row.rawIds}` : '',
      row.missing.length || row.unexpected.length
        ? `missing ${row.missing.length}${locate(row.missing, report.locations)}, unexpected ${row.unexpected.length}`
        : '',
      row.duplicated.length ? `duplicated ${copiesOf(row.duplicated, report)}` : '',
      skippedMarkers(stack, prefix),
      Object.keys(row.dlqReasons).length > 0 ? `dlq reasons ${JSON.stringify(row.dlqReasons)}` : '',
      row.hanging.length > 0 ? `hanging transactions ${row.hanging.join(' ')}` : '',
      `transformers alive at the end: ${transformersAlive.join(', ')}; stopped: ${stopped.join(', ')}`,
    ].filter((s) => s !== '');
    text = formatRow(row, [...details, extras.join('; ')]);
  } else {
    text = formatFailedRow(scenario.name, error?.message.split('\n')[0] ?? 'no verifier report');
  }
  return { row, during, after, details, text, commitPauseS, acceptPauseS };
}

/** ` (id at ghl.raw partition:offset, …)` for up to 20 of `ids`: where to look in the logs. */
function locate(ids: string[], locations: Record<string, string>): string {
  if (ids.length === 0) return '';
  const shown = ids.slice(0, 20).map((id) => `${id} at ${locations[id] ?? '?'}`);
  return ` (${shown.join(', ')}${ids.length > 20 ? ', …' : ''})`;
}

/**
 * How many of the scenario's transactions had markers skipped by Kafka, from the brokers' logs
 * (the transaction coordinator logs each at INFO; the transformer's sweep deals with them).
 */
function skippedMarkers(stack: FaultStack, prefix: string): string {
  const dirs = stack.nodes?.map((n) => n.options.dir) ?? [stack.kafkaDir];
  let count = 0;
  for (const dir of dirs) {
    const file = join(dir, 'kafka.log');
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n'))
      if (line.includes("Couldn't find leader endpoint") && line.includes(prefix)) count++;
  }
  return count > 0 ? `Kafka skipped the markers of ${count} transaction(s) (swept)` : '';
}

/** `id: topic/partition:offset …` per duplicated ID (up to 20): its copies, and its first ghl.raw record. */
function copiesOf(ids: string[], report: VerifyReport): string {
  const shown = ids.slice(0, 20).map((id) => {
    const at = report.copies[id] ?? [];
    const raw = report.locations[id];
    return `${id}: ${at.join(' ')} (first in ghl.raw at ${raw ?? '?'})`;
  });
  return `${shown.join('; ')}${ids.length > 20 ? '; …' : ''}`;
}

const fmtS = (s: number | null | undefined) =>
  s === null || s === undefined ? 'never' : `${s.toFixed(1)}s`;

/** Per service, the statuses seen inside [downAt, backAt], and the last status of the run. */
function summariseReadiness(
  samples: ReadinessSample[],
  window: FaultWindow,
): { during: Record<string, Record<string, number>>; after: Record<string, string> } {
  const during: Record<string, Record<string, number>> = {};
  const after: Record<string, string> = {};
  for (const s of samples) {
    after[s.service] = String(s.status);
    if (window.downAt === undefined || window.backAt === undefined) continue;
    if (s.at < window.downAt || s.at > window.backAt) continue;
    const counts = (during[s.service] ??= {});
    counts[String(s.status)] = (counts[String(s.status)] ?? 0) + 1;
  }
  return { during, after };
}

const fmtReadiness = (during: Record<string, Record<string, number>>) =>
  Object.entries(during)
    .map(
      ([s, counts]) =>
        `${s} ${Object.entries(counts)
          .map(([status, n]) => `${status}x${n}`)
          .join(' ')}`,
    )
    .join(', ') || 'no samples';
