// One target of `npm run bench:ingress` (test/bench/ingress.bench.ts) measured: its server
// started as a child process, warm-up and measured load, the CPU of the server, autocannon and
// the broker during the measured run, and (for the ingress) its own count of 200 answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AutocannonResult } from 'autocannon';
import { freePort } from '../../infra/local-stack/free-port.js';
import { peakRssMb } from './bench-stack.js';
import { load, type Pool } from './ingress-load.js';

/** What a measurement takes from the benchmark: its knobs, its output directory and its log. */
export interface MeasureContext {
  /** The project root: the servers' scripts are relative to it. */
  root: string;
  /** Each server's log, and with cpuProf its CPU profiles, go here. */
  outDir: string;
  /** BENCH_CPU_PROF=1: node --cpu-prof the servers. */
  cpuProf: boolean;
  warmupS: number;
  durationS: number;
  connections: number;
  /** The broker's pid, for its CPU figures, when known. */
  brokerPid: () => number | undefined;
  log: (...parts: unknown[]) => void;
}

interface Server {
  child: ChildProcess;
  url: string;
  base: string;
  stop(): Promise<number | null>;
}

async function startServer(
  ctx: MeasureContext,
  name: string,
  script: string,
  env: Record<string, string>,
  readyPath: string,
): Promise<Server> {
  const port = await freePort();
  const logFile = join(ctx.outDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  // One directory per server: tsx's loader thread writes a profile of its own next to main's.
  const prof = ctx.cpuProf
    ? ['--cpu-prof', `--cpu-prof-dir=${join(ctx.outDir, `${name}-prof`)}`]
    : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', join(ctx.root, script)], {
    cwd: ctx.root,
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

export interface Measured {
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
  ctx: MeasureContext,
  serverPid: number | undefined,
  run: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number | undefined>; seconds: number }> {
  const pids = { server: serverPid, broker: ctx.brokerPid() };
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

const SERVER_200 = /^ingress_requests_total\{status="200",[^}]*\} (\d+)$/gm;

const metricValue = (text: string, name: string) =>
  Number(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);

/**
 * The ingress' own count of 200 answers, and its batching figures, from /metrics. autocannon
 * stops with requests still waiting for their Kafka ack; the count is read once they are done
 * (nothing in flight, count unchanged between two reads).
 */
async function scrapeIngress(ctx: MeasureContext, base: string): Promise<number | undefined> {
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
  ctx.log(
    `ingress: ${batches} sendBatch calls, ${(records / batches).toFixed(1)} records per batch on average, ` +
      `${((sendSeconds / batches) * 1000).toFixed(2)} ms per sendBatch`,
  );
  return total;
}

/** Measures the server `script` (ready once `readyPath` answers 200) under load from `pool`. */
export async function measure(
  ctx: MeasureContext,
  name: string,
  script: string,
  env: Record<string, string>,
  readyPath: string,
  pool: Pool,
): Promise<Measured> {
  const server = await startServer(ctx, name, script, env, readyPath);
  try {
    pool.next = 0;
    const warmup =
      ctx.warmupS > 0 ? await load(server.url, pool, ctx.warmupS, ctx.connections) : undefined;
    const {
      result: run,
      cpu,
      seconds,
    } = await withCpu(ctx, server.child.pid, () =>
      load(server.url, pool, ctx.durationS, ctx.connections),
    );
    if (pool.next > pool.items.length) {
      ctx.log(
        `${name}: pool of ${pool.items.length} bodies wrapped (${pool.next} requests); raise BENCH_POOL`,
      );
    }
    const rss = peakRssMb(server.child.pid);
    const counted = name === 'ingress' ? await scrapeIngress(ctx, server.base) : undefined;
    const exitCode = await server.stop();
    const perRequestUs = (s: number | undefined) =>
      s === undefined ? '?' : ((s * 1e6) / Math.max(1, run.requests.total)).toFixed(0);
    const share = (s: number | undefined) => (s === undefined ? '?' : (s / seconds).toFixed(2));
    ctx.log(
      `${name}: CPU during the measured run (cores busy / µs per request): server ${share(cpu.server)} / ${perRequestUs(cpu.server)}, ` +
        `autocannon ${share(cpu.autocannon)} / ${perRequestUs(cpu.autocannon)}, broker ${share(cpu.broker)} / ${perRequestUs(cpu.broker)}`,
    );
    ctx.log(
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
