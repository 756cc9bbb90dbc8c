// `npm run bench:e2e`: signed webhooks at a fixed rate (1,000/s by default) through the real
// ingress, and the time from each 200 to the moment its record is visible to a read_committed
// consumer, twice in one run:
//   eos          the exactly-once transformer (ghl.raw -> neuronx.contact, transactional);
//   passthrough  the at-least-once baseline: a plain consume -> produce copy of ghl.raw
//                (test/bench/passthrough.ts), acks=all, offsets committed after each batch.
// For the exactly-once run it prints where an event's time goes, from the transformer's
// transformer_record_stage_seconds histogram (scraped when measuring starts and at the end), and
// for both the CPU the broker and the consuming process spent per event.
// A third run replaces the transformer with Apache Kafka's own Java client doing an exactly-once
// copy (test/bench/java/EosCopy.java: one transaction per poll, KIP-447 group metadata, the
// broker's transaction version): what exactly-once costs here when no decoding, registry or dedup
// does, against the same passthrough.
// Ingress, transformer, passthrough and Java copy run as child processes; the load and the
// observing consumer run here.
//
// Env: BENCH_RATE (default 1000/s), BENCH_DURATION_S (30), BENCH_WARMUP_S (5), BENCH_BASELINE
// (1: also run the passthrough), BENCH_JAVA_EOS (1: also run the Java exactly-once copy),
// BENCH_JAVA_RETRY_BACKOFF_MS (the Java copy's retry.backoff.ms, 5; the client's default of 100
// put its 200/s p99 at 136-185 ms instead of 51 ms: TxnOffsetCommit retries after
// CONCURRENT_TRANSACTIONS wait that long), KAFKA_BROKERS/
// SCHEMA_REGISTRY_URL (else the local stack), BENCH_BROKER_PIDS with an external broker. The last
// line on stdout is the JSON result.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { int, loadConfig } from '../../services/common/src/config.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { OUTPUT_HEADERS } from '../../services/common/src/record-headers.js';
import { applyTopics } from '../../services/common/src/kafka/topic-apply.js';
import { topicNames, topicSpecs } from '../../services/common/src/topics.js';
import { freePort } from '../../infra/local-stack/free-port.js';
import { TRANSFORMER_NODE_FLAGS } from '../../services/transformer/src/node-flags.js';
import { benchStack, cpuMs, sumCpuMs as sumCpu, type BenchStack } from './bench-stack.js';
import {
  percentile,
  printBreakdown,
  round,
  scrapeTransformer,
  stageSummaries,
  type PhaseMode,
  type PhaseResult,
} from './e2e-breakdown.js';
import { isRunning } from './bench-children.js';
import {
  childLog,
  startChild,
  startJavaChild,
  stopChildren,
  waitForLogLine,
  waitOk,
} from './e2e-children.js';
import { agent, post, signedWebhook } from './e2e-load.js';

const config = loadConfig({
  BENCH_RATE: int({ default: 1000, min: 1, describe: 'webhooks per second' }),
  BENCH_DURATION_S: int({ default: 30, min: 1, describe: 'seconds of measured load' }),
  BENCH_WARMUP_S: int({
    default: 5,
    min: 0,
    describe: 'seconds of load before measuring (JIT, connections, first transactions)',
  }),
  BENCH_BASELINE: int({
    default: 1,
    min: 0,
    max: 1,
    describe: '1: also run the at-least-once passthrough at the same rate',
  }),
  BENCH_JAVA_EOS: int({
    default: 1,
    min: 0,
    max: 1,
    describe: "1: also run Kafka's Java client as an exactly-once copy at the same rate",
  }),
  BENCH_JAVA_RETRY_BACKOFF_MS: int({
    default: 5,
    min: 0,
    max: 10_000,
    describe: "the Java exactly-once copy's retry.backoff.ms (the client's default is 100)",
  }),
});
const log = (...parts: unknown[]) => console.error('[bench:e2e]', ...parts);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const SECRET = `bench-${randomUUID()}`;

/**
 * One measured run: an ingress and the consuming child (`mode`) on fresh topics, open-loop load
 * at BENCH_RATE, an observer on the output topic. Throws when the services do not get ready.
 */
async function runPhase(
  mode: PhaseMode,
  stack: BenchStack,
  kafka: Kafka,
  admin: Admin,
): Promise<PhaseResult> {
  const prefix = `e2e-${mode}-${randomUUID().slice(0, 8)}.`;
  const names = topicNames(prefix);
  const children: ChildProcess[] = [];
  let consumer: ReturnType<Kafka['consumer']> | undefined;
  try {
    await applyTopics(admin, topicSpecs(prefix));
    const port = await freePort();
    const common = {
      KAFKA_BROKERS: stack.brokers,
      SCHEMA_REGISTRY_URL: stack.registryUrl,
      TOPIC_PREFIX: prefix,
    };
    children.push(
      startChild(`${mode}-ingress`, 'services/ingress/src/main.ts', {
        ...common,
        INGRESS_PORT: String(port),
        WEBHOOK_HMAC_SECRETS: SECRET,
      }),
    );
    const metricsPort = await freePort();
    /** The consuming child's name: its log is childLog(workerName). */
    const workerName = mode === 'eos' ? 'transformer' : mode;
    const worker =
      mode === 'eos'
        ? startChild(
            workerName,
            'services/transformer/src/main.ts',
            {
              ...common,
              TRANSFORMER_GROUP_ID: `${prefix}transformer`,
              TRANSFORMER_METRICS_PORT: String(metricsPort),
            },
            TRANSFORMER_NODE_FLAGS,
          )
        : mode === 'passthrough'
          ? startChild(workerName, 'test/bench/passthrough.ts', {
              KAFKA_BROKERS: stack.brokers,
              INPUT: names.raw,
              OUTPUT: names.contact,
              GROUP: `${prefix}passthrough`,
            })
          : await startJavaChild(workerName, 'EosCopy', [
              ...['--brokers', stack.brokers, '--input', names.raw],
              ...['--output', names.contact, '--group', `${prefix}eos-java`],
              ...['--retry-backoff-ms', String(config.BENCH_JAVA_RETRY_BACKOFF_MS)],
            ]);
    children.push(worker);
    /** Throws when the consuming process died: its figures would be nothing but timeouts. */
    const workerAlive = () => {
      if (!isRunning(worker))
        throw new Error(
          `${mode}: ${workerName} exited (code ${worker.exitCode}, signal ${worker.signalCode}); see ${childLog(workerName)}`,
        );
    };
    await waitOk(`http://127.0.0.1:${port}/readyz`, 60_000);
    // The Java copy has no /readyz: it logs its first partition assignment.
    if (mode === 'eos-java')
      await waitForLogLine(workerName, worker, '[eos-copy] assigned', 60_000);
    if (mode === 'eos') await waitOk(`http://127.0.0.1:${metricsPort}/readyz`, 120_000);
    const scrape = async () =>
      mode === 'eos' ? scrapeTransformer(`http://127.0.0.1:${metricsPort}/metrics`) : undefined;

    // The observer: every record of the output topic, read_committed, timed on arrival. The
    // transformer's outputs carry the event ID in a header; the passthrough and the Java copy
    // copy ghl.raw, whose key is the event ID.
    const acceptedAt = new Map<string, number>();
    const latencies: number[] = [];
    const ingressMs: number[] = [];
    let outputsSeen = 0;
    const warmupCount = config.BENCH_RATE * config.BENCH_WARMUP_S;
    // Only events sent after the warm-up count towards the percentiles.
    const measured = (id: string) => Number(id.slice(prefix.length)) >= warmupCount;
    const record = (id: string, ms: number) => {
      outputsSeen++;
      if (measured(id)) latencies.push(ms);
    };
    consumer = kafka.consumer({
      groupId: `${prefix}observer`,
      readUncommitted: false,
      maxWaitTimeInMs: 50,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: names.contact, fromBeginning: true });
    const early = new Map<string, number>();
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const id = (m.headers?.[OUTPUT_HEADERS.id] ?? m.key)?.toString() ?? '';
          const at = acceptedAt.get(id);
          if (at === undefined) early.set(id, now);
          else record(id, now - at);
        }
      },
    });
    await sleep(2000);

    const url = new URL(`http://127.0.0.1:${port}/webhooks/ghl`);
    const total = warmupCount + config.BENCH_RATE * config.BENCH_DURATION_S;
    const statuses = new Map<number, number>();
    const inFlight = new Set<Promise<void>>();
    const started = Date.now();
    log(
      `${mode}: sending ${total} webhooks at ${config.BENCH_RATE}/s: ${config.BENCH_WARMUP_S}s warm-up, then ${config.BENCH_DURATION_S}s measured`,
    );
    /** Histograms and CPU when measuring starts (after the warm-up). */
    let before: {
      transformer: Awaited<ReturnType<typeof scrape>>;
      broker?: number;
      worker?: number;
    } = { transformer: undefined };
    for (let i = 0; i < total; i++) {
      if (i === warmupCount) {
        before = {
          transformer: await scrape(),
          broker: sumCpu(stack.brokerPids),
          worker: cpuMs(worker.pid),
        };
      }
      // Open loop: request i leaves at its scheduled time whatever the earlier ones are doing.
      const due = started + (i * 1000) / config.BENCH_RATE;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      const eventId = `${prefix}${i}`;
      const { body, signature } = signedWebhook(i, eventId, SECRET);
      const sentAt = Date.now();
      const p: Promise<void> = post(url, body, signature).then((status) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200) {
          const now = Date.now();
          if (measured(eventId)) ingressMs.push(now - sentAt);
          acceptedAt.set(eventId, now);
          const seen = early.get(eventId);
          if (seen !== undefined) record(eventId, seen - now);
        }
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const sendSeconds = (Date.now() - started) / 1000;
    const accepted = statuses.get(200) ?? 0;
    const deadline = Date.now() + 60_000;
    while (outputsSeen < accepted && Date.now() < deadline) {
      workerAlive();
      await sleep(100);
    }
    workerAlive();
    const after = {
      transformer: await scrape(),
      broker: sumCpu(stack.brokerPids),
      worker: cpuMs(worker.pid),
    };
    const events = Math.max(1, accepted - warmupCount);
    const perEvent = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? null : round((b - a) / events, 3);
    log(
      `${mode}: sent ${total} in ${sendSeconds.toFixed(1)}s (${Math.round(total / sendSeconds)}/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}, outputs seen ${outputsSeen}`,
    );
    const sorted = latencies.slice().sort((a, b) => a - b);
    const ingressSorted = ingressMs.sort((a, b) => a - b);
    const result: PhaseResult = {
      mode,
      sent: total,
      accepted,
      outputs: outputsSeen,
      measured: latencies.length,
      e2e_p50_ms: percentile(sorted, 50),
      e2e_p99_ms: percentile(sorted, 99),
      e2e_max_ms: sorted[sorted.length - 1] ?? NaN,
      ingress_p50_ms: percentile(ingressSorted, 50),
      ingress_p99_ms: percentile(ingressSorted, 99),
      broker_cpu_ms_per_event: perEvent(before.broker, after.broker),
      consumer_cpu_ms_per_event: perEvent(before.worker, after.worker),
    };
    if (before.transformer && after.transformer) {
      result.stages = stageSummaries(after.transformer.stages, before.transformer.stages);
      result.transactions = after.transformer.transactions - before.transformer.transactions;
      result.concurrent_transactions_retries =
        after.transformer.concurrentRetries - before.transformer.concurrentRetries;
    }
    return result;
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await stopChildren(children);
    await admin.deleteTopics({ topics: Object.values(names) }).catch(() => undefined);
  }
}

const stack = await benchStack(log);
const kafka = createKafka({ brokers: [stack.brokers], clientId: 'bench-e2e' });
const admin = kafka.admin();
await admin.connect();
try {
  const eos = await runPhase('eos', stack, kafka, admin);
  printBreakdown(eos, log);
  const passthrough = config.BENCH_BASELINE
    ? await runPhase('passthrough', stack, kafka, admin)
    : undefined;
  const javaEos = config.BENCH_JAVA_EOS
    ? await runPhase('eos-java', stack, kafka, admin)
    : undefined;
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a == null || b == null || !b ? null : round(a / b, 2);
  console.log(
    JSON.stringify({
      rate: config.BENCH_RATE,
      duration_s: config.BENCH_DURATION_S,
      e2e_p50_ms: eos.e2e_p50_ms,
      e2e_p99_ms: eos.e2e_p99_ms,
      passthrough_p50_ms: passthrough?.e2e_p50_ms ?? null,
      passthrough_p99_ms: passthrough?.e2e_p99_ms ?? null,
      eos_p99_over_passthrough_p99: ratio(eos.e2e_p99_ms, passthrough?.e2e_p99_ms),
      broker_cpu_eos_over_passthrough: ratio(
        eos.broker_cpu_ms_per_event,
        passthrough?.broker_cpu_ms_per_event,
      ),
      java_eos_p50_ms: javaEos?.e2e_p50_ms ?? null,
      java_eos_p99_ms: javaEos?.e2e_p99_ms ?? null,
      java_eos_p99_over_passthrough_p99: ratio(javaEos?.e2e_p99_ms, passthrough?.e2e_p99_ms),
      eos,
      passthrough: passthrough ?? null,
      eos_java: javaEos ?? null,
    }),
  );
} finally {
  await admin.disconnect();
  agent.destroy();
  await stack.release();
}
