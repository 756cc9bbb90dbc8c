// One fault scenario from start to count: fresh topics under their own prefix, a real ingress and
// real transformer(s) as child processes, webhook load, the scenario's fault, then the pipeline
// drains and the independent Java verifier (infra/verifier) counts what read_committed consumers
// see. While it runs, /readyz of every service and the transformers' `processed` counters are
// sampled, which gives the readiness during the outage and the recovery time.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { verifyCommitted, type VerifyReport } from '../../infra/verifier/verifier.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { applyTopics } from '../../services/common/src/kafka/topic-apply.js';
import {
  DOMAIN_KEYS,
  topicNames,
  topicSpecs,
  type TopicNames,
  type TopicSpec,
} from '../../services/common/src/topics.js';
import { faultConfig, type FaultStack } from './fault-env.js';
import { LoadGenerator, type LoadStats } from './load.js';
import {
  appendToTable,
  buildRow,
  formatFailedRow,
  formatRow,
  logDigest,
  type Row,
} from './report.js';
import {
  processedByPartition,
  readyz,
  spawnIngress,
  spawnTransformer,
  waitReady,
  type ServiceChild,
} from './services.js';

const PARTITIONS = 3;
/** How long the transformer gets to catch up after the load; a healthy one needs a second or two. */
const DRAIN_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What a scenario's fault hands back: when the outage began and when the broker/process was back. */
export interface FaultWindow {
  /** The fault was injected (kill, SIGSTOP, stop). */
  downAt?: number;
  /** The broker's port accepts connections again / SIGCONT was sent. */
  backAt?: number;
  /** Scenario-specific facts for the report (takeover time, poison ID, …). */
  notes?: string[];
}

export interface ScenarioContext {
  name: string;
  stack: FaultStack;
  prefix: string;
  names: TopicNames;
  ingress: ServiceChild;
  transformers: ServiceChild[];
  load: LoadGenerator;
  /** A timeline line on the console: `[faults] <scenario> +12.3s <msg>`. */
  log(msg: string): void;
  admin: Admin;
  group: string;
}

export interface ScenarioSpec {
  name: string;
  /** Transformer instances in the group (default 1). */
  transformers?: number;
  /** Adjusts the topics before they are created (e.g. a lower max.message.bytes). */
  topics?: (specs: TopicSpec[]) => TopicSpec[];
  /** Webhooks per second (default FAULTS_RATE). */
  rate?: number;
  /** ghl.raw (and every topic's) partitions (default 3). */
  partitions?: number;
  /** Replication of the scenario's topics (default: the topic file's, RF 1). */
  replicationFactor?: number;
  minInsyncReplicas?: number;
  /** Seconds of load before the fault. */
  beforeS: number;
  /** Seconds of load after the fault returned. */
  afterS: number;
  /** Injects the fault while the load runs; resolves once the broker/process is back. */
  fault(ctx: ScenarioContext): Promise<FaultWindow>;
  /** Keep the topics after the count (the test reads them afterwards); default: deleted. */
  keepTopics?: boolean;
}

export interface ReadinessSample {
  at: number;
  service: string;
  status: number | 'timeout' | 'down';
}

export interface ScenarioOutcome {
  /** The scenario's topic prefix (its topics stay until the stack is removed). */
  prefix: string;
  row?: Row;
  /** Why there is no row (setup or verifier failure), with the error. */
  error?: Error;
  window: FaultWindow;
  readiness: ReadinessSample[];
  /** Per service: statuses answered within the outage window, and the last answer at the end. */
  readinessDuring: Record<string, Record<string, number>>;
  readinessAfter: Record<string, string>;
  /** Transformers still running when the scenario ended (before they were stopped). */
  transformersAlive: boolean[];
  /** How each service ended when stopped ("exit 0", "signal SIGKILL", …). */
  stopped: string[];
  /** Warn+ log digests of each service, for failure messages. */
  evidence: Record<string, string[]>;
  details: string[];
  text: string;
  /** Longest stretch after the fault without a new commit / a new ingress 200, in seconds. */
  commitPauseS?: number;
  acceptPauseS?: number;
}

/** Runs `spec` on the dedicated stack; never throws for the pipeline's failures, only records them. */
export async function runScenario(
  stack: FaultStack,
  spec: ScenarioSpec,
  secret = `faults-${randomUUID()}`,
): Promise<ScenarioOutcome> {
  const started = Date.now();
  // Wall-clock time too, so a line can be matched with the services' pino logs (epoch ms).
  const log = (msg: string) =>
    console.log(
      `[faults] ${new Date().toISOString().slice(11, 23)} ${spec.name} +${((Date.now() - started) / 1000).toFixed(1)}s ${msg}`.trim(),
    );
  const prefix = `faults-${spec.name}-${randomUUID().slice(0, 6)}.`;
  const names = topicNames(prefix);
  const group = `${prefix}transformer`;
  const env = {
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    prefix,
    runId: stack.runId,
  };
  const services: ServiceChild[] = [];
  const readiness: ReadinessSample[] = [];
  /** Per transformer, its committed-record count; per `<transformer>\0<partition>`, that partition's. */
  const processed = new Map<string, { at: number; value: number }[]>();
  const processedPerPartition = new Map<string, { at: number; value: number }[]>();
  let window: FaultWindow = {};
  let sampling = true;
  let samplers: Promise<void> | undefined;
  let load: LoadGenerator | undefined;
  let stats: LoadStats | undefined;
  let report: VerifyReport | undefined;
  let error: Error | undefined;
  let loadStoppedAt: number | undefined;
  const admin = createKafka({
    brokers: stack.brokers.split(','),
    clientId: `faults-${spec.name}`,
  }).admin();
  const rate = spec.rate ?? faultConfig.FAULTS_RATE;
  const transformers: ServiceChild[] = [];
  try {
    await admin.connect();
    const specs = topicSpecs(prefix, {
      partitions: spec.partitions ?? PARTITIONS,
      ...(spec.replicationFactor ? { replicationFactor: spec.replicationFactor } : {}),
      ...(spec.minInsyncReplicas ? { minInsyncReplicas: spec.minInsyncReplicas } : {}),
    });
    await applyTopics(admin, spec.topics ? spec.topics(specs) : specs);

    const ingress = await spawnIngress(`${spec.name}-ingress`, env, secret);
    services.push(ingress);
    const ingressReady = waitReady(ingress, 60_000);
    ingressReady.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    // One transformer after the other: the first registers the schemas, so the scenario tests
    // its fault and not two instances racing to create the same registry subjects.
    for (let i = 0; i < (spec.transformers ?? 1); i++) {
      const t = await spawnTransformer(`${spec.name}-transformer-${i + 1}`, env, group);
      services.push(t);
      transformers.push(t);
      await waitReady(t, 120_000);
    }
    await ingressReady;
    log(
      `topics ${prefix}*, ingress pid ${ingress.pid}, transformer pid(s) ${transformers.map((t) => t.pid).join(', ')}: ready`,
    );

    samplers = Promise.all([
      sampleEach(
        services,
        500,
        () => sampling,
        async (s) => {
          const status = await readyz(s);
          readiness.push({ at: Date.now(), service: s.name.slice(spec.name.length + 1), status });
        },
      ),
      sampleEach(
        transformers,
        200,
        () => sampling,
        async (t) => {
          const perPartition = await processedByPartition(t);
          if (perPartition === undefined) return;
          const at = Date.now();
          const append = (map: typeof processed, key: string, value: number) => {
            const series = map.get(key) ?? [];
            series.push({ at, value });
            map.set(key, series);
          };
          append(
            processed,
            t.name,
            [...perPartition.values()].reduce((a, b) => a + b, 0),
          );
          for (const [partition, value] of perPartition)
            append(processedPerPartition, `${t.name}\u0000${partition}`, value);
        },
      ),
    ]).then(() => undefined);

    load = new LoadGenerator({
      url: `${ingress.baseUrl}/webhooks/ghl`,
      secret,
      rate,
      idPrefix: prefix,
      // Bounds in case a step below hangs: the whole scenario plus a minute, never unbounded.
      maxEvents: rate * (spec.beforeS + spec.afterS + 240),
      maxSeconds: spec.beforeS + spec.afterS + 240,
    });
    load.start();
    log(`load: ${rate}/s signed contact.created`);
    await sleep(spec.beforeS * 1000);

    window = await spec.fault({
      name: spec.name,
      stack,
      prefix,
      names,
      ingress,
      transformers,
      load,
      log,
      admin,
      group,
    });
    await sleep(spec.afterS * 1000);
    loadStoppedAt = Date.now();
    stats = await load.stop();
    log(
      `load stopped: sent ${stats.sent}, ${[...stats.statuses].map(([s, n]) => `${s}:${n}`).join(' ')}`,
    );

    const drained = await drain(stack, names, group, transformers, DRAIN_TIMEOUT_MS);
    log(
      drained
        ? 'drained: the group committed the end of ghl.raw'
        : `NOT drained after ${DRAIN_TIMEOUT_MS / 1000} s`,
    );
    report = await verifyCommitted({
      brokers: stack.brokers,
      topics: [names.raw, ...DOMAIN_KEYS.map((d) => names[d]), names.dlq],
      timeoutMs: 60_000,
      waitLsoMs: 15_000,
      locateTopic: names.raw,
    });
    log(`verifier: ${report.records} records read_committed`);
    // Readiness "at the end" is the services' state after the count, not their answer to the
    // topics being deleted under them below (a rebalance: the transformer says 503 meanwhile).
    sampling = false;
    await samplers;
    // Counted: the topics go, so a later node restart has fewer partitions to load and
    // replicate (restarts dominate the suites' run time). FAULTS_KEEP_TOPICS=1 keeps them.
    if (!faultConfig.FAULTS_KEEP_TOPICS && !spec.keepTopics)
      await admin
        .deleteTopics({ topics: Object.values(names) })
        .catch((err: unknown) => log(`topics not deleted: ${(err as Error).message}`));
  } catch (err) {
    error = err as Error;
    log(`FAILED: ${error.message.split('\n')[0]}`);
  } finally {
    sampling = false;
    await samplers;
    if (load && !stats) stats = await load.stop();
    await admin.disconnect().catch(() => undefined);
  }

  const transformersAlive = transformers.map((t) => t.alive());
  const stopped = await Promise.all(services.map(async (s) => `${s.name} ${await s.stop()}`));
  const evidence = Object.fromEntries(services.map((s) => [s.name, logDigest(s.logFile)]));
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
    row = buildRow(spec.name, stats, report, names, recoveryS);
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
    text = formatFailedRow(spec.name, error?.message.split('\n')[0] ?? 'no verifier report');
  }
  appendToTable(text);
  console.log(`\n${text}\n`);
  return {
    prefix,
    row,
    error,
    window,
    readiness,
    readinessDuring: during,
    readinessAfter: after,
    transformersAlive,
    stopped,
    evidence,
    details,
    text,
    commitPauseS,
    acceptPauseS,
  };
}

/** When the transformers' total of committed records went up (each one's last value summed). */
export function progressTimes(series: Map<string, { at: number; value: number }[]>): number[] {
  const events = [...series].flatMap(([name, s]) => s.map((p) => ({ name, ...p })));
  events.sort((a, b) => a.at - b.at);
  const last = new Map<string, number>();
  const times: number[] = [];
  let total = 0;
  for (const e of events) {
    last.set(e.name, e.value);
    const now = [...last.values()].reduce((a, b) => a + b, 0);
    if (now > total) times.push(e.at);
    total = now;
  }
  return times;
}

/** The longest gap in seconds between consecutive `times` (and the bounds) within [from, to]. */
export function longestPause(times: number[], from: number, to: number): number {
  let prev = from;
  let longest = 0;
  for (const t of times) {
    if (t <= from) continue;
    if (t > to) break;
    longest = Math.max(longest, t - prev);
    prev = t;
  }
  return Math.max(longest, to - prev) / 1000;
}

/** "1.2s" from `from` to the first timestamp after it, or "never". */
function secondsAfter(times: number[], from: number): string {
  const t = times.find((at) => at > from);
  return t === undefined ? 'never' : `${((t - from) / 1000).toFixed(1)}s`;
}

/** Calls `fn` for every item every `everyMs` while `active()`; one slow item never stalls another. */
async function sampleEach<T>(
  items: T[],
  everyMs: number,
  active: () => boolean,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  await Promise.all(
    items.map(async (item) => {
      while (active()) {
        const next = Date.now() + everyMs;
        await fn(item);
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
      }
    }),
  );
}

/**
 * Seconds from `backAt` to the first sample whose total of committed records (each transformer's
 * last known counter, so a frozen instance does not look like a drop) exceeds the total at
 * `backAt`; null when it never moved again.
 */
export function recoverySeconds(
  series: Map<string, { at: number; value: number }[]>,
  backAt: number,
): number | null {
  const events = [...series].flatMap(([name, s]) => s.map((p) => ({ name, ...p })));
  events.sort((a, b) => a.at - b.at);
  const last = new Map<string, number>();
  const total = () => [...last.values()].reduce((a, b) => a + b, 0);
  let baseline: number | undefined;
  for (const e of events) {
    if (e.at > backAt && baseline === undefined) baseline = total();
    last.set(e.name, e.value);
    if (baseline !== undefined && total() > baseline) return (e.at - backAt) / 1000;
  }
  return null;
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

/**
 * Seconds from `backAt` until every partition committed again: `series` is keyed
 * `<instance>\0<partition>`; per partition, the instances' counts are summed as in
 * recoverySeconds (a partition that moved between instances counts wherever it committed).
 * null when some partition never committed again; `slowest` is the partition that took longest.
 */
export function everyPartitionRecovered(
  series: Map<string, { at: number; value: number }[]>,
  backAt: number,
): { seconds: number | null; slowest?: string } {
  const byPartition = new Map<string, Map<string, { at: number; value: number }[]>>();
  for (const [key, points] of series) {
    const partition = key.slice(key.indexOf('\u0000') + 1);
    const group = byPartition.get(partition) ?? new Map<string, { at: number; value: number }[]>();
    group.set(key, points);
    byPartition.set(partition, group);
  }
  let worst: { seconds: number | null; slowest?: string } = { seconds: null };
  let first = true;
  for (const [partition, group] of byPartition) {
    const s = recoverySeconds(group, backAt);
    if (s === null) return { seconds: null, slowest: partition };
    if (first || s > (worst.seconds ?? 0)) worst = { seconds: s, slowest: partition };
    first = false;
  }
  return worst;
}

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

/**
 * Waits until the transformer group has committed the end of every ghl.raw partition (nothing
 * left to transform), or `timeoutMs`, or until no transformer is alive. kafkajs is fine here: the
 * count itself comes from the Java verifier.
 */
async function drain(
  stack: FaultStack,
  names: TopicNames,
  group: string,
  transformers: ServiceChild[],
  timeoutMs: number,
): Promise<boolean> {
  const admin = createKafka({
    brokers: stack.brokers.split(','),
    clientId: 'faults-drain',
  }).admin();
  const deadline = Date.now() + timeoutMs;
  try {
    await admin.connect();
    while (Date.now() < deadline && transformers.some((t) => t.alive())) {
      try {
        const ends = await admin.fetchTopicOffsets(names.raw);
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [names.raw] });
        const at = new Map(committed?.partitions.map((p) => [p.partition, p.offset]) ?? []);
        if (ends.every((e) => at.get(e.partition) === e.offset)) return true;
      } catch {
        // Coordinator loading after a restart: ask again.
      }
      await sleep(500);
    }
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
