// `ghl-pipeline dlq list|show|redrive` with the real transformer: events for an unmapped
// location are dead-lettered (UNKNOWN_TENANT_POLICY=dlq), the tenant map is fixed with
// `tenants set`, the redrive brings the outputs, and a second redrive adds none. An unmapped event
// type redriven after a restart with UNMAPPED_EVENT_POLICY=skip is skipped.
import { randomUUID } from 'node:crypto';
import type { Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, REPLAY_HEADERS } from '../../../services/common/src/record-headers.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { POISON_FIXTURES, SEED_FIXTURES } from '../../fixtures/index.js';
import { cli, cliEnv, cliJson, jsonLines } from '../../helpers/cli.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { produceAll, rawMessage } from '../../helpers/raw-events.js';
import {
  countBy,
  readPipelineOutputs,
  startTransformer,
} from '../../helpers/transformer-harness.js';

interface Entry {
  ref: string;
  partition: number;
  offset: string;
  address: string;
  timestamp: string;
  failedAt: string;
  reason: string;
  stage: string;
  attempts: number;
  error: string;
  source: string;
  eventId: string;
  eventType: string;
  locationId: string;
}
interface View {
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  value: string;
  valueFormat: string;
}
interface LagResult {
  partitions: { committed: string | null; end: string; lag: number | null }[];
}

const NEW_LOCATION = 'loc_new';

describe('ghl-pipeline dlq', () => {
  const kafka = testKafka('cli-dlq-test');
  let fresh: FreshTopics;
  let transformer: Transformer;
  let producer: Producer;
  let env: Record<string, string>;
  const unknownTenant: Message[] = [];
  const poison: Message[] = [];
  let good: Message[] = [];
  let expectedOutputs = 0;

  const relocated = (bytes: Buffer) =>
    Buffer.from(
      JSON.stringify({ ...(JSON.parse(bytes.toString()) as object), locationId: NEW_LOCATION }),
    );
  const pipeline = async (settleMs = 500) =>
    readPipelineOutputs(kafka, fresh.names, {
      expected: expectedOutputs + 5,
      timeoutMs: 60_000,
      settleMs,
    });
  /** The transformer's group (the lag command's default) has committed everything in ghl.raw. */
  const caughtUp = async () => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const lag = await cliJson<LagResult>(['lag'], env).catch(() => undefined);
      if (lag?.partitions.every((p) => p.lag === 0 || (p.committed === null && p.end === '0')))
        return;
      await sleep(200);
    }
    throw new Error('the transformer did not catch up within 30 s');
  };
  const rawEnds = async () =>
    (await fresh.admin.fetchTopicOffsets(fresh.names.raw))
      .sort((a, b) => a.partition - b.partition)
      .map((o) => `${o.partition}:${o.high}`)
      .join(',');

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 3, label: 'clidlq' });
    env = cliEnv(fresh.prefix, { TRANSFORMER_GROUP_ID: fresh.group });
    expect((await cli(['tenants', 'set', 'loc_123', 'tenant-a'], env)).code).toBe(0);
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    transformer = await startTransformer(fresh, { UNKNOWN_TENANT_POLICY: 'dlq' });

    good = SEED_FIXTURES.slice(0, 2).map((f) =>
      rawMessage(f.bytes, { eventId: `good-${randomUUID()}`, eventType: f.name }),
    );
    for (const f of SEED_FIXTURES.slice(2, 5))
      unknownTenant.push(
        rawMessage(relocated(f.bytes), {
          eventId: `tenantless-${randomUUID()}`,
          eventType: f.name,
          locationId: NEW_LOCATION,
        }),
      );
    for (const name of ['truncated-json', 'unmapped-seed-type']) {
      const p = POISON_FIXTURES.find((x) => x.name === name)!;
      poison.push(rawMessage(p.bytes!, { eventId: `poison-${name}-${randomUUID()}` }));
    }
    await produceAll(producer, fresh.names.raw, [...good, ...unknownTenant, ...poison]);
    expectedOutputs = good.length;
    const { outputs, dlq } = await pipeline(0);
    expect(outputs).toHaveLength(2);
    expect(dlq).toHaveLength(5);
  });
  afterAll(async () => {
    await transformer?.close();
    await producer?.disconnect();
    await fresh?.cleanup();
  });

  it('list: one entry per DLQ record with where, when, why and which event; filters and limit', async () => {
    const all = await cliJson<Entry[]>(['dlq', 'list'], env);
    expect(all).toHaveLength(5);
    expect(countBy(all, (e) => e.reason)).toEqual(
      new Map([
        ['unknown_tenant', 3],
        ['invalid_json', 1],
        ['unmapped_event_type', 1],
      ]),
    );
    for (const e of all) {
      expect(e.ref).toBe(`${e.partition}:${e.offset}`);
      expect(e.address).toBe(`${fresh.names.dlq}/${e.partition}/${e.offset}`);
      expect(Date.parse(e.failedAt)).toBeGreaterThan(Date.now() - 120_000);
      expect(e.source).toMatch(new RegExp(`^${fresh.names.raw.replaceAll('.', '\\.')}/\\d/\\d+$`));
      expect(e.error.length).toBeGreaterThan(0);
      expect(e.attempts).toBe(1);
    }
    const tenantless = all.filter((e) => e.reason === 'unknown_tenant');
    expect(tenantless.map((e) => e.eventId).sort()).toEqual(
      unknownTenant.map((m) => m.key as string).sort(),
    );
    expect(tenantless.every((e) => e.stage === 'tenant' && e.locationId === NEW_LOCATION)).toBe(
      true,
    );
    expect(all.map((e) => e.timestamp)).toEqual(all.map((e) => e.timestamp).sort());

    expect(await cliJson<Entry[]>(['dlq', 'list', '--reason', 'unknown_tenant'], env)).toEqual(
      tenantless,
    );
    expect(
      await cliJson<Entry[]>(['dlq', 'list', '--reason', 'invalid_json,unmapped_event_type'], env),
    ).toHaveLength(2);
    expect(await cliJson<Entry[]>(['dlq', 'list', '--limit', '2'], env)).toEqual(all.slice(0, 2));
    expect(await cliJson<Entry[]>(['dlq', 'list', '--since', '2100-01-01'], env)).toEqual([]);
    expect(await cliJson<Entry[]>(['dlq', 'list', '--since', '1h'], env)).toHaveLength(5);
    expect(await cliJson<Entry[]>(['dlq', 'list', '--location', NEW_LOCATION], env)).toHaveLength(
      3,
    );

    const human = await cli(['dlq', 'list'], env);
    expect(human.stdout).toMatch(
      /^record\s+failed-at\s+reason\s+stage\s+event-id\s+type\s+source\s+error$/m,
    );
    expect(human.stdout.trim().split('\n')).toHaveLength(6);
    const bad = await cli(['dlq', 'list', '--reason', 'bogus'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown DLQ reason bogus');
  });

  it('show: every header and the exact original bytes; tail prints the DLQ as text', async () => {
    const [entry] = await cliJson<Entry[]>(
      ['dlq', 'list', '--reason', 'unknown_tenant', '--limit', '1'],
      env,
    );
    const sent = unknownTenant.find((m) => m.key === entry!.eventId)!;
    const shown = await cliJson<Entry & { record: View }>(['dlq', 'show', entry!.ref], env);
    expect(shown).toMatchObject({ ...entry });
    expect(shown.record.value).toBe((sent.value as Buffer).toString());
    expect(shown.record.key).toBe(sent.key);
    expect(shown.record.headers).toMatchObject({
      ...(sent.headers as Record<string, string>),
      [DLQ_HEADERS.reason]: 'unknown_tenant',
      [DLQ_HEADERS.stage]: 'tenant',
      [DLQ_HEADERS.source]: entry!.source,
    });
    const byAddress = await cliJson<Entry>(
      ['dlq', 'show', `ghl.dlq/${entry!.partition}/${entry!.offset}`],
      env,
    );
    expect(byAddress.ref).toBe(entry!.ref);

    const human = await cli(['dlq', 'show', entry!.ref], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/reason\s+unknown_tenant\s+stage tenant/);
    expect(human.stdout).toContain((sent.value as Buffer).toString());

    expect((await cli(['dlq', 'show', 'abc'], env)).code).toBe(2);
    const missing = await cli(['dlq', 'show', `${entry!.partition}:99999`], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no record at .*ghl\.dlq/);

    const tail = jsonLines<View>((await cli(['--json', 'tail', 'ghl.dlq'], env)).stdout);
    expect(tail).toHaveLength(5);
    expect(tail.every((r) => r.valueFormat === 'text' && r.headers[DLQ_HEADERS.reason])).toBe(true);
  });

  it('redrive after fixing the tenant map: outputs appear; a second redrive yields no duplicate', async () => {
    const before = await rawEnds();
    const dry = await cliJson<{ selected: number; redriven: number; dryRun: boolean }>(
      ['dlq', 'redrive', '--reason', 'unknown_tenant', '--dry-run'],
      env,
    );
    expect(dry).toMatchObject({ dryRun: true, selected: 3, redriven: 0 });
    expect(await rawEnds()).toBe(before);

    expect((await cli(['tenants', 'set', NEW_LOCATION, 'tenant-b'], env)).code).toBe(0);
    // The transformer follows the tenants topic live, asynchronously: wait until this instance
    // has the mapping (a probe sent before that races the update), then a probe event proves the
    // outputs use it.
    await expect
      .poll(() => transformer.tenantOf(NEW_LOCATION), { timeout: 20_000, interval: 100 })
      .toBe('tenant-b');
    const probe = rawMessage(relocated(SEED_FIXTURES[0]!.bytes), {
      eventId: `probe-${randomUUID()}`,
      locationId: NEW_LOCATION,
    });
    await produceAll(producer, fresh.names.raw, [probe]);
    expectedOutputs += 1;
    const afterProbe = await pipeline(0);
    expect(afterProbe.outputs.find((o) => o.decoded.eventId === probe.key)?.decoded.tenantId).toBe(
      'tenant-b',
    );

    const entries = await cliJson<Entry[]>(['dlq', 'list', '--reason', 'unknown_tenant'], env);
    const beforeRedrive = await rawEnds();
    const first = await cliJson<{ selected: number; redriven: number; records: string[] }>(
      ['dlq', 'redrive', '--reason', 'unknown_tenant'],
      env,
    );
    expect(first).toMatchObject({ selected: 3, redriven: 3 });
    expect(first.records.sort()).toEqual(entries.map((e) => e.address).sort());

    // What went to ghl.raw: original key, bytes and headers, no dlq-*, redrive-of, same partition.
    const redriven = jsonLines<View>(
      (await cli(['--json', 'tail', 'ghl.raw', '--from', beforeRedrive], env)).stdout,
    );
    expect(redriven).toHaveLength(3);
    for (const r of redriven) {
      const entry = entries.find((e) => e.address === r.headers[REPLAY_HEADERS.redriveOf])!;
      expect(entry).toBeDefined();
      const sent = unknownTenant.find((m) => m.key === entry.eventId)!;
      expect(r.key).toBe(sent.key);
      expect(r.value).toBe((sent.value as Buffer).toString());
      const { [REPLAY_HEADERS.redriveOf]: _r, ...headers } = r.headers;
      expect(headers).toEqual(sent.headers);
      expect(`${fresh.names.raw}/${r.partition}`).toBe(entry.source.replace(/\/\d+$/, ''));
    }

    expectedOutputs += 3;
    const { outputs } = await pipeline();
    for (const m of unknownTenant) {
      const out = outputs.filter((o) => o.decoded.eventId === m.key);
      expect(out, m.key as string).toHaveLength(1);
      expect(out[0]!.decoded.tenantId).toBe('tenant-b');
    }

    const second = await cliJson<{ redriven: number }>(
      ['dlq', 'redrive', '--reason', 'unknown_tenant'],
      env,
    );
    expect(second.redriven).toBe(3);
    await caughtUp();
    const again = await pipeline(1000);
    expect(again.outputs).toHaveLength(expectedOutputs);
    const counts = countBy(again.outputs, (o) => String(o.decoded.eventId));
    for (const m of unknownTenant) expect(counts.get(m.key as string)).toBe(1);
    expect(again.dlq).toHaveLength(5);
  });

  it('redrive of an unmapped event type after a restart with UNMAPPED_EVENT_POLICY=skip: skipped, not dead-lettered again', async () => {
    await transformer.close();
    transformer = await startTransformer(fresh, {
      UNKNOWN_TENANT_POLICY: 'dlq',
      UNMAPPED_EVENT_POLICY: 'skip',
    });
    const result = await cliJson<{ selected: number; redriven: number }>(
      ['dlq', 'redrive', '--reason', 'unmapped_event_type'],
      env,
    );
    expect(result).toMatchObject({ selected: 1, redriven: 1 });
    await caughtUp();
    const { outputs, dlq } = await pipeline(1000);
    expect(outputs).toHaveLength(expectedOutputs);
    expect(dlq).toHaveLength(5);
    const human = await cli(
      ['dlq', 'redrive', '--reason', 'unmapped_event_type', '--dry-run'],
      env,
    );
    expect(human.stdout).toMatch(/dry run: would redrive 1 DLQ record/);
  });
});
