// The exactly-once verifier (Apache Kafka's Java client, read_committed) against the real broker:
// it counts committed records only, including when aborted and committed transactions of two
// producers interleave on one partition, derives IDs from headers / key as documented, and reports
// a transaction left open as hanging.
import { randomUUID } from 'node:crypto';
import type { Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactlyOnce, verifyCommitted } from '../../../infra/verifier/verifier.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { stackEnv, testKafka, uniquePrefix } from '../../helpers/integration.js';

describe('exactly-once verifier (Java client, read_committed)', () => {
  const kafka = testKafka('verifier-test');
  const admin = kafka.admin();
  const prefix = uniquePrefix('verifier');
  const out = `${prefix}out`;
  const dlq = `${prefix}dlq`;
  const open = `${prefix}open`;
  const waiting = `${prefix}wait`;
  const twice = `${prefix}twice`;
  const producers: Producer[] = [];

  const transactional = async (): Promise<Producer> => {
    const p = kafka.producer({
      transactionalId: `${prefix}tx-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await p.connect();
    producers.push(p);
    return p;
  };
  /** One record on `partition` whose ID comes from the ce_id header. */
  const event = (id: string, partition: number, headers: Record<string, string> = {}): Message => ({
    key: `key-of-${id}`,
    value: id,
    partition,
    headers: { ce_id: id, ...headers },
  });

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [
      { topic: out, numPartitions: 3 },
      { topic: dlq, numPartitions: 1 },
      { topic: open, numPartitions: 2 },
      { topic: waiting, numPartitions: 1 },
      { topic: twice, numPartitions: 2 },
    ]);
  });
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await admin.deleteTopics({ topics: [out, dlq, open, waiting, twice] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('counts committed records only, with aborts interleaved by two producers on one partition', async () => {
    const p1 = await transactional();
    const p2 = await transactional();
    const committed: string[] = [];

    // Plain transactions on their own partitions.
    const a = await p1.transaction();
    await a.send({ topic: out, messages: ['c1', 'c2', 'c3'].map((id) => event(id, 0)) });
    await a.commit();
    committed.push('c1', 'c2', 'c3');
    const b = await p1.transaction();
    await b.send({ topic: out, messages: ['x1', 'x2'].map((id) => event(id, 1)) });
    await b.abort();

    // Partition 2: two producers' transactions interleave record by record; the first one
    // aborts while the second commits, then the other way round.
    for (const [aborter, committer, round] of [
      [p1, p2, 'r1'],
      [p2, p1, 'r2'],
    ] as const) {
      const ta = await aborter.transaction();
      const tc = await committer.transaction();
      for (let i = 0; i < 3; i++) {
        await ta.send({ topic: out, messages: [event(`${round}-aborted-${i}`, 2)] });
        await tc.send({ topic: out, messages: [event(`${round}-committed-${i}`, 2)] });
        committed.push(`${round}-committed-${i}`);
      }
      await ta.abort();
      await tc.commit();
    }

    // ID derivation and JSON escaping: ce_id wins over event-id, then event-id, then the key,
    // then "(null)"; IDs with quotes, backslashes, control characters and non-ASCII survive.
    const odd = ['quo"te', 'back\\slash', 'new\nline\ttab\u0001', 'ünïcødé ✓ 𝄞', '__proto__'];
    const c = await p2.transaction();
    await c.send({
      topic: out,
      messages: [
        { partition: 0, key: 'k', value: 'v', headers: { ce_id: 'ce-wins', 'event-id': 'no' } },
        { partition: 0, key: 'k', value: 'v', headers: { 'event-id': 'from-event-id' } },
        { partition: 0, key: 'from-key', value: 'v' },
        { partition: 0, key: null, value: 'v' },
        ...odd.map((id) => ({ partition: 1, key: null, value: 'v', headers: { ce_id: id } })),
      ],
    });
    await c.send({
      topic: dlq,
      messages: [
        { key: 'p1', value: 'bad', headers: { 'event-id': 'p1', 'dlq-reason': 'invalid-json' } },
        { key: 'p2', value: 'bad', headers: { 'event-id': 'p2', 'dlq-reason': 'invalid-json' } },
        { key: 'p3', value: 'bad', headers: { 'event-id': 'p3', 'dlq-reason': 'unmapped' } },
      ],
    });
    await c.commit();
    committed.push('ce-wins', 'from-event-id', 'from-key', '(null)', ...odd);
    const d = await p2.transaction();
    await d.send({
      topic: dlq,
      messages: [{ key: 'p4', value: 'bad', headers: { 'dlq-reason': 'x' } }],
    });
    await d.abort();

    const report = await verifyCommitted({
      brokers: stackEnv().brokers,
      topics: [out, dlq],
      waitLsoMs: 10_000,
    });
    expect(report.hanging).toEqual([]);
    expect(report.perTopic).toEqual({ [out]: committed.length, [dlq]: 3 });
    expect(report.records).toBe(committed.length + 3);
    expect(exactlyOnce(report, [...committed, 'p1', 'p2', 'p3'])).toEqual({
      missing: [],
      duplicated: {},
      unexpected: [],
    });
    expect(Object.keys(report.idsByTopic[dlq] ?? {}).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(Object.keys(report.idsByTopic[out] ?? {}).sort()).toEqual([...committed].sort());
    expect(report.dlqReasons).toEqual({ 'invalid-json': 2, unmapped: 1 });
    for (const id of odd) expect(report.ids[id]).toBe(1);

    expect(report.locations).toEqual({});
    expect(report.copies).toEqual({});

    // Re-reading is a snapshot, not a consumer group: the same counts again. Located: where each
    // ID of the DLQ topic was read (the aborted p4 was never read, so it has no location).
    const again = await verifyCommitted({
      brokers: stackEnv().brokers,
      topics: [out, dlq],
      locateTopic: dlq,
    });
    expect({ ...again, locations: {} }).toEqual(report);
    expect(Object.keys(again.locations).sort()).toEqual(['p1', 'p2', 'p3']);
    const offsets = ['p1', 'p2', 'p3'].map((id) => again.locations[id]?.split(':'));
    for (const at of offsets) expect(at?.[0]).toBe('0');
    expect(offsets.map((at) => Number(at?.[1]))).toEqual(
      [0, 1, 2].map((i) => Number(offsets[0]?.[1]) + i),
    );
  });

  it('names where each copy of an ID read more than once in one topic is', async () => {
    const p = await transactional();
    const txn = await p.transaction();
    await txn.send({
      topic: twice,
      messages: [event('dup', 0), event('once', 0), event('dup', 1), event('dup', 0)],
    });
    // Once here and once in the other topic is not a copy within a topic.
    await txn.send({
      topic: dlq,
      messages: [{ key: 'once', value: 'x', headers: { 'event-id': 'once' } }],
    });
    await txn.commit();
    const report = await verifyCommitted({ brokers: stackEnv().brokers, topics: [twice, dlq] });
    expect(Object.keys(report.copies)).toEqual(['dup']);
    expect([...(report.copies['dup'] ?? [])].sort()).toEqual(
      [`${twice}/0:0`, `${twice}/0:2`, `${twice}/1:0`].sort(),
    );
    expect(exactlyOnce(report, ['dup', 'once']).duplicated).toEqual({ dup: 3, once: 2 });
  });

  it('reports a transaction left open as hanging, and counts past it once it is aborted', async () => {
    const writer = await transactional();
    const holder = await transactional();
    const before = await writer.transaction();
    await before.send({ topic: open, messages: [event('before', 0), event('other', 1)] });
    await before.commit();

    const hung = await holder.transaction();
    await hung.send({ topic: open, messages: [event('never', 0)] });
    // Committed after the open transaction's first record: not readable until it ends.
    const after = await writer.transaction();
    await after.send({ topic: open, messages: [event('after', 0)] });
    await after.commit();

    const started = Date.now();
    const stuck = await verifyCommitted({
      brokers: stackEnv().brokers,
      topics: [open],
      waitLsoMs: 2000,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(stuck.hanging).toEqual([`${open}/0`]);
    expect(stuck.ids).toEqual({ before: 1, other: 1 });

    await hung.abort();
    const settled = await verifyCommitted({
      brokers: stackEnv().brokers,
      topics: [open],
      waitLsoMs: 10_000,
    });
    expect(settled.hanging).toEqual([]);
    expect(exactlyOnce(settled, ['before', 'other', 'after'])).toEqual({
      missing: [],
      duplicated: {},
      unexpected: [],
    });
  });

  it('waits for a transaction open at start and counts it by its outcome', async () => {
    const writer = await transactional();
    const pending = await writer.transaction();
    await pending.send({ topic: waiting, messages: [event('late-1', 0), event('late-2', 0)] });
    const verifying = verifyCommitted({
      brokers: stackEnv().brokers,
      topics: [waiting],
      waitLsoMs: 30_000,
    });
    // Commit while the verifier waits (it needs a second or two just to start its JVM).
    await new Promise((r) => setTimeout(r, 4000));
    await pending.commit();
    const report = await verifying;
    expect(report.hanging).toEqual([]);
    expect(exactlyOnce(report, ['late-1', 'late-2'])).toEqual({
      missing: [],
      duplicated: {},
      unexpected: [],
    });
  });

  it('fails clearly on a topic that does not exist', async () => {
    await expect(
      verifyCommitted({ brokers: stackEnv().brokers, topics: [`${prefix}missing`] }),
    ).rejects.toThrow(/does not exist/);
  });
});
