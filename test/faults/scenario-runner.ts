// One fault scenario from start to count: fresh topics under their own prefix, a real ingress and
// real transformer(s) as child processes, webhook load, the scenario's fault, then the pipeline
// drains and the independent Java verifier (infra/verifier) counts what read_committed consumers
// see. While it runs, /readyz of every service and the transformers' `processed` counters are
// sampled, which gives the readiness during the outage and the recovery time.
import { randomUUID } from 'node:crypto';
import { verifyCommitted, type VerifyReport } from '../../infra/verifier/verifier.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { applyTopics } from '../../services/common/src/kafka/topic-apply.js';
import { DOMAIN_KEYS, topicNames, topicSpecs } from '../../services/common/src/topics.js';
import { faultConfig, type FaultStack } from './fault-env.js';
import { LoadGenerator, type LoadStats } from './load.js';
import { drain, sampleServices } from './pipeline-probes.js';
import { appendToTable, logDigest } from './report.js';
import { summariseScenario } from './scenario-summary.js';
import type {
  FaultWindow,
  ReadinessSample,
  ScenarioOutcome,
  ScenarioSpec,
} from './scenario-types.js';
import { spawnIngress, spawnTransformer, waitReady, type ServiceChild } from './services.js';

export type {
  FaultWindow,
  ReadinessSample,
  ScenarioContext,
  ScenarioOutcome,
  ScenarioSpec,
} from './scenario-types.js';
export {
  everyPartitionRecovered,
  longestPause,
  progressTimes,
  recoverySeconds,
} from './recovery.js';

const PARTITIONS = 3;
/** How long the transformer gets to catch up after the load; a healthy one needs a second or two. */
const DRAIN_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

    samplers = sampleServices(
      spec.name,
      services,
      transformers,
      () => sampling,
      readiness,
      processed,
      processedPerPartition,
    );

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
  const summary = summariseScenario({
    name: spec.name,
    stack,
    prefix,
    names,
    window,
    readiness,
    processed,
    processedPerPartition,
    loadStoppedAt,
    stats,
    report,
    error,
    transformersAlive,
    stopped,
  });
  const { row, text } = summary;
  appendToTable(text);
  console.log(`\n${text}\n`);
  return {
    prefix,
    row,
    error,
    window,
    readiness,
    readinessDuring: summary.during,
    readinessAfter: summary.after,
    transformersAlive,
    stopped,
    evidence,
    details: summary.details,
    text,
    commitPauseS: summary.commitPauseS,
    acceptPauseS: summary.acceptPauseS,
  };
}
