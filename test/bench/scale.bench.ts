// `npm run bench:scale`: scale-out of the exactly-once transformer on the replicated 3-node
// cluster. For 1, 2 and 3 instances in one group on a 12-partition ghl.raw (RF 3, min ISR 2):
//   - throughput: a burst of BENCH_EVENTS records produced into ghl.raw while the group is
//     settled, timed from the group's first new commit to its committed offsets reaching the end;
//   - join pause: with N-1 instances working a steady BENCH_STEADY_RATE/s, instance N starts; the
//     longest stretch without a new commit of the group while it rebalances;
//   - leave pause: under the same steady load one instance is stopped (SIGTERM, it leaves the
//     group); the longest stretch without a commit while its partitions move;
//   - exactly-once over every record of the configuration, by the Java verifier (infra/verifier).
// One JSON line per configuration on stdout. The services are real child processes (the fault
// suite's launcher, test/faults/services.ts; logs in .stack/bench-scale/).
//
// Env: BENCH_EVENTS (default 12000), BENCH_STEADY_RATE (200), BENCH_PAUSE_WINDOW_S (15),
// KAFKA_BROKERS/SCHEMA_REGISTRY_URL (else the local stack, started with LOCAL_KAFKA_NODES or 3).
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Kafka, Producer } from 'kafkajs';
import { exactlyOnce, verifyCommitted } from '../../infra/verifier/verifier.js';
import { int, loadConfig } from '../../services/common/src/config.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { applyTopics } from '../../services/common/src/kafka/topic-apply.js';
import { DOMAIN_KEYS, topicNames, topicSpecs } from '../../services/common/src/topics.js';
import { reportDir } from '../faults/fault-env.js';
import { contactCreated } from '../faults/load.js';
import { longestPause, progressTimes } from '../faults/scenario-runner.js';
import {
  assignedPartitions,
  processedCount,
  spawnTransformer,
  stopAllServices,
  waitReady,
  type ServiceChild,
} from '../faults/services.js';
import { committedTotal } from '../helpers/committed-offsets.js';
import { rawMessage } from '../helpers/raw-events.js';
import { benchStack } from './bench-stack.js';

const config = loadConfig({
  BENCH_EVENTS: int({ default: 12_000, min: 100, describe: 'records of the throughput burst' }),
  BENCH_STEADY_RATE: int({
    default: 200,
    min: 1,
    describe: 'records per second while an instance joins or leaves',
  }),
  BENCH_PAUSE_WINDOW_S: int({
    default: 15,
    min: 3,
    describe: 'seconds observed after a join or a leave',
  }),
});
const PARTITIONS = 12;
// The service launcher logs to the fault suite's report dir, named by this (read lazily).
process.env.FAULTS_REPORT_NAME ??= 'bench-scale';
const log = (...parts: unknown[]) => console.error('[bench:scale]', ...parts);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** ghl.raw records straight into the topic (the ingress is not what is measured here). */
class RawFeed {
  private n = 0;
  readonly ids: string[] = [];
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly prefix: string,
  ) {}

  private messages(count: number) {
    return Array.from({ length: count }, () => {
      const n = this.n++;
      const id = `${this.prefix}${n}`;
      this.ids.push(id);
      return rawMessage(contactCreated(id, n), { eventId: id, eventType: 'contact.created' });
    });
  }

  async burst(count: number): Promise<void> {
    for (let sent = 0; sent < count; sent += 500) {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: this.messages(Math.min(500, count - sent)),
      });
    }
  }

  /** `rate`/s in tenth-of-a-second slices until `stop()` is called; resolves with a stop function. */
  steady(rate: number): () => Promise<void> {
    let on = true;
    const loop = (async () => {
      const started = Date.now();
      for (let tick = 0; on; tick++) {
        await this.producer.send({
          topic: this.topic,
          acks: -1,
          messages: this.messages(Math.max(1, Math.round(rate / 10))),
        });
        const wait = started + (tick + 1) * 100 - Date.now();
        if (wait > 0) await sleep(wait);
      }
    })();
    return async () => {
      on = false;
      await loop;
    };
  }
}

/** The group's commits (the instances' processed counters), sampled every 200 ms until stopped. */
function sampleProgress(instances: () => ServiceChild[]) {
  const series = new Map<string, { at: number; value: number }[]>();
  let on = true;
  const loop = (async () => {
    while (on) {
      await Promise.all(
        instances().map(async (t) => {
          const value = await processedCount(t);
          if (value === undefined) return;
          const s = series.get(t.name) ?? [];
          s.push({ at: Date.now(), value });
          series.set(t.name, s);
        }),
      );
      await sleep(200);
    }
  })();
  return {
    times: () => progressTimes(series),
    stop: async () => {
      on = false;
      await loop;
    },
  };
}

/** Until every partition has an owner and every instance owns at least one. */
async function settled(instances: ServiceChild[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const owned = await Promise.all(instances.map((t) => assignedPartitions(t)));
    const total = owned.reduce<number>((a, b) => a + (b ?? 0), 0);
    if (total === PARTITIONS && owned.every((n) => (n ?? 0) > 0)) return Date.now() - started;
    await sleep(250);
  }
  throw new Error(`group not settled on ${instances.length} instances after ${timeoutMs} ms`);
}

async function drain(kafka: Kafka, group: string, topic: string, end: number, timeoutMs: number) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await committedTotal(admin, group, topic)) >= end) return Date.now();
      await sleep(100);
    }
    throw new Error(`${group} did not reach ${end} on ${topic} within ${timeoutMs} ms`);
  } finally {
    await admin.disconnect();
  }
}

async function runConfiguration(
  stack: { brokers: string; registryUrl: string },
  instances: number,
  replicas: number,
): Promise<Record<string, unknown>> {
  const runId = randomUUID().slice(0, 6);
  const prefix = `scale-${instances}-${runId}.`;
  const names = topicNames(prefix);
  const group = `${prefix}transformer`;
  const env = { brokers: stack.brokers, registryUrl: stack.registryUrl, prefix, runId };
  const kafka = createKafka({ brokers: stack.brokers.split(','), clientId: 'bench-scale' });
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(
    admin,
    topicSpecs(prefix, {
      partitions: PARTITIONS,
      replicationFactor: replicas,
      minInsyncReplicas: Math.min(2, replicas),
    }),
  );
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const feed = new RawFeed(producer, names.raw, prefix);
  const running: ServiceChild[] = [];
  const progress = sampleProgress(() => running);
  const start = async (i: number) => {
    const t = await spawnTransformer(`scale-${instances}-t${i}`, env, group);
    running.push(t);
    await waitReady(t, 120_000);
    return t;
  };
  const window = async (from: number) => {
    await sleep(config.BENCH_PAUSE_WINDOW_S * 1000);
    return longestPause(progress.times(), from, Date.now());
  };
  try {
    for (let i = 1; i < instances; i++) await start(i);
    let joinPauseS: number | undefined;
    if (instances > 1) {
      await settled(running, 60_000);
      const stopSteady = feed.steady(config.BENCH_STEADY_RATE);
      await sleep(3000);
      const joinAt = Date.now();
      await start(instances);
      joinPauseS = await window(joinAt);
      await stopSteady();
    } else {
      await start(1);
    }
    await settled(running, 60_000);
    // The burst: counted from the group's first commit after it, to its end committed.
    const before = await committedTotal(admin, group, names.raw);
    const burstAt = Date.now();
    await feed.burst(config.BENCH_EVENTS);
    const produced = Date.now();
    const end = feed.ids.length;
    const firstCommit = progress.times().find((t) => t > burstAt) ?? produced;
    const drainedAt = await drain(kafka, group, names.raw, end, 300_000);
    const seconds = (drainedAt - Math.min(firstCommit, produced)) / 1000;
    const throughput = Math.round((end - before) / seconds);
    log(
      `${instances} instance(s): ${end - before} records in ${seconds.toFixed(1)}s (produced in ${((produced - burstAt) / 1000).toFixed(1)}s)`,
    );
    let leavePauseS: number | undefined;
    if (instances > 1) {
      const stopSteady = feed.steady(config.BENCH_STEADY_RATE);
      await sleep(3000);
      const leaveAt = Date.now();
      const leaving = running[running.length - 1]!;
      const how = await leaving.stop();
      log(`${leaving.name} stopped (${how})`);
      leavePauseS = await window(leaveAt);
      await stopSteady();
    }
    await drain(kafka, group, names.raw, feed.ids.length, 120_000);
    const report = await verifyCommitted({
      brokers: stack.brokers,
      topics: [...DOMAIN_KEYS.map((d) => names[d]), names.dlq],
      timeoutMs: 120_000,
      waitLsoMs: 15_000,
    });
    const eo = exactlyOnce(report, new Set(feed.ids));
    const duplicated = Object.keys(eo.duplicated).length;
    return {
      bench: 'scale',
      instances,
      partitions: PARTITIONS,
      replication_factor: replicas,
      burst_records: end - before,
      throughput_per_s: throughput,
      join_pause_s: joinPauseS === undefined ? null : Number(joinPauseS.toFixed(1)),
      leave_pause_s: leavePauseS === undefined ? null : Number(leavePauseS.toFixed(1)),
      records_total: feed.ids.length,
      exactly_once: eo.missing.length === 0 && duplicated === 0 && eo.unexpected.length === 0,
      missing: eo.missing.length,
      duplicated,
      hanging: report.hanging.length,
    };
  } finally {
    await progress.stop();
    await stopAllServices();
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

mkdirSync(reportDir(), { recursive: true });
const stack = await benchStack(log, { nodes: 3 });
let failed = false;
try {
  const probe = createKafka({ brokers: stack.brokers.split(','), clientId: 'bench-scale' }).admin();
  await probe.connect();
  const brokers = (await probe.describeCluster()).brokers.length;
  await probe.disconnect();
  if (brokers < 3) log(`WARNING: ${brokers} broker(s); the figures are meant for 3 (RF 3)`);
  for (const instances of [1, 2, 3]) {
    const line = await runConfiguration(stack, instances, Math.min(3, brokers));
    console.log(JSON.stringify(line));
    if (line.exactly_once !== true) failed = true;
  }
} finally {
  await stopAllServices();
  await stack.release();
}
process.exitCode = failed ? 1 : 0;
