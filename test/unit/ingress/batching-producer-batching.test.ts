// The batching producer's batches: one sendBatch in flight with acks=-1, each request answered
// only after the ack, the caps on records and bytes (recordBytes), lingering, and the metrics.
import { afterEach, describe, expect, it } from 'vitest';
import { recordBytes, type RawRecord } from '../../../services/ingress/src/producer-types.js';
import { closeProducers, record, setup, sleep, tick, watch } from './batching-producer-harness.js';

afterEach(closeProducers);

describe('recordBytes', () => {
  it('counts value, key and headers (UTF-8 bytes), so a batch stays under message.max.bytes', () => {
    const r: RawRecord = {
      key: 'k€',
      value: Buffer.alloc(1000),
      headers: { 'event-type': 'contact.created', 'location-id': 'lö' },
    };
    expect(recordBytes(r)).toBe(24 + 1000 + 4 + (10 + 15 + 2) + (11 + 3 + 2));
  });
});

describe('BatchingProducer: batching', () => {
  it('sends concurrent requests as one sendBatch (acks=-1) and resolves each only after the ack', async () => {
    const { broker, producer } = setup();
    await producer.start();
    const w = ['a', 'b', 'c'].map((k) => watch(producer.produce(record(k))));
    await tick();
    expect(broker.allSends).toHaveLength(1);
    const [send] = broker.allSends;
    expect(send!.keys).toEqual(['a', 'b', 'c']);
    expect(send!.request).toMatchObject({ acks: -1, timeout: 1000 });
    expect(send!.request.topicMessages?.[0]?.topic).toBe('ghl.raw');
    await sleep(5);
    expect(w.map((x) => x.state)).toEqual(['pending', 'pending', 'pending']);
    expect(producer.pending()).toBe(3);
    send!.resolve();
    await sleep(0);
    expect(w.map((x) => x.state)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(producer.pending()).toBe(0);
  });

  it('keeps ONE sendBatch in flight; what arrives meanwhile leaves together when it settles', async () => {
    const { broker, producer } = setup();
    await producer.start();
    const first = watch(producer.produce(record('a')));
    await tick();
    const later = ['b', 'c', 'd'].map((k) => watch(producer.produce(record(k))));
    await sleep(10);
    expect(broker.allSends).toHaveLength(1);
    broker.allSends[0]!.resolve();
    await sleep(0);
    expect(first.state).toBe('resolved');
    expect(broker.allSends).toHaveLength(2);
    expect(broker.allSends[1]!.keys).toEqual(['b', 'c', 'd']);
    expect(later.map((x) => x.state)).toEqual(['pending', 'pending', 'pending']);
    broker.allSends[1]!.resolve();
    await sleep(0);
    expect(later.map((x) => x.state)).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('caps a batch at maxBatch records and at maxBatchBytes (but always sends at least one)', async () => {
    // record('a') is 24 + 10 + 1 + ('event-id' 8 + 1 + 2) = 46 bytes.
    expect(recordBytes(record('a'))).toBe(46);
    const { broker, producer } = setup({ maxBatch: 2, maxBatchBytes: 100 });
    broker.autoAck = true;
    await producer.start();
    await Promise.all([
      producer.produce(record('a')),
      producer.produce(record('b')),
      producer.produce(record('c')),
      producer.produce(record('big', 100)),
      producer.produce(record('d')),
      producer.produce(record('e')),
      producer.produce(record('f')),
    ]);
    expect(broker.allSends.map((s) => s.keys)).toEqual([
      ['a', 'b'],
      ['c'],
      ['big'],
      ['d', 'e'],
      ['f'],
    ]);
  });

  it('waits up to lingerMs for more records when idle', async () => {
    const { broker, producer } = setup({ lingerMs: 40 });
    broker.autoAck = true;
    await producer.start();
    const a = producer.produce(record('a'));
    await sleep(10);
    const b = producer.produce(record('b'));
    await Promise.all([a, b]);
    expect(broker.allSends.map((s) => s.keys)).toEqual([['a', 'b']]);
  });

  it('records batch sizes and produce latency', async () => {
    const { broker, producer, metrics } = setup();
    broker.autoAck = true;
    await producer.start();
    await Promise.all(['a', 'b'].map((k) => producer.produce(record(k))));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/ingress_produce_batch_size_sum\{service="ingress"\} 2/);
    expect(text).toMatch(/ingress_produce_batch_size_count\{service="ingress"\} 1/);
    expect(text).toMatch(/ingress_produce_latency_seconds_count\{service="ingress"\} 2/);
    expect(text).toMatch(/ingress_producer_ready\{service="ingress"\} 1/);
  });
});
