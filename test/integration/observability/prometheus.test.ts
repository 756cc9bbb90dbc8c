// The alerts and the dashboard against a REAL Prometheus: the Debian `prometheus` binary scrapes a
// real ingress and transformer on the test stack and loads infra/observability/rules.yml, and
// every dashboard and rule expression is evaluated through its HTTP API. A renamed metric, a label
// that is not exported or a PromQL mistake fails here instead of leaving a dashboard blank or an
// alert silent in production. Never skipped: without the binary it fails (.ci/run installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local-stack/free-port.js';
import { projectRoot } from '../../../services/common/src/project-root.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { freshTopics, sleep, stackEnv, type FreshTopics } from '../../helpers/integration.js';
import { processedCount, startTransformer } from '../../helpers/transformer-harness.js';
import {
  postWebhook,
  seedContactCreated,
  startIngress,
  type RunningIngress,
} from '../ingress/ingress-harness.js';

const observability = join(projectRoot(), 'infra/observability');
const rulesFile = join(observability, 'rules.yml');
const dashboardFile = join(observability, 'grafana-dashboard.json');

/**
 * Expressions allowed to return no series on a healthy pipeline, with why: these counters only
 * get a series when what they count happens (prom-client creates labelled series on first use).
 */
const EMPTY_WHEN_HEALTHY: { pattern: RegExp; why: string }[] = [
  { pattern: /transformer_retries_total|ghl:transformer_retries:/, why: 'no rollback happened' },
];

interface Rule {
  name: string;
  query: string;
  type: 'recording' | 'alerting';
  health: string;
  lastError?: string;
  annotations?: Record<string, string>;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: T;
}

function requireBinary(name: string): string {
  const probe = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new Error(
      `${name} is not installed (${probe.error?.message ?? probe.stderr}): this test needs the ` +
        'Prometheus server binary. Install it with `sudo apt-get install -y prometheus` ' +
        '(Debian/Ubuntu; .ci/run does this in CI) or put prometheus from ' +
        'https://prometheus.io/download/ on PATH.',
    );
  return `${probe.stdout}${probe.stderr}`.split('\n')[0] ?? name;
}

/** Every `expr` of the dashboard's panels, Grafana's interval variable made concrete. */
function dashboardExpressions(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      expr: t.expr.replaceAll('$__rate_interval', '1m'),
    })),
  );
}

describe('Prometheus rules and Grafana dashboard on the running services', () => {
  let topics: FreshTopics | undefined;
  let ingress: RunningIngress | undefined;
  let transformer: Transformer | undefined;
  let prometheus: ChildProcess | undefined;
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'ghl-prometheus-'));
  const logFile = join(dir, 'prometheus.log');
  const promLog = () => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no log)';
    }
  };

  async function api<T>(path: string, params: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const res = await fetch(`${base}${path}?${new URLSearchParams(params).toString()}`);
    return (await res.json()) as ApiAnswer<T>;
  }

  /** Polls until `check` returns true, or throws `what` (with Prometheus' log) after `ms`. */
  async function waitFor(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${ms} ms waiting for ${what}\n${promLog()}`);
      await sleep(250);
    }
  }

  const scalarOf = async (expr: string): Promise<number> => {
    const answer = await api<{ result: { value: [number, string] }[] }>('/api/v1/query', {
      query: expr,
    });
    return Number(answer.data?.result[0]?.value[1] ?? NaN);
  };

  let n = 0;
  async function sendWave(): Promise<void> {
    const url = ingress!.url;
    for (let i = 0; i < 10; i++) {
      const body = seedContactCreated(++n);
      const res = await postWebhook(url, body, { 'x-webhook-signature': signHmac(body, 's1') });
      expect(res.status).toBe(200);
    }
    // One unsigned (401, a signature failure) and one of a type with no mapping (the
    // transformer's default UNMAPPED_EVENT_POLICY=dlq sends it to the DLQ): the 4xx, signature
    // and DLQ series exist only once something was refused or dead-lettered.
    const unsigned = seedContactCreated(++n);
    expect((await postWebhook(url, unsigned, {})).status).toBe(401);
    const unmapped = Buffer.from(
      JSON.stringify({ event: 'widget.exploded', locationId: 'loc_1', data: { id: `w_${++n}` } }),
    );
    const res = await postWebhook(url, unmapped, {
      'x-webhook-signature': signHmac(unmapped, 's1'),
    });
    expect(res.status).toBe(200);
  }

  beforeAll(async () => {
    const version = requireBinary('prometheus');
    topics = await freshTopics({ label: 'prom' });
    ingress = await startIngress({
      KAFKA_BROKERS: stackEnv().brokers,
      TOPIC_PREFIX: topics.prefix,
    });
    transformer = await startTransformer(topics);
    const ingressTarget = new URL(ingress.url).host;
    const transformerTarget = `127.0.0.1:${transformer.metricsPort}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // JSON is YAML: the job names are the ones rules.yml's `up` alerts expect.
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
      rule_files: [rulesFile],
      scrape_configs: [
        { job_name: 'ingress', static_configs: [{ targets: [ingressTarget] }] },
        { job_name: 'transformer', static_configs: [{ targets: [transformerTarget] }] },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
    const log = openSync(logFile, 'w');
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    prometheus.once('exit', (code, signal) => {
      if (code !== 0 && signal === null)
        console.error(`prometheus (${version}) exited ${code}\n${promLog()}`);
    });
    await waitFor('Prometheus /-/ready', async () => (await fetch(`${base}/-/ready`)).ok);
    await waitFor('both targets scraped and up', async () => (await scalarOf('sum(up)')) === 2);
    // Two waves with scrapes in between: a counter series created by the first wave has an
    // earlier sample when the second lands, so the rates and ratios have real, non-zero values.
    await sendWave();
    await waitFor(
      'the first wave committed',
      async () => (await processedCount(transformer!)) >= 11,
    );
    await sleep(3000);
    await sendWave();
    await waitFor(
      'the second wave committed',
      async () => (await processedCount(transformer!)) >= 22,
    );
    await waitFor(
      'Prometheus scraped the second wave',
      async () => (await scalarOf('sum(transformer_records_processed_total)')) >= 22,
    );
    await sleep(3000); // a few more scrapes and rule evaluations on the final values
  });

  afterAll(async () => {
    const child = prometheus;
    prometheus = undefined;
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await transformer?.close();
    await ingress?.close();
    await topics?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads every rule of rules.yml, all evaluated healthy, every alert with a runbook', async () => {
    const source = readFileSync(rulesFile, 'utf8');
    const declared = (source.match(/^\s*- (record|alert): /gm) ?? []).length;
    let rules: Rule[] = [];
    await waitFor('every rule evaluated healthy', async () => {
      const answer = await api<{ groups: { rules: Rule[] }[] }>('/api/v1/rules');
      rules = (answer.data?.groups ?? []).flatMap((g) => g.rules);
      return rules.length === declared && rules.every((r) => r.health === 'ok');
    }).catch((err: Error) => {
      const bad = rules
        .filter((r) => r.health !== 'ok')
        .map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
      throw new Error(`${err.message}\nloaded ${rules.length} of ${declared}; ${bad.join('; ')}`);
    });
    expect(declared).toBeGreaterThanOrEqual(20);
    const alerts = rules.filter((r) => r.type === 'alerting');
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const alert of alerts) {
      expect(alert.annotations?.runbook, `${alert.name} runbook`).toMatch(/ghl-pipeline /);
      expect(alert.annotations?.summary, `${alert.name} summary`).toBeTruthy();
    }
  });

  it('evaluates every dashboard and rule expression; the signals have data, no alert condition holds', async () => {
    const answer = await api<{ groups: { rules: Rule[] }[] }>('/api/v1/rules');
    const rules = (answer.data?.groups ?? []).flatMap((g) => g.rules);
    const checks = [
      ...dashboardExpressions().map((d) => ({
        what: `dashboard "${d.panel}"`,
        expr: d.expr,
        expect: 'data' as const,
      })),
      ...rules.map((r) => ({
        what: `${r.type} rule ${r.name}`,
        expr: r.query,
        // A healthy pipeline trips no alert; the recorded signals must all have data.
        expect: r.type === 'alerting' ? ('empty' as const) : ('data' as const),
      })),
    ];
    expect(checks.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const check of checks) {
      const leftover = check.expr.match(/\$\w+/);
      if (leftover) problems.push(`${check.what}: unresolved variable ${leftover[0]}`);
      const result = await api<{ resultType: string; result: unknown[] }>('/api/v1/query', {
        query: check.expr,
      });
      if (result.status !== 'success') {
        problems.push(`${check.what}: ${result.errorType}: ${result.error} in ${check.expr}`);
        continue;
      }
      const series = result.data?.result.length ?? 0;
      const allowedEmpty = EMPTY_WHEN_HEALTHY.find((e) => e.pattern.test(check.expr));
      if (check.expect === 'data' && series === 0 && !allowedEmpty)
        problems.push(`${check.what}: no data for ${check.expr}`);
      if (check.expect === 'empty' && series > 0)
        problems.push(`${check.what}: condition holds on a healthy pipeline: ${check.expr}`);
    }
    expect(problems).toEqual([]);
    const firing = await api<{ alerts: { labels: { alertname: string }; state: string }[] }>(
      '/api/v1/alerts',
    );
    expect(firing.data?.alerts.map((a) => `${a.labels.alertname} ${a.state}`)).toEqual([]);
  });

  it('shows the transformer ready and the signals moving: 429 ratio 0, commits, lag, DLQ', async () => {
    expect(await scalarOf('min(transformer_ready)')).toBe(1);
    expect(await scalarOf('min(ingress_producer_ready)')).toBe(1);
    expect(await scalarOf('ghl:ingress_429:ratio_rate5m')).toBe(0);
    expect(await scalarOf('ghl:transformer_records:rate5m')).toBeGreaterThan(0);
    expect(await scalarOf('ghl:transformer_transaction_abort:ratio_rate5m')).toBe(0);
    expect(
      await scalarOf('ghl:transformer_dlq:rate5m{reason="unmapped_event_type"}'),
    ).toBeGreaterThan(0);
    expect(await scalarOf('ghl:ingress_4xx:ratio_rate5m{status="401"}')).toBeGreaterThan(0);
    expect(await scalarOf('sum(ghl:transformer_partition_lag:max)')).toBe(0);
  });
});
