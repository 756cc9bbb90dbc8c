// `ghl-pipeline trace` with the real transformer: an event delivered twice, one dead-lettered
// for an unknown tenant and redriven after the fix, one replayed; each traced by event ID (one
// partition of ghl.raw and of ghl.dlq read), by contact (one partition of neuronx.contact) and by
// location and type, with what was read reported.
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOfKey } from '../../../services/common/src/kafka/partitioner.js';
import type { TraceResult } from '../../../services/common/src/ops/trace-types.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { cli, cliEnv, cliJson } from '../../helpers/cli.js';
import { freshTopics, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { produceAll, rawMessage } from '../../helpers/raw-events.js';
import { readPipelineOutputs, startTransformer } from '../../helpers/transformer-harness.js';

const PARTITIONS = 3;
const NEW_LOCATION = 'loc_trace_new';

const contactBody = (contactId: string, locationId: string) => ({
  event: 'contact.created',
  locationId,
  companyId: 'comp_1',
  timestamp: new Date().toISOString(),
  data: { id: contactId, email: 'ann@example.com', phone: '+14155550100', firstName: 'Ann' },
});

describe('ghl-pipeline trace', () => {
  const kafka = testKafka('cli-trace-test');
  let fresh: FreshTopics;
  let transformer: Transformer;
  let producer: Producer;
  let env: Record<string, string>;
  const run = randomUUID().slice(0, 8);
  const goodId = `good-${run}`;
  const tenantlessId = `tenantless-${run}`;
  const contactId = `ct-${run}`;
  let expected = 0;

  const outputsOf = async (count: number) =>
    readPipelineOutputs(kafka, fresh.names, { expected: count, timeoutMs: 60_000, settleMs: 0 });

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: PARTITIONS, label: 'clitrace' });
    env = cliEnv(fresh.prefix, { TRANSFORMER_GROUP_ID: fresh.group });
    expect((await cli(['tenants', 'set', 'loc_123', 'tenant-a'], env)).code).toBe(0);
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    transformer = await startTransformer(fresh, { UNKNOWN_TENANT_POLICY: 'dlq' });
    const good = rawMessage(contactBody(contactId, 'loc_123'), {
      eventId: goodId,
      eventType: 'contact.created',
    });
    // The same event twice (a GHL redelivery), one for a location without a tenant, and noise.
    const noise = Array.from({ length: 20 }, (_, i) =>
      rawMessage(contactBody(`other-${i}`, 'loc_123'), {
        eventId: `noise-${run}-${i}`,
        eventType: 'contact.created',
      }),
    );
    await produceAll(producer, fresh.names.raw, [good, ...noise]);
    await produceAll(producer, fresh.names.raw, [
      { ...good, headers: { ...good.headers, 'request-id': 'second-delivery' } },
      rawMessage(contactBody(`ct2-${run}`, NEW_LOCATION), {
        eventId: tenantlessId,
        eventType: 'contact.created',
        locationId: NEW_LOCATION,
      }),
    ]);
    expected = 21;
    const { outputs, dlq } = await outputsOf(expected + 1);
    expect(outputs).toHaveLength(expected);
    expect(dlq).toHaveLength(1);
  });
  afterAll(async () => {
    await transformer?.close();
    await producer?.disconnect();
    await fresh?.cleanup();
  });

  it('by event ID: a delivery, its redelivery and one output; reads one partition of ghl.raw and of ghl.dlq', async () => {
    const result = await cliJson<TraceResult>(['trace', goodId], env);
    expect(result.events).toHaveLength(1);
    const [event] = result.events;
    expect(event).toMatchObject({
      eventId: goodId,
      eventType: 'contact.created',
      locationId: 'loc_123',
    });
    expect(event!.steps.map((s) => s.kind)).toEqual(['delivery', 'redelivery', 'output']);
    const [first, second, output] = event!.steps;
    expect(first).toMatchObject({ signatureScheme: 'hmac', processed: true });
    expect(second).toMatchObject({ requestId: 'second-delivery' });
    expect(output).toMatchObject({
      topic: fresh.names.contact,
      key: contactId,
      neuronxType: 'neuronx.contact.ingested',
      tenantId: 'tenant-a',
    });
    const raw = result.scanned.find((s) => s.topic === fresh.names.raw)!;
    expect(raw.ranges.map((r) => r.partition)).toEqual([partitionOfKey(goodId, PARTITIONS)]);
    const dlq = result.scanned.find((s) => s.topic === fresh.names.dlq)!;
    expect(dlq.ranges).toHaveLength(1);
    expect(raw.records).toBeLessThan(expected + 2);
    expect(result.totals.bytes).toBeGreaterThan(0);

    const human = await cli(['trace', goodId], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`event ${goodId}`);
    expect(human.stdout).toMatch(/redelivery/);
    expect(human.stdout).toMatch(/^scanned \d+ record\(s\)/m);
  });

  it('a dead-lettered event: DLQ record, then after the tenant fix a redrive and its output; a replay adds one more', async () => {
    const before = await cliJson<TraceResult>(['trace', tenantlessId], env);
    expect(before.events[0]!.steps.map((s) => s.kind)).toEqual(['delivery', 'dlq']);
    expect(before.events[0]!.steps[1]).toMatchObject({ reason: 'unknown_tenant', stage: 'tenant' });

    expect((await cli(['tenants', 'set', NEW_LOCATION, 'tenant-b'], env)).code).toBe(0);
    await expect
      .poll(() => transformer.tenantOf(NEW_LOCATION), { timeout: 20_000, interval: 100 })
      .toBe('tenant-b');
    expect((await cli(['dlq', 'redrive', '--reason', 'unknown_tenant'], env)).code).toBe(0);
    expected += 1;
    await outputsOf(expected + 1);
    const p = partitionOfKey(tenantlessId, PARTITIONS);
    const ends = await fresh.admin.fetchTopicOffsets(fresh.names.raw);
    // The redrive is the last record of the event's partition: replay exactly that record.
    const redriveOffset = BigInt(ends.find((e) => e.partition === p)!.high) - 1n;
    const replayed = await cliJson<{ replayId: string }>(
      ['replay', '--from', `${p}:${redriveOffset}`, '--to', `${p}:${redriveOffset + 1n}`],
      env,
    );
    expect(replayed.replayId).toMatch(/^[0-9a-f-]{36}$/);
    expected += 1;
    await outputsOf(expected + 1);

    const after = await cliJson<TraceResult>(['trace', tenantlessId, '--since', '1h'], env);
    const steps = after.events[0]!.steps;
    expect(steps.map((s) => s.kind).filter((k) => k !== 'output')).toEqual([
      'delivery',
      'dlq',
      'redrive',
      'replay',
    ]);
    const outputs = steps.filter((s) => s.kind === 'output');
    expect(outputs).toHaveLength(2);
    expect(outputs.every((o) => o.kind === 'output' && o.tenantId === 'tenant-b')).toBe(true);
    const redrive = steps.find((s) => s.kind === 'redrive')!;
    expect(redrive.kind === 'redrive' && redrive.source).toBe(
      (steps.find((s) => s.kind === 'dlq') as { address: string }).address,
    );
    const replayStep = steps.find((s) => s.kind === 'replay')!;
    expect(replayStep.kind === 'replay' && replayStep.replayId).toBe(replayed.replayId);
  });

  it('by contact: one partition of neuronx.contact; by location and type: the window of every ghl.raw partition', async () => {
    const byContact = await cliJson<TraceResult>(
      ['trace', '--contact', contactId, '--since', '1h'],
      env,
    );
    expect(byContact.events.map((e) => e.eventId)).toEqual([goodId]);
    const contactScan = byContact.scanned.find((s) => s.topic === fresh.names.contact)!;
    expect(contactScan.ranges.map((r) => r.partition)).toEqual([
      partitionOfKey(contactId, PARTITIONS),
    ]);

    const byLocation = await cliJson<TraceResult>(
      [
        'trace',
        '--location',
        NEW_LOCATION,
        '--type',
        'contact.created',
        '--since',
        '1h',
        '--values',
      ],
      env,
    );
    expect(byLocation.events.map((e) => e.eventId)).toEqual([tenantlessId]);
    const delivery = byLocation.events[0]!.steps[0]!;
    expect(delivery.kind === 'delivery' && JSON.parse(delivery.body!)).toMatchObject({
      locationId: NEW_LOCATION,
    });
    const output = byLocation.events[0]!.steps.find((s) => s.kind === 'output')!;
    expect(output.kind === 'output' && output.decoded).toMatchObject({ tenantId: 'tenant-b' });
    expect(byLocation.scanned.find((s) => s.topic === fresh.names.raw)!.ranges).toHaveLength(
      PARTITIONS,
    );
  });

  it('not found is exit 1 and says where it looked; no selector is a usage error', async () => {
    const missing = await cli(['trace', `nope-${run}`], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('no matching records found');
    expect(missing.stdout).toContain(
      `${fresh.names.raw} ${partitionOfKey(`nope-${run}`, PARTITIONS)}:`,
    );
    const usage = await cli(['trace'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('give an event ID');
  });
});
