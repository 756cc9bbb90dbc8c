// `npm run bench:e2e`: 1,000 signed webhooks per second through the real ingress for 30 s, with
// the exactly-once transformer running, and the time from each 200 to the moment its NeuronX
// event is visible to a read_committed consumer. Ingress and transformer run as child processes;
// the load and the observing consumer run here.
//
// Env: BENCH_RATE (default 1000/s), BENCH_DURATION_S (30), KAFKA_BROKERS/SCHEMA_REGISTRY_URL
// (else the local stack). The last line on stdout is the JSON result.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { int, loadConfig } from '../../services/common/src/config.js';
import { createKafka } from '../../services/common/src/kafka-client.js';
import { projectRoot } from '../../services/common/src/project-root.js';
import { OUTPUT_HEADERS } from '../../services/common/src/record-headers.js';
import { applyTopics } from '../../services/common/src/topic-apply.js';
import { topicNames, topicSpecs } from '../../services/common/src/topics.js';
import { freePort } from '../../infra/local-stack/free-port.js';
import { benchStack } from './bench-stack.js';

const config = loadConfig({
  BENCH_RATE: int({ default: 1000, min: 1, describe: 'webhooks per second' }),
  BENCH_DURATION_S: int({ default: 30, min: 1, describe: 'seconds of measured load' }),
  BENCH_WARMUP_S: int({
    default: 5,
    min: 0,
    describe: 'seconds of load before measuring (JIT, connections, first transactions)',
  }),
});
const log = (...parts: unknown[]) => console.error('[bench:e2e]', ...parts);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const SECRET = `bench-${randomUUID()}`;

/** A service as a child process; its JSON log lines go to .stack/bench/e2e-<name>.log. */
function startChild(name: string, script: string, env: Record<string, string>): ChildProcess {
  const dir = join(projectRoot(), '.stack', 'bench');
  mkdirSync(dir, { recursive: true });
  const logFile = openSync(join(dir, `e2e-${name}.log`), 'w');
  return spawn(process.execPath, ['--import', 'tsx', join(projectRoot(), script)], {
    cwd: projectRoot(),
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', logFile, 'inherit'],
  });
}

async function waitOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(200);
  }
  throw new Error(`${url} not ready`);
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(url: URL, body: Buffer, signature: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'x-webhook-signature': signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const stack = await benchStack(log);
const prefix = `e2e-${randomUUID().slice(0, 8)}.`;
const names = topicNames(prefix);
const kafka = createKafka({ brokers: [stack.brokers], clientId: 'bench-e2e' });
const admin = kafka.admin();
await admin.connect();
const children: ChildProcess[] = [];
try {
  await applyTopics(admin, topicSpecs(prefix));
  const port = await freePort();
  const common = {
    KAFKA_BROKERS: stack.brokers,
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    TOPIC_PREFIX: prefix,
  };
  children.push(
    startChild('ingress', 'services/ingress/src/main.ts', {
      ...common,
      INGRESS_PORT: String(port),
      WEBHOOK_HMAC_SECRETS: SECRET,
    }),
  );
  const metricsPort = await freePort();
  children.push(
    startChild('transformer', 'services/transformer/src/main.ts', {
      ...common,
      TRANSFORMER_GROUP_ID: `${prefix}transformer`,
      TRANSFORMER_METRICS_PORT: String(metricsPort),
    }),
  );
  await waitOk(`http://127.0.0.1:${port}/readyz`, 60_000);
  await waitOk(`http://127.0.0.1:${metricsPort}/readyz`, 120_000);

  // The observer: every neuronx.contact record, read_committed, timed on arrival.
  const acceptedAt = new Map<string, number>();
  const latencies: number[] = [];
  let outputsSeen = 0;
  const warmupCount = config.BENCH_RATE * config.BENCH_WARMUP_S;
  // Only events sent after the warm-up count towards the percentiles.
  const record = (id: string, ms: number) => {
    outputsSeen++;
    if (Number(id.slice(prefix.length)) >= warmupCount) latencies.push(ms);
  };
  const consumer = kafka.consumer({
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
        const id = m.headers?.[OUTPUT_HEADERS.id]?.toString() ?? '';
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
    `sending ${total} webhooks at ${config.BENCH_RATE}/s: ${config.BENCH_WARMUP_S}s warm-up, then ${config.BENCH_DURATION_S}s measured`,
  );
  for (let i = 0; i < total; i++) {
    // Open loop: request i leaves at its scheduled time whatever the earlier ones are doing.
    const due = started + (i * 1000) / config.BENCH_RATE;
    const wait = due - Date.now();
    if (wait > 1) await sleep(wait);
    const eventId = `${prefix}${i}`;
    const body = Buffer.from(
      JSON.stringify({
        event: 'contact.created',
        eventId,
        locationId: `loc_${i % 50}`,
        companyId: 'comp_456',
        timestamp: new Date().toISOString(),
        data: {
          id: `contact_${i}`,
          email: `lead${i}@example.com`,
          phone: '+14155550100',
          firstName: 'Jo',
          lastName: 'Doe',
          tags: ['lead'],
        },
      }),
    );
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const p: Promise<void> = post(url, body, signature).then((status) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200) {
        const now = Date.now();
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
  while (outputsSeen < accepted && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  if (process.env.BENCH_SHOW_METRICS) {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    log(
      text
        .split('\n')
        .filter((l) =>
          /^transformer_transaction_(duration_seconds|records)_(bucket|count|sum)/.test(l),
        )
        .join('\n'),
    );
  }

  const sorted = latencies.slice().sort((a, b) => a - b);
  log(
    `sent ${total} in ${sendSeconds.toFixed(1)}s (${Math.round(total / sendSeconds)}/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}, outputs seen ${outputsSeen}`,
  );
  console.log(
    JSON.stringify({
      rate: config.BENCH_RATE,
      sent: total,
      accepted,
      outputs: outputsSeen,
      measured: latencies.length,
      e2e_p50_ms: percentile(sorted, 50),
      e2e_p99_ms: percentile(sorted, 99),
      e2e_max_ms: sorted[sorted.length - 1] ?? NaN,
    }),
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((c) =>
      c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve(),
    ),
  );
  await admin.deleteTopics({ topics: Object.values(names) }).catch(() => undefined);
  await admin.disconnect();
  agent.destroy();
  await stack.release();
}
