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
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon, { type AutocannonResult } from 'autocannon';
import { freePort } from '../../infra/local-stack/free-port.js';
import { localStackDir, stackRoot } from '../../infra/local-stack/paths.js';
import { stackStatus } from '../../infra/local-stack/stack.js';
import { benchStack, peakRssMb } from './bench-stack.js';
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

// -- the load: ~1 KB seed contact.created bodies, each distinct, signed before the run --------

interface Signed {
  body: Buffer;
  signature: string;
}
interface Pool {
  items: Signed[];
  next: number;
}

function seedContactCreated(n: number, runId: string): Buffer {
  const at = new Date(Date.UTC(2026, 0, 3, 10, 30, 0) + n).toISOString();
  return Buffer.from(
    JSON.stringify({
      event: 'contact.created',
      locationId: `loc_${(n % 50).toString().padStart(4, '0')}`,
      companyId: 'comp_456',
      timestamp: at,
      data: {
        id: `contact_${runId}_${n}`,
        email: `lead.${n}@example.com`,
        phone: `+1415555${(n % 10000).toString().padStart(4, '0')}`,
        firstName: 'Jordan',
        lastName: 'Rivera',
        companyName: 'Rivera Landscaping LLC',
        address1: '1200 Market Street, Suite 400',
        city: 'San Francisco',
        state: 'CA',
        postalCode: '94102',
        country: 'US',
        timezone: 'America/Los_Angeles',
        website: 'https://rivera-landscaping.example.com',
        source: 'website',
        tags: ['lead', 'website', 'spring-campaign'],
        dnd: false,
        assignedTo: 'user_8f3k2j',
        dateAdded: at,
        customFields: {
          source: 'website',
          company_size: '50-100',
          budget: '10000-25000',
          interest: 'weekly lawn care and seasonal planting',
          utm_campaign: 'spring_2026_search',
          utm_medium: 'cpc',
        },
        attributionSource: {
          url: 'https://rivera-landscaping.example.com/contact?ref=search',
          campaign: 'spring_2026',
          medium: 'cpc',
          sessionSource: 'Paid Search',
        },
      },
      metadata: { webhookId: 'web_123', attempt: 1, deliveredAt: at },
    }),
    'utf8',
  );
}

function buildPool(size: number, secret: string): Pool {
  const runId = randomUUID().slice(0, 8);
  const items: Signed[] = new Array<Signed>(size);
  for (let n = 0; n < size; n++) {
    const body = seedContactCreated(n, runId);
    items[n] = {
      body,
      signature: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    };
  }
  return { items, next: 0 };
}

function load(url: string, pool: Pool, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url,
    connections: bench.BENCH_CONNECTIONS,
    duration: seconds,
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        // Picks the next pre-signed body; nothing is signed inside the load loop.
        setupRequest: (request) => {
          const item = pool.items[pool.next++ % pool.items.length]!;
          request.body = item.body;
          request.headers = { ...request.headers, 'x-webhook-signature': item.signature };
          return request;
        },
      },
    ],
  });
}

// -- servers under test, each a child process ---------------------------------------------------

interface Server {
  child: ChildProcess;
  url: string;
  base: string;
  stop(): Promise<number | null>;
}

async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  readyPath: string,
): Promise<Server> {
  const port = await freePort();
  const logFile = join(outDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  // One directory per server: tsx's loader thread writes a profile of its own next to main's.
  const prof =
    bench.BENCH_CPU_PROF === '1'
      ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, `${name}-prof`)}`]
      : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', join(root, script)], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), INGRESS_PORT: String(port) },
    stdio: ['ignore', fd, fd],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited during start-up:\n${readFileSync(logFile, 'utf8')}`);
    }
    try {
      if ((await fetch(`${base}${readyPath}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} not ready after 60 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    base,
    url: `${base}/webhooks/ghl`,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

interface Measured {
  warmup: AutocannonResult | undefined;
  run: AutocannonResult;
  peakRssMb: number | undefined;
  exitCode: number | null;
  /** 200s the server itself counted (its /metrics), when it has that endpoint. */
  server200: number | undefined;
}

const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** CPU of the server, of autocannon (this process) and of the broker during one load run. */
async function withCpu<T>(
  serverPid: number | undefined,
  run: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number | undefined>; seconds: number }> {
  const pids = { server: serverPid, broker: brokerPid() };
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const self = process.cpuUsage();
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const selfUsed = process.cpuUsage(self);
  const cpu: Record<string, number | undefined> = {
    autocannon: (selfUsed.user + selfUsed.system) / 1e6,
  };
  for (const [k, pid] of Object.entries(pids)) {
    const a = before[k];
    const b = cpuSeconds(pid);
    cpu[k] = a === undefined || b === undefined ? undefined : b - a;
  }
  return { result, cpu, seconds };
}

const brokerPid = () => (bench.KAFKA_BROKERS ? undefined : stackStatus(localStackDir()).kafkaPid);

const SERVER_200 = /^ingress_requests_total\{status="200",[^}]*\} (\d+)$/gm;

const metricValue = (text: string, name: string) =>
  Number(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);

/**
 * The ingress' own count of 200 answers, and its batching figures, from /metrics. autocannon
 * stops with requests still waiting for their Kafka ack; the count is read once they are done
 * (nothing in flight, count unchanged between two reads).
 */
async function scrapeIngress(base: string): Promise<number | undefined> {
  let text = '';
  let total = -1;
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${base}/metrics`);
    if (!res.ok) return undefined;
    text = await res.text();
    let count = 0;
    for (const m of text.matchAll(SERVER_200)) count += Number(m[1]);
    const settled = count === total && metricValue(text, 'ingress_in_flight_requests') === 0;
    total = count;
    if (settled) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const batches = metricValue(text, 'ingress_produce_batch_size_count');
  const records = metricValue(text, 'ingress_produce_batch_size_sum');
  const sendSeconds = metricValue(text, 'ingress_produce_batch_duration_seconds_sum');
  log(
    `ingress: ${batches} sendBatch calls, ${(records / batches).toFixed(1)} records per batch on average, ` +
      `${((sendSeconds / batches) * 1000).toFixed(2)} ms per sendBatch`,
  );
  return total;
}

async function measure(
  name: string,
  script: string,
  env: Record<string, string>,
  readyPath: string,
  pool: Pool,
): Promise<Measured> {
  const server = await startServer(name, script, env, readyPath);
  try {
    pool.next = 0;
    const warmup =
      bench.BENCH_WARMUP_S > 0 ? await load(server.url, pool, bench.BENCH_WARMUP_S) : undefined;
    const {
      result: run,
      cpu,
      seconds,
    } = await withCpu(server.child.pid, () => load(server.url, pool, bench.BENCH_DURATION_S));
    if (pool.next > pool.items.length) {
      log(
        `${name}: pool of ${pool.items.length} bodies wrapped (${pool.next} requests); raise BENCH_POOL`,
      );
    }
    const rss = peakRssMb(server.child.pid);
    const counted = name === 'ingress' ? await scrapeIngress(server.base) : undefined;
    const exitCode = await server.stop();
    const perRequestUs = (s: number | undefined) =>
      s === undefined ? '?' : ((s * 1e6) / Math.max(1, run.requests.total)).toFixed(0);
    const share = (s: number | undefined) => (s === undefined ? '?' : (s / seconds).toFixed(2));
    log(
      `${name}: CPU during the measured run (cores busy / µs per request): server ${share(cpu.server)} / ${perRequestUs(cpu.server)}, ` +
        `autocannon ${share(cpu.autocannon)} / ${perRequestUs(cpu.autocannon)}, broker ${share(cpu.broker)} / ${perRequestUs(cpu.broker)}`,
    );
    log(
      `${name}: ${Math.round(run.requests.average)} req/s, p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms, ` +
        `2xx ${run['2xx']}, non-2xx ${run.non2xx}, errors ${run.errors}, timeouts ${run.timeouts}, ` +
        `peak RSS ${rss ?? '?'} MB, exit ${exitCode}`,
    );
    return { warmup, run, peakRssMb: rss, exitCode, server200: counted };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

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

  const bare = await measure('bare', 'test/bench/bare-server.ts', {}, '/healthz', pool);
  const ingress = await measure(
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
