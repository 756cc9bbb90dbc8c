// Dedup by event ID within the window, across a restart (state restored from the changelog),
// with replays re-emitting once per replay id, and expiry writing changelog tombstones.
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPLAY_HEADERS } from '../../../services/common/src/record-headers.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { SEED_FIXTURES } from '../../fixtures/index.js';
import {
  freshTopics,
  readCommitted,
  sleep,
  testKafka,
  type FreshTopics,
  type ReadRecord,
} from '../../helpers/integration.js';
import { produceAll, rawMessage } from '../../helpers/raw-events.js';
import {
  countBy,
  readPipelineOutputs,
  startTransformer,
} from '../../helpers/transformer-harness.js';

describe('transformer dedup', () => {
  const kafka = testKafka('dedup-test');
  let fresh: FreshTopics;
  let producer: Producer;
  const running: Transformer[] = [];
  const body = SEED_FIXTURES.find((f) => f.name === 'contact.created')!.bytes;

  beforeEach(async () => {
    fresh = await freshTopics({ partitions: 2, label: 'dedup' });
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((t) => t.close()));
    await producer.disconnect();
    await fresh.cleanup();
  });

  const start = async (overrides: Record<string, string> = {}) => {
    const t = await startTransformer(fresh, overrides);
    running.push(t);
    return t;
  };

  it('emits an event delivered 5 times once, still once after a restart, and once more per replay id', async () => {
    const first = await start();
    const dup = `dup-${randomUUID()}`;
    const other = `other-${randomUUID()}`;
    await produceAll(producer, fresh.names.raw, [
      ...Array.from({ length: 5 }, () => rawMessage(body, { eventId: dup })),
      rawMessage(body, { eventId: other }),
    ]);
    let seen = await readPipelineOutputs(kafka, fresh.names, { expected: 2, settleMs: 1500 });
    expect(countBy(seen.outputs, (o) => String(o.decoded.eventId))).toEqual(
      new Map([
        [dup, 1],
        [other, 1],
      ]),
    );
    expect(
      await first.metrics.registry.getSingleMetricAsString('transformer_duplicates_total'),
    ).toMatch(/ 4$/m);

    // A new instance restores the dedup state from the changelog before it processes anything.
    await first.close();
    running.splice(running.indexOf(first), 1);
    await start();
    const replayId = randomUUID();
    const last = `last-${randomUUID()}`;
    await produceAll(producer, fresh.names.raw, [
      rawMessage(body, { eventId: dup }),
      rawMessage(body, { eventId: dup, headers: { [REPLAY_HEADERS.replayId]: replayId } }),
      rawMessage(body, { eventId: dup, headers: { [REPLAY_HEADERS.replayId]: replayId } }),
      rawMessage(body, { eventId: last }),
    ]);
    seen = await readPipelineOutputs(kafka, fresh.names, { expected: 4, settleMs: 1500 });
    expect(countBy(seen.outputs, (o) => String(o.decoded.eventId))).toEqual(
      new Map([
        [dup, 2],
        [other, 1],
        [last, 1],
      ]),
    );
    expect(seen.dlq).toHaveLength(0);
  });

  it('forgets event IDs after DEDUP_WINDOW_MS and tombstones them in the changelog', async () => {
    await start({ DEDUP_WINDOW_MS: '1500' });
    const id = `expiring-${randomUUID()}`;
    await produceAll(producer, fresh.names.raw, [
      { ...rawMessage(body, { eventId: id }), partition: 0 },
    ]);
    expect(
      (await readPipelineOutputs(kafka, fresh.names, { expected: 1, settleMs: 200 })).outputs,
    ).toHaveLength(1);
    await sleep(2000);
    // The next transaction on the partition sweeps the expired key before deciding.
    await produceAll(producer, fresh.names.raw, [
      { ...rawMessage(body, { eventId: id }), partition: 0 },
    ]);
    const { outputs } = await readPipelineOutputs(kafka, fresh.names, {
      expected: 2,
      settleMs: 500,
    });
    expect(outputs.filter((o) => o.decoded.eventId === id)).toHaveLength(2);
    const ofId = (records: ReadRecord[]) => records.filter((r) => r.key?.toString() === id);
    const changelog = await readCommitted(kafka, [fresh.names.dedup], {
      expected: 3,
      settleMs: 500,
      until: (records) => ofId(records).length >= 3,
    });
    const entries = ofId(changelog);
    // set (first delivery), tombstone (expiry), set (second delivery), in that order.
    expect(entries.map((r) => (r.value === null ? 'tombstone' : 'set'))).toEqual([
      'set',
      'tombstone',
      'set',
    ]);
  });
});
