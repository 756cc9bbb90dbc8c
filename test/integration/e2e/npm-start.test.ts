// The whole product as a newcomer and ops use it: `npm start` as a child process (on the test
// stack), the curl it prints, signed webhooks for all 21 seed events and the GHL types, the
// outputs read with `ghl-pipeline tail --json`, a replay, poison in the DLQ fixed with a tenant
// and redriven (twice), and SIGTERM leaving no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local-stack/free-port.js';
import { projectRoot } from '../../../services/common/src/project-root.js';
import { DOMAIN_KEYS, topicNames } from '../../../services/common/src/topics.js';
import { MAPPED_FIXTURES } from '../../fixtures/index.js';
import { cliEnv, cliJson, cliProcess, jsonLines } from '../../helpers/cli.js';
import { sleep, stackEnv, uniquePrefix } from '../../helpers/integration.js';

const SECRET = 'e2e-secret';
const sign = (body: Buffer | string) =>
  `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

interface TailRecord {
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  value: Record<string, unknown> | string | null;
}

describe('npm start, end to end', () => {
  const prefix = uniquePrefix('e2e');
  const names = topicNames(prefix);
  let child: ChildProcess;
  let output = '';
  let ingressPort: number;
  let consolePort: number;
  const env = () => cliEnv(prefix);

  beforeAll(async () => {
    ingressPort = await freePort();
    consolePort = await freePort();
    const { brokers, registryUrl } = stackEnv();
    child = spawn('npm', ['start'], {
      cwd: projectRoot(),
      // Its own process group, so cleanup can reach every process it started even if a test fails.
      detached: true,
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers,
        SCHEMA_REGISTRY_URL: registryUrl,
        TOPIC_PREFIX: prefix,
        INGRESS_PORT: String(ingressPort),
        TRANSFORMER_METRICS_PORT: String(await freePort()),
        CONSOLE_PORT: String(consolePort),
        TRANSFORMER_GROUP_ID: `${prefix}transformer`,
        WEBHOOK_HMAC_SECRETS: SECRET,
        UNKNOWN_TENANT_POLICY: 'dlq',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 150_000;
    while (!output.includes('the pipeline is running') && Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
      await sleep(200);
    }
    if (!output.includes('the pipeline is running'))
      throw new Error(`npm start not ready:\n${output}`);
    await sleep(500); // the rest of the banner
  });

  afterAll(() => {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  /** Everything on the five output topics, through the CLI, once `expected` records are there. */
  async function tailOutputs(expected: number): Promise<TailRecord[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const records: TailRecord[] = [];
      for (const domain of DOMAIN_KEYS) {
        const result = await cliProcess(['--json', 'tail', `neuronx.${domain}`], env());
        expect(result.code, result.stderr).toBe(0);
        records.push(...jsonLines<TailRecord>(result.stdout));
      }
      if (records.length >= expected || Date.now() > deadline) return records;
      await sleep(1000);
    }
  }

  const post = (body: Buffer | string) =>
    fetch(`http://127.0.0.1:${ingressPort}/webhooks/ghl`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body) },
      body,
    });

  it('runs the pipeline: curl, fixtures, tail, replay, DLQ redrive, SIGTERM', async () => {
    // Tenants for the fixtures' locations (the policy is dlq, so unmapped locations are poison).
    await cliJson(['tenants', 'set', 'loc_123', 'tenant_seed'], env());
    await cliJson(['tenants', 'set', 've9EPM428h8vShlRW1KT', 'tenant_ghl'], env());
    await cliJson(['tenants', 'set', 'loc_demo', 'tenant_demo'], env()); // the printed curl's location
    await sleep(1000); // the transformer follows the tenants topic

    // 1. The printed curl, as printed.
    const curl =
      /curl -sS -X POST '([^']+)' -H 'content-type: application\/json' -H 'x-webhook-signature: (sha256=[0-9a-f]+)' --data-binary '([^']+)'/.exec(
        output,
      );
    expect(curl, output).not.toBeNull();
    const [, url, signature, sample] = curl!;
    expect(url).toBe(`http://127.0.0.1:${ingressPort}/webhooks/ghl`);
    const printed = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signature! },
      body: sample,
    });
    expect(printed.status).toBe(200);
    expect(output).toContain(`npx ghl-pipeline tail ${names.contact} --follow`);

    // The printed console address logs in with its token; without the token the console refuses.
    const consoleUrl = /ops console: +(http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(output);
    expect(consoleUrl, output).not.toBeNull();
    expect(consoleUrl![1]).toBe(`http://127.0.0.1:${consolePort}`);
    const login = await fetch(`${consoleUrl![1]}/?token=${consoleUrl![2]}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect((await fetch(`${consoleUrl![1]}/api/session`)).status).toBe(401);

    // 2. Every seed event and GHL type through the ingress.
    const ids = new Map<string, (typeof MAPPED_FIXTURES)[number]>();
    for (const fixture of MAPPED_FIXTURES) {
      const res = await post(fixture.bytes);
      expect(res.status, fixture.name).toBe(200);
      ids.set(((await res.json()) as { eventId: string }).eventId, fixture);
    }
    const expected = ids.size + 1; // + the printed curl's contact
    let outputs = await tailOutputs(expected);
    expect(outputs).toHaveLength(expected);
    for (const [eventId, fixture] of ids) {
      const matching = outputs.filter(
        (o) => (o.value as Record<string, unknown>)?.eventId === eventId,
      );
      expect(matching, fixture.name).toHaveLength(1);
      const [out] = matching;
      expect(out!.topic).toBe(names[fixture.expected.domain]);
      expect(out!.key).toBe(fixture.expected.key);
      expect(out!.value).toMatchObject({
        type: fixture.expected.neuronxType,
        tenantId: fixture.format === 'seed' ? 'tenant_seed' : 'tenant_ghl',
      });
      expect(out!.headers.ce_type).toBe(fixture.expected.neuronxType);
    }

    // 3. Replay the fixtures' range: each event comes out exactly once more.
    const raw = jsonLines<{ partition: number; offset: string; headers: Record<string, string> }>(
      (await cliProcess(['--json', 'tail', 'ghl.raw'], env())).stdout,
    );
    const firstFixtureOffsets = new Map<number, number>();
    for (const r of raw) {
      if (!ids.has(r.headers['event-id'] ?? '')) continue;
      const offset = Number(r.offset);
      const known = firstFixtureOffsets.get(r.partition);
      if (known === undefined || offset < known) firstFixtureOffsets.set(r.partition, offset);
    }
    const from = [...firstFixtureOffsets].map(([p, o]) => `${p}:${o}`).join(',');
    const replay = await cliJson<{ replayId: string; republished: number }>(
      ['replay', '--from', from],
      env(),
    );
    expect(replay.republished).toBe(ids.size);
    outputs = await tailOutputs(expected + ids.size);
    expect(outputs).toHaveLength(expected + ids.size);
    for (const eventId of ids.keys()) {
      expect(
        outputs.filter((o) => (o.value as Record<string, unknown>)?.eventId === eventId),
      ).toHaveLength(2);
    }

    // 4. Poison: an unknown location goes to the DLQ; a tenant for it, then a redrive, fixes it.
    const poison = Buffer.from(
      MAPPED_FIXTURES[0]!.bytes.toString().replace('"loc_123"', '"loc_new_client"'),
    );
    const poisonRes = await post(poison);
    expect(poisonRes.status).toBe(200);
    const poisonId = ((await poisonRes.json()) as { eventId: string }).eventId;
    let dlq: { reason: string | null; eventId: string | null }[] = [];
    for (let i = 0; i < 60 && dlq.length === 0; i++) {
      dlq = await cliJson(['dlq', 'list'], env());
      if (dlq.length === 0) await sleep(500);
    }
    expect(dlq.map((r) => [r.eventId, r.reason])).toEqual([[poisonId, 'unknown_tenant']]);
    await cliJson(['tenants', 'set', 'loc_new_client', 'tenant_new'], env());
    await sleep(1000); // the transformer follows the tenants topic
    for (let round = 0; round < 2; round++) {
      const redrive = await cliJson<{ redriven: number }>(
        ['dlq', 'redrive', '--reason', 'unknown_tenant'],
        env(),
      );
      expect(redrive.redriven).toBe(1);
    }
    outputs = await tailOutputs(expected + ids.size + 1);
    await sleep(2000); // time for a second (wrong) output to show up, if there were one
    outputs = await tailOutputs(expected + ids.size + 1);
    const fixed = outputs.filter((o) => (o.value as Record<string, unknown>)?.eventId === poisonId);
    expect(fixed).toHaveLength(1);
    expect(fixed[0]!.value).toMatchObject({ tenantId: 'tenant_new' });
    // The DLQ keeps its record (it is a log); the redrive did not add another.
    expect(await cliJson<unknown[]>(['dlq', 'list'], env())).toHaveLength(1);

    // 5. SIGTERM to npm: everything it started stops, and nothing is left in its process group.
    child.kill('SIGTERM');
    const deadline = Date.now() + 30_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      await sleep(250);
      try {
        process.kill(-child.pid!, 0);
      } catch {
        alive = false;
      }
    }
    expect(alive, output.slice(-2000)).toBe(false);
    expect(output).toMatch(/ingress exit 0, transformer exit 0, console exit 0/);
  });
});
