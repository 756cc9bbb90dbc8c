// `ghl-pipeline tail`: outputs of the real transformer decoded through the registry, raw records
// as exact text, and every --from form, --limit and --follow.
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { OUTPUT_HEADERS, RAW_HEADERS } from '../../../services/common/src/record-headers.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { EVENTS_NAMESPACE } from '../../../services/transformer/src/avro/schema-catalog.js';
import { GHL_FIXTURES, SEED_FIXTURES, type MappedFixture } from '../../fixtures/index.js';
import { cli, cliEnv, jsonLines } from '../../helpers/cli.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { produceAll, rawMessage } from '../../helpers/raw-events.js';
import { readPipelineOutputs, startTransformer } from '../../helpers/transformer-harness.js';

interface View {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  headers: Record<string, string>;
  value: unknown;
  valueFormat: string;
  schemaId?: number;
}

describe('ghl-pipeline tail', () => {
  const kafka = testKafka('cli-tail-test');
  let fresh: FreshTopics;
  let transformer: Transformer;
  let producer: Producer;
  let env: Record<string, string>;
  const fixtureOf = new Map<string, MappedFixture>();

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 3, label: 'clitail' });
    env = cliEnv(fresh.prefix);
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    transformer = await startTransformer(fresh);
    const messages = [...SEED_FIXTURES, ...GHL_FIXTURES].map((f) => {
      const eventId = `${f.format}-${f.name}-${randomUUID()}`;
      fixtureOf.set(eventId, f);
      return rawMessage(f.bytes, { eventId, eventType: f.name });
    });
    await produceAll(producer, fresh.names.raw, messages);
    const { outputs } = await readPipelineOutputs(kafka, fresh.names, {
      expected: messages.length,
      timeoutMs: 60_000,
      settleMs: 0,
    });
    expect(outputs).toHaveLength(messages.length);
  });
  afterAll(async () => {
    await transformer?.close();
    await producer?.disconnect();
    await fresh?.cleanup();
  });

  it('prints the Avro outputs of neuronx.contact decoded through the registry, one JSON per line', async () => {
    const contacts = [...fixtureOf].filter(([, f]) => f.expected.domain === 'contact');
    const result = await cli(['--json', 'tail', 'neuronx.contact'], env);
    expect(result.code).toBe(0);
    const records = jsonLines<View>(result.stdout);
    expect(records).toHaveLength(contacts.length);
    for (const [eventId, f] of contacts) {
      const r = records.find((v) => (v.value as { eventId?: string }).eventId === eventId);
      expect(r, f.name).toBeDefined();
      expect(r!.topic).toBe(fresh.names.contact);
      expect(r!.valueFormat).toBe('avro');
      expect(typeof r!.schemaId).toBe('number');
      expect(r!.key).toBe(f.expected.key);
      expect(r!.headers[OUTPUT_HEADERS.id]).toBe(eventId);
      expect(r!.headers[OUTPUT_HEADERS.type]).toBe(f.expected.neuronxType);
      expect(r!.value).toMatchObject({
        eventId,
        type: f.expected.neuronxType,
        locationId: f.expected.locationId,
        occurredAt: f.expected.occurredAt,
        payload: { [`${EVENTS_NAMESPACE}.${f.expected.record}`]: f.expected.fields },
      });
      expect(Date.parse(r!.timestamp)).toBeGreaterThan(Date.now() - 120_000);
    }
    // The full topic name works the same.
    const full = await cli(['--json', 'tail', fresh.names.contact], env);
    expect(jsonLines(full.stdout)).toHaveLength(contacts.length);
  });

  it('prints ghl.raw values as the exact text received, with the ingress headers', async () => {
    const result = await cli(['--json', 'tail', 'ghl.raw'], env);
    expect(result.code).toBe(0);
    const records = jsonLines<View>(result.stdout);
    expect(records).toHaveLength(fixtureOf.size);
    for (const r of records) {
      const f = fixtureOf.get(r.key!);
      expect(f).toBeDefined();
      expect(r.valueFormat).toBe('text');
      expect(r.value).toBe(f!.bytes.toString('utf8'));
      expect(r.headers[RAW_HEADERS.eventType]).toBe(f!.name);
    }
  });

  it('without --json prints pretty JSON', async () => {
    const result = await cli(['tail', 'neuronx.opportunity', '--limit', '1'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').length).toBeGreaterThan(10);
    const view = JSON.parse(result.stdout) as View;
    expect(view.valueFormat).toBe('avro');
    expect(view.topic).toBe(fresh.names.opportunity);
  });

  it('--limit, --from partition:offset and --from latest', async () => {
    const limited = await cli(['--json', 'tail', 'ghl.raw', '--limit', '3'], env);
    expect(jsonLines(limited.stdout)).toHaveLength(3);

    const bounds = await fresh.admin.fetchTopicOffsets(fresh.names.raw);
    const busiest = bounds.sort((a, b) => Number(b.high) - Number(a.high))[0]!;
    const from = await cli(['--json', 'tail', 'ghl.raw', '--from', `${busiest.partition}:1`], env);
    const fromRecords = jsonLines<View>(from.stdout);
    expect(fromRecords.map((r) => Number(r.offset)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: Number(busiest.high) - 1 }, (_, i) => i + 1),
    );
    expect(new Set(fromRecords.map((r) => r.partition))).toEqual(new Set([busiest.partition]));

    const two = await cli(['--json', 'tail', 'ghl.raw', '--from', '0:0,2:0'], env);
    const twoRecords = jsonLines<View>(two.stdout);
    const expected = bounds
      .filter((b) => b.partition !== 1)
      .reduce((n, b) => n + Number(b.high), 0);
    expect(twoRecords).toHaveLength(expected);
    expect(twoRecords.some((r) => r.partition === 1)).toBe(false);

    const latest = await cli(['--json', 'tail', 'ghl.raw', '--from', 'latest'], env);
    expect(latest.code).toBe(0);
    expect(latest.stdout).toBe('');
  });

  it('bad positions: usage errors exit 2, impossible ones exit 1', async () => {
    const bad = await cli(['tail', 'ghl.raw', '--from', 'yesterday'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'yesterday' is invalid");
    const noPartition = await cli(['tail', 'ghl.raw', '--from', '7:0'], env);
    expect(noPartition.code).toBe(1);
    expect(noPartition.stderr).toMatch(/^error: .*has no partition 7/);
    const past = await cli(['tail', 'ghl.raw', '--from', '0:99999'], env);
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/^error: offset 99999 is past the end/);
    const limit = await cli(['tail', 'ghl.raw', '--limit', '0'], env);
    expect(limit.code).toBe(2);
  });

  it('--from <iso-time> starts at the first record written at or after it', async () => {
    await sleep(20);
    const since = new Date().toISOString();
    await sleep(20);
    const later = SEED_FIXTURES.slice(0, 3).map((f) =>
      rawMessage(f.bytes, { eventId: `later-${randomUUID()}`, eventType: f.name }),
    );
    await produceAll(producer, fresh.names.raw, later);
    const result = await cli(['--json', 'tail', 'ghl.raw', '--from', since], env);
    expect(
      jsonLines<View>(result.stdout)
        .map((r) => r.key)
        .sort(),
    ).toEqual(later.map((m) => m.key).sort());
  });

  it('--follow waits for new records until --limit; Ctrl-C (abort) ends it with exit 0', async () => {
    const since = new Date().toISOString();
    let settled = false;
    const following = cli(
      ['--json', 'tail', 'ghl.raw', '--from', since, '--follow', '--limit', '2'],
      env,
    ).finally(() => (settled = true));
    await sleep(1500);
    expect(settled).toBe(false);
    const more = SEED_FIXTURES.slice(3, 5).map((f) =>
      rawMessage(f.bytes, { eventId: `follow-${randomUUID()}`, eventType: f.name }),
    );
    await produceAll(producer, fresh.names.raw, more);
    const result = await following;
    expect(result.code).toBe(0);
    expect(
      jsonLines<View>(result.stdout)
        .map((r) => r.key)
        .sort(),
    ).toEqual(more.map((m) => m.key).sort());

    const abort = new AbortController();
    const endless = cli(['tail', 'ghl.dlq', '--from', 'latest', '--follow'], env, {
      signal: abort.signal,
    });
    await sleep(1000);
    abort.abort();
    const stopped = await endless;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toBe('');
  });

  it('stops at the end captured at start when the topic ends in transaction markers or an open transaction', async () => {
    const topic = `${fresh.prefix}txn-probe`;
    await createTopicsAndWait(fresh.admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    const txProducer = kafka.producer({
      transactionalId: `${fresh.prefix}txn-probe-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await txProducer.connect();
    try {
      const committed = await txProducer.transaction();
      await committed.send({ topic, messages: [{ value: 'c1' }, { value: 'c2' }] });
      await committed.commit();
      const aborted = await txProducer.transaction();
      await aborted.send({ topic, messages: [{ value: 'a1' }, { value: 'a2' }, { value: 'a3' }] });
      await aborted.abort();
      // end offset 7: two records, a commit marker, three aborted records, an abort marker
      const started = Date.now();
      const result = await cli(['--json', 'tail', topic], env);
      expect(result.code).toBe(0);
      expect(jsonLines<View>(result.stdout).map((r) => r.value)).toEqual(['c1', 'c2']);
      expect(Date.now() - started).toBeLessThan(4000); // the markers ended it, not the idle wait
      expect(result.stderr).toBe('');
      // From inside the aborted transaction: every fetched record is filtered out, so no
      // eachBatch call ever comes; kafkajs' END_BATCH_PROCESS event still tells the position.
      const filteredOnly = Date.now();
      const tailOfAbort = await cli(['--json', 'tail', topic, '--from', '0:3'], env);
      expect(tailOfAbort.code).toBe(0);
      expect(tailOfAbort.stdout).toBe('');
      expect(tailOfAbort.stderr).toBe('');
      expect(Date.now() - filteredOnly).toBeLessThan(4000);

      // An open transaction: the end captured at start is the last stable offset (kafkajs' admin
      // lists offsets read_committed), so tail stops before it at once; once committed, it shows.
      const open = await txProducer.transaction();
      await open.send({ topic, messages: [{ value: 'o1' }] });
      const beforeCommit = Date.now();
      const pending = await cli(['--json', 'tail', topic], env);
      expect(pending.code).toBe(0);
      expect(jsonLines<View>(pending.stdout).map((r) => r.value)).toEqual(['c1', 'c2']);
      expect(Date.now() - beforeCommit).toBeLessThan(4000);
      await open.commit();
      const after = await cli(['--json', 'tail', topic], env);
      expect(jsonLines<View>(after.stdout).map((r) => r.value)).toEqual(['c1', 'c2', 'o1']);
    } finally {
      await txProducer.disconnect();
      await fresh.admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  });
});
