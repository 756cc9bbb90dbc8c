// `npm run bench:ingress`: the ingress with a durable Kafka ack against a bare Fastify route, same
// run, same arrangement (server under test in a child process, autocannon in this one), then a
// check that ghl.raw holds exactly as many records as the ingress answered 2xx.
//
// Kafka: KAFKA_BROKERS + SCHEMA_REGISTRY_URL when set, else the local stack (`infra:up` dir,
// adopted when running, started and stopped again when not).
// Knobs: BENCH_DURATION_S (default 12, at least 10), BENCH_CONNECTIONS (50), BENCH_WARMUP_S (3),
// BENCH_POOL (distinct pre-signed bodies, default 300000), BENCH_CPU_PROF=1 (node --cpu-prof of
// both servers into .stack/bench/), and any ingress setting (PRODUCE_LINGER_MS, …) is passed on.
// The last line on stdout is the JSON result.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { localStackDir, stackRoot } from '../../infra/local-stack/paths.js';
import { stackStatus } from '../../infra/local-stack/stack.js';
import { benchStack } from './bench-stack.js';
import { buildPool } from './ingress-load.js';
import { measure, type MeasureContext } from './ingress-measure.js';
import { int, loadConfig, optionalStr } from '../../services/common/src/config.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { applyTopics } from '../../services/common/src/kafka/topic-apply.js';
import { topicNames, topicSpecs } from '../../services/common/src/topics.js';
import { projectRoot } from '../../services/common/src/project-root.js';

const bench = loadConfig({
  KAFKA_BROKERS: optionalStr({ describe: 'use this broker instead of the local stack' }),
  BENCH_DURATION_S: int({ default: 12, min: 10, describe: 'measured seconds per target' }),
  BENCH_WARMUP_S: int({ default: 3, min: 0, describe: 'warm-up seconds per target' }),
  BENCH_CONNECTIONS: int({ default: 50, min: 1, describe: 'concurrent connections' }),
  BENCH_POOL: int({ default: 300_000, min: 1000, describe: 'distinct pre-signed bodies' }),
  BENCH_CPU_PROF: optionalStr({ describe: '1 = node --cpu-prof the servers' }),
});

const root = projectRoot();
const outDir = join(stackRoot(), 'bench');
mkdirSync(outDir, { recursive: true });
const log = (...parts: unknown[]) => console.error('[bench:ingress]', ...parts);

const brokerPid = () => (bench.KAFKA_BROKERS ? undefined : stackStatus(localStackDir()).kafkaPid);

const ctx: MeasureContext = {
  root,
  outDir,
  cpuProf: bench.BENCH_CPU_PROF === '1',
  warmupS: bench.BENCH_WARMUP_S,
  durationS: bench.BENCH_DURATION_S,
  connections: bench.BENCH_CONNECTIONS,
  brokerPid,
  log,
};

// -- main -----------------------------------------------------------------------------------------

// The local stack is shared (npm run infra:up); like the other benchmarks, a stack this run
// started is stopped at the end, one it found running is left running.
const stack = await benchStack(log);
const brokers = stack.brokers;
const kafka = createKafka({ brokers: [brokers], clientId: 'bench-ingress' });
const admin = kafka.admin();
await admin.connect();
const prefix = `bench-${randomUUID().slice(0, 8)}.`;
const names = topicNames(prefix);
await applyTopics(admin, topicSpecs(prefix));
const secret = randomBytes(32).toString('hex');
let exitCode = 0;
try {
  const started = Date.now();
  const pool = buildPool(bench.BENCH_POOL, secret);
  const avg = Math.round(pool.items.reduce((s, i) => s + i.body.length, 0) / pool.items.length);
  log(
    `${pool.items.length} distinct signed bodies (avg ${avg} bytes) in ${Date.now() - started} ms`,
  );
  log(
    `${bench.BENCH_CONNECTIONS} connections, ${bench.BENCH_WARMUP_S} s warm-up + ${bench.BENCH_DURATION_S} s measured per target; topics ${prefix}*`,
  );

  const bare = await measure(ctx, 'bare', 'test/bench/bare-server.ts', {}, '/healthz', pool);
  const ingress = await measure(
    ctx,
    'ingress',
    'services/ingress/src/main.ts',
    {
      KAFKA_BROKERS: brokers,
      TOPIC_PREFIX: prefix,
      WEBHOOK_HMAC_SECRETS: secret,
      INGRESS_HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
    '/readyz',
    pool,
  );

  // autocannon stops with up to BENCH_CONNECTIONS requests in flight and never counts their
  // answers, although the ingress did answer them (200 after the ack). So the ingress' own count
  // of 200s is compared with ghl.raw, and must lie between what autocannon saw and what it sent.
  const seen2xx = (ingress.warmup?.['2xx'] ?? 0) + ingress.run['2xx'];
  const sent = (ingress.warmup?.requests.sent ?? 0) + ingress.run.requests.sent;
  const answered200 = ingress.server200 ?? -1;
  const offsets = await admin.fetchTopicOffsets(names.raw);
  const records = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const recordsMatch = records === answered200 && seen2xx <= answered200 && answered200 <= sent;
  log(
    `ghl.raw holds ${records} records; the ingress answered 200 ${answered200} times ` +
      `(autocannon saw ${seen2xx} 2xx and sent ${sent} requests, warm-up included)`,
  );
  if (ingress.exitCode !== 0)
    log(`WARNING: the ingress exited with ${ingress.exitCode} on SIGTERM`);
  if (!recordsMatch) exitCode = 1;

  const ingressRps = Math.round(ingress.run.requests.average);
  const bareRps = Math.round(bare.run.requests.average);
  const result = {
    ingress_rps: ingressRps,
    bare_rps: bareRps,
    ratio: Math.round((ingressRps / bareRps) * 1000) / 1000,
    p50_ms: ingress.run.latency.p50,
    p99_ms: ingress.run.latency.p99,
    non2xx: ingress.run.non2xx,
    records_match: recordsMatch,
  };
  log(
    `targets: ratio ${result.ratio} (>= 0.6: ${result.ratio >= 0.6 ? 'met' : 'MISSED'}), ` +
      `p99 ${result.p99_ms} ms (<= 50: ${result.p99_ms <= 50 ? 'met' : 'MISSED'})`,
  );
  console.log(JSON.stringify(result));
} finally {
  await admin.deleteTopics({ topics: Object.values(names) }).catch(() => undefined);
  await admin.disconnect();
  await stack.release();
}
process.exit(exitCode);
