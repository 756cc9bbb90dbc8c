// The results of a `npm run bench:e2e` phase (test/bench/e2e.bench.ts) and where an event's time
// goes: latency percentiles, the per-stage summary of the transformer's
// transformer_record_stage_seconds histogram between two scrapes, and that breakdown as a table.
import { parseMetrics } from '../../services/console/src/service-health.js';
import {
  histogramDelta,
  parseHistograms,
  summarize,
  type HistogramSeries,
  type StageSummary,
} from './histograms.js';

const STAGE_METRIC = 'transformer_record_stage_seconds';
const STAGES = ['fetch_wait', 'queue_wait', 'prepare', 'send', 'offsets', 'commit'];

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const round = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits));

/**
 * What consumes ghl.raw in a phase: the exactly-once transformer, the at-least-once kafkajs
 * passthrough, or the exactly-once Java copy (test/bench/java/EosCopy.java).
 */
export type PhaseMode = 'eos' | 'passthrough' | 'eos-java';

/** One phase's figures, as the JSON result gives them. */
export interface PhaseResult {
  mode: PhaseMode;
  sent: number;
  accepted: number;
  outputs: number;
  measured: number;
  e2e_p50_ms: number;
  e2e_p99_ms: number;
  e2e_max_ms: number;
  ingress_p50_ms: number;
  ingress_p99_ms: number;
  /** Broker CPU (user + system) from the end of the warm-up to the last output seen, per event. */
  broker_cpu_ms_per_event: number | null;
  /** The same for the consuming process (transformer or passthrough). */
  consumer_cpu_ms_per_event: number | null;
  stages?: Record<string, StageSummary>;
  /** Transactions the transformer committed while measuring (eos only). */
  transactions?: number;
  /** Requests it asked again after CONCURRENT_TRANSACTIONS while measuring (eos only). */
  concurrent_transactions_retries?: number;
}

/** What one scrape of the transformer's /metrics gives the bench. */
export interface TransformerScrape {
  stages: Map<string, HistogramSeries>;
  /** transformer_transactions_total{result="commit"}. */
  transactions: number;
  /** transformer_concurrent_transactions_retries_total. */
  concurrentRetries: number;
}

/** Sum of counter `name` over its label sets that carry every label of `having`. */
export function counterTotal(
  text: string,
  name: string,
  having: Record<string, string> = {},
): number {
  return parseMetrics(text)
    .filter((s) => s.name === name && Object.entries(having).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The transformer's stage histograms and transaction counters, from its /metrics page at `metricsUrl`. */
export async function scrapeTransformer(metricsUrl: string): Promise<TransformerScrape> {
  const text = await (await fetch(metricsUrl)).text();
  return {
    stages: parseHistograms(text, STAGE_METRIC),
    transactions: counterTotal(text, 'transformer_transactions_total', { result: 'commit' }),
    concurrentRetries: counterTotal(text, 'transformer_concurrent_transactions_retries_total'),
  };
}

/** Each stage's summary between two scrapes, in the order of STAGES (stages not seen left out). */
export function stageSummaries(
  after: Map<string, HistogramSeries>,
  before: Map<string, HistogramSeries>,
): Record<string, StageSummary> {
  const delta = histogramDelta(after, before);
  return Object.fromEntries(
    STAGES.flatMap((stage) => {
      const h = delta.get(stage);
      return h ? [[stage, summarize(h)]] : [];
    }),
  );
}

/** The breakdown as a table on stderr: mean, p50 and p99 per stage, in ms. */
export function printBreakdown(eos: PhaseResult, log: (...parts: unknown[]) => void): void {
  if (!eos.stages) return;
  const rows = Object.entries(eos.stages).map(
    ([stage, s]) =>
      `  ${stage.padEnd(12)} mean ${String(round(s.mean_ms)).padStart(7)}  p50 ${String(round(s.p50_ms)).padStart(7)}  p99 ${String(round(s.p99_ms)).padStart(7)}`,
  );
  const stagesMean = Object.values(eos.stages).reduce((sum, s) => sum + s.mean_ms, 0);
  log(
    [
      'eos: where an event spends its time (ms; per committed record, from transformer_record_stage_seconds)',
      `  ${'ingress'.padEnd(12)} (request sent -> 200) p50 ${eos.ingress_p50_ms}  p99 ${eos.ingress_p99_ms}`,
      ...rows,
      `  stages sum of means ${round(stagesMean)}; end to end (200 -> visible) p50 ${eos.e2e_p50_ms}  p99 ${eos.e2e_p99_ms}`,
      `  ${eos.transactions ?? '?'} transactions committed; ${eos.concurrent_transactions_retries ?? '?'} requests asked again after CONCURRENT_TRANSACTIONS`,
      '  fetch_wait starts at the ghl.raw record timestamp, set by the ingress before its 200;',
      "  what the stages leave out is the observer's read after the commit (visible).",
    ].join('\n'),
  );
}
