// `npm run bench:transformer`: preloads N raw events (a realistic mix of the 21 seed types, many
// entities) and measures, in the same run and the same arrangement (a child process each):
//   (a) the exactly-once transformer (services/transformer/src/main.ts), and
//   (b) a plain non-transactional kafkajs consume -> produce passthrough (test/bench/passthrough.ts).
// Both are timed the same way: from the first committed progress of the group to the moment its
// committed offsets reach the end of ghl.raw (for (a) that is also when the last output becomes
// visible to read_committed consumers: offsets and outputs commit in one transaction).
// exactly_once is checked afterwards by the Java exactly-once verifier (infra/verifier: the Apache
// Kafka client, read_committed, not kafkajs): every event ID exactly once across the output topics,
// nothing in the DLQ, no transaction left open.
//
// Env: BENCH_EVENTS (default 200000), KAFKA_BROKERS/SCHEMA_REGISTRY_URL (else the local stack),
// and any TRANSFORMER_* setting, passed on. The last line on stdout is the JSON result.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Admin, Kafka, Message } from 'kafkajs';
import { exactlyOnce, verifyCommitted } from '../../infra/verifier/verifier.js';
import { int, loadConfig } from '../../services/common/src/config.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { projectRoot } from '../../services/common/src/project-root.js';
import { applyTopics, createTopicsAndWait } from '../../services/common/src/kafka/topic-apply.js';
import { DOMAIN_KEYS, topicNames, topicSpecs } from '../../services/common/src/topics.js';
import { TRANSFORMER_NODE_FLAGS } from '../../services/transformer/src/node-flags.js';
import { SEED_FIXTURES } from '../fixtures/index.js';
import { committedTotal } from '../helpers/committed-offsets.js';
import { rawMessage } from '../helpers/raw-events.js';
import { killChildren, trackChild } from './bench-children.js';
import { benchStack, peakRssMb, sumCpuMs } from './bench-stack.js';
import { freePort } from '../../infra/local-stack/free-port.js';

const config = loadConfig({
  BENCH_EVENTS: int({ default: 200_000, min: 1000, describe: 'raw events to preload' }),
  BENCH_PARTITIONS: int({ default: 6, min: 1, describe: 'partitions of every topic' }),
});
const N = config.BENCH_EVENTS;
const log = (...parts: unknown[]) => console.error('[bench:transformer]', ...parts);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seed bodies with entity ids spread over 5,000 entities, so output keys spread like real data. */
function rawEvents(runId: string): Message[] {
  const templates = SEED_FIXTURES.map((f) => f.bytes.toString('utf8'));
  const messages: Message[] = [];
  for (let i = 0; i < N; i++) {
    const body = templates[i % templates.length]!.replace(
      /"(id|contactId|conversationId|workflowId)": ?"([^"]+)"/g,
      (_m, field: string, id: string) => `"${field}":"${id}_${i % 5000}"`,
    );
    messages.push(rawMessage(body, { eventId: `bench-${runId}-${i}` }));
  }
  return messages;
}

async function preload(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const started = Date.now();
  const slices: Message[][] = [];
  for (let i = 0; i < messages.length; i += 500) slices.push(messages.slice(i, i + 500));
  await Promise.all(
    [0, 1, 2, 3].map(async (lane) => {
      for (let i = lane; i < slices.length; i += 4)
        await producer.send({ topic, acks: -1, messages: slices[i]! });
    }),
  );
  await producer.disconnect();
  log(`preloaded ${messages.length} events in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** Heap, external memory, RSS and dedup keys as the transformer's own /metrics reports them. */
async function memoryBreakdown(url: string): Promise<string> {
  const lines = (await (await fetch(url)).text()).split('\n');
  const sum = (name: string) =>
    lines
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  const mb = (n: number) => Math.round(n / 1e6);
  return (
    `rss ${mb(sum('process_resident_memory_bytes'))} MB, heap used ${mb(sum('nodejs_heap_size_used_bytes'))} ` +
    `of ${mb(sum('nodejs_heap_size_total_bytes'))} MB, external ${mb(sum('nodejs_external_memory_bytes'))} MB, ` +
    `dedup keys ${sum('transformer_dedup_keys')}` +
    (process.env.BENCH_HEAP_SPACES
      ? `\n${lines.filter((l) => l.startsWith('nodejs_heap_space_size_used_bytes')).join('\n')}`
      : '')
  );
}

/** Runs `child` until the group's committed offsets cover all N records; returns events/s and peak RSS. */
async function measure(
  name: string,
  child: ChildProcess,
  admin: Admin,
  groupId: string,
  topic: string,
  brokerPids: readonly number[],
  metricsUrl?: string,
) {
  let t0 = 0;
  let at0 = 0;
  let brokerCpu0: number | undefined;
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited early with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${name} did not finish`);
    // Retries NOT_COORDINATOR / coordinator loading, which a fresh stack answers at first.
    const done = await committedTotal(admin, groupId, topic);
    if (t0 === 0 && done > 0) {
      t0 = Date.now();
      at0 = done;
      brokerCpu0 = sumCpuMs(brokerPids);
    }
    if (done >= N) break;
    await sleep(50);
  }
  const seconds = (Date.now() - t0) / 1000;
  const brokerCpu1 = sumCpuMs(brokerPids);
  // The brokers' CPU per event over the same window (null without broker pids).
  const brokerCpuMsPerEvent =
    brokerPids.length === 0 || brokerCpu0 === undefined || brokerCpu1 === undefined
      ? null
      : Number(((brokerCpu1 - brokerCpu0) / (N - at0)).toFixed(3));
  const rss = child.pid ? peakRssMb(child.pid) : undefined;
  if (metricsUrl) log(`${name} memory at the end: ${await memoryBreakdown(metricsUrl)}`);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  const eps = Math.round((N - at0) / seconds);
  log(
    `${name}: ${N - at0} events in ${seconds.toFixed(2)}s after first commit = ${eps} events/s, peak RSS ${rss} MB`,
  );
  return { eps, rss: rss ?? 0, brokerCpuMsPerEvent };
}

/**
 * Both sides run as built JavaScript with plain node (the build is incremental), as in
 * production: no TypeScript loader in the measured processes. BENCH_CPU_PROF=1 writes a V8 CPU
 * profile of each child into .stack/bench/.
 */
function spawnBuilt(script: string, env: Record<string, string>): ChildProcess {
  // Both sides get the transformer's production Node flags, so the comparison stays like for like.
  const prof = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${join(projectRoot(), '.stack', 'bench')}`]
    : [];
  const child = spawn(
    process.execPath,
    [...TRANSFORMER_NODE_FLAGS, ...prof, join(projectRoot(), 'dist', script)],
    {
      cwd: projectRoot(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return trackChild(child, script);
}

/**
 * Counts the output topics and the DLQ with the Java verifier: true when every expected ID is
 * there exactly once, nothing else is, the DLQ is empty and no transaction is left open.
 */
async function verifyExactlyOnce(
  brokers: string,
  outputTopics: string[],
  dlqTopic: string,
  expectedIds: Set<string>,
): Promise<boolean> {
  const report = await verifyCommitted({
    brokers,
    topics: [...outputTopics, dlqTopic],
    waitLsoMs: 30_000,
    timeoutMs: 300_000,
  });
  const check = exactlyOnce(report, expectedIds);
  const duplicated = Object.keys(check.duplicated).length;
  const dlq = report.perTopic[dlqTopic] ?? 0;
  const ok =
    check.missing.length === 0 &&
    duplicated === 0 &&
    check.unexpected.length === 0 &&
    dlq === 0 &&
    report.hanging.length === 0 &&
    report.records === expectedIds.size;
  log(
    `verified (Java client, read_committed): ${report.records} records, ${Object.keys(report.ids).length} distinct event ids, ` +
      `missing ${check.missing.length}, duplicated ${duplicated}, unexpected ${check.unexpected.length}, ` +
      `dlq ${dlq}, hanging ${report.hanging.join(' ') || 'none'}: exactly once: ${ok}`,
  );
  return ok;
}

log('building (tsc, incremental)…');
// The transformer (the build) and the passthrough baseline (the benchmarks' own build).
for (const project of ['tsconfig.build.json', 'tsconfig.bench.json'])
  execFileSync(
    process.execPath,
    [join(projectRoot(), 'node_modules/typescript/bin/tsc'), '-p', project],
    { cwd: projectRoot(), stdio: 'inherit' },
  );
const stack = await benchStack(log);
const runId = randomUUID().slice(0, 8);
const prefix = `bench-${runId}.`;
const names = topicNames(prefix);
const passthroughTopic = `${prefix}passthrough`;
const kafka = createKafka({ brokers: [stack.brokers], clientId: 'bench-transformer' });
const admin = kafka.admin();
await admin.connect();
try {
  await applyTopics(admin, topicSpecs(prefix, { partitions: config.BENCH_PARTITIONS }));
  await createTopicsAndWait(admin, [
    { topic: passthroughTopic, numPartitions: config.BENCH_PARTITIONS },
  ]);
  const messages = rawEvents(runId);
  await preload(kafka, names.raw, messages);

  const transformerGroup = `${prefix}transformer`;
  const metricsPort = await freePort();
  const eos = await measure(
    'exactly-once transformer',
    spawnBuilt('services/transformer/src/main.js', {
      KAFKA_BROKERS: stack.brokers,
      SCHEMA_REGISTRY_URL: stack.registryUrl,
      TOPIC_PREFIX: prefix,
      TRANSFORMER_GROUP_ID: transformerGroup,
      TRANSFORMER_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    }),
    admin,
    transformerGroup,
    names.raw,
    stack.brokerPids,
    `http://127.0.0.1:${metricsPort}/metrics`,
  );
  const passthroughGroup = `${prefix}passthrough`;
  const plain = await measure(
    'plain passthrough',
    spawnBuilt('test/bench/passthrough.js', {
      KAFKA_BROKERS: stack.brokers,
      INPUT: names.raw,
      OUTPUT: passthroughTopic,
      GROUP: passthroughGroup,
    }),
    admin,
    passthroughGroup,
    names.raw,
    stack.brokerPids,
  );
  const ids = new Set(messages.map((m) => String(m.key)));
  const ok = await verifyExactlyOnce(
    stack.brokers,
    DOMAIN_KEYS.map((d) => names[d]),
    names.dlq,
    ids,
  );
  console.log(
    JSON.stringify({
      eos_eps: eos.eps,
      passthrough_eps: plain.eps,
      ratio: Number((eos.eps / plain.eps).toFixed(2)),
      rss_mb: eos.rss,
      transactions: process.env.TRANSFORMER_TRANSACTIONS ?? 'per-instance',
      broker_cpu_ms_per_event: eos.brokerCpuMsPerEvent,
      passthrough_broker_cpu_ms_per_event: plain.brokerCpuMsPerEvent,
      exactly_once: ok,
    }),
  );
} finally {
  killChildren();
  await admin
    .deleteTopics({ topics: [...Object.values(names), passthroughTopic] })
    .catch(() => undefined);
  await admin.disconnect();
  await stack.release();
}
