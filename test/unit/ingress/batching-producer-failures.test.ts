// The batching producer's failures never turn into a late 200: a failed batch (and a fresh
// producer after it), timeouts in flight and in the queue, late acks, and MAX_IN_FLIGHT.
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeProducers,
  deferred,
  record,
  setup,
  sleep,
  tick,
  watch,
} from './batching-producer-harness.js';

afterEach(closeProducers);

describe('BatchingProducer: failures never turn into a late 200', () => {
  it('answers 429 KAFKA_UNAVAILABLE for a failed batch and sends the next one from a FRESH producer', async () => {
    const { broker, producer, metrics } = setup();
    await producer.start();
    const first = broker.last;
    const w = ['a', 'b'].map((k) => watch(producer.produce(record(k))));
    await tick();
    first.sends[0]!.reject(new Error('NOT_ENOUGH_REPLICAS'));
    await sleep(5);
    expect(w.map((x) => [x.state, x.code])).toEqual([
      ['rejected', 'ING_ERR_KAFKA_UNAVAILABLE'],
      ['rejected', 'ING_ERR_KAFKA_UNAVAILABLE'],
    ]);
    // kafkajs hazard: the failed producer's sequence numbers may repeat, so it is gone for good.
    expect(first.disconnects).toBeGreaterThan(0);
    await producer.whenReady();
    expect(broker.producers).toHaveLength(2);
    const next = watch(producer.produce(record('c')));
    await tick();
    expect(first.sends).toHaveLength(1);
    expect(broker.last.sends.map((s) => s.keys)).toEqual([['c']]);
    broker.last.sends[0]!.resolve();
    await sleep(0);
    expect(next.state).toBe('resolved');
    expect(await metrics.registry.metrics()).toMatch(
      /ingress_producer_recreations_total\{service="ingress"\} 1/,
    );
  });

  it('answers 429 PRODUCE_TIMEOUT at the deadline and ignores an ack that comes later', async () => {
    const { broker, producer } = setup({ timeoutMs: 60 });
    await producer.start();
    const first = broker.last;
    const started = Date.now();
    const w = watch(producer.produce(record('slow')));
    await sleep(90);
    expect(w.state).toBe('rejected');
    expect(w.code).toBe('ING_ERR_PRODUCE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(200);
    // The abandoned batch's producer is replaced; its late ack changes nothing.
    first.sends[0]!.resolve();
    await sleep(10);
    expect(w.settledTimes).toBe(1);
    expect(w.state).toBe('rejected');
    expect(broker.producers.length).toBeGreaterThanOrEqual(2);
    expect(first.disconnects).toBeGreaterThan(0);
  });

  it('answers 429 to a request that timed out inside a batch that is acked later, and counts it once', async () => {
    const { broker, producer } = setup({ timeoutMs: 300 });
    await producer.start();
    const a = watch(producer.produce(record('a')));
    await sleep(50);
    const b = watch(producer.produce(record('b')));
    await sleep(150);
    broker.allSends[0]!.resolve();
    await sleep(5);
    expect(a.state).toBe('resolved');
    expect(broker.allSends[1]!.keys).toEqual(['b']);
    await sleep(170);
    expect(b).toMatchObject({ state: 'rejected', code: 'ING_ERR_PRODUCE_TIMEOUT' });
    broker.allSends[1]!.resolve();
    await sleep(5);
    expect(b.settledTimes).toBe(1);
    expect(producer.pending()).toBe(0);
    expect(broker.producers).toHaveLength(1);
  });

  it('drops a request that times out while still queued: it is never sent', async () => {
    const { broker, producer } = setup({ timeoutMs: 60 });
    await producer.start();
    const first = broker.last;
    watch(producer.produce(record('in-flight')));
    await tick();
    // Reconnects after the abandon hang until released, so 'queued' expires in the queue.
    broker.connectGate = deferred();
    await sleep(30);
    const queued = watch(producer.produce(record('queued')));
    await sleep(100);
    expect(queued.code).toBe('ING_ERR_PRODUCE_TIMEOUT');
    broker.connectGate.resolve();
    broker.connectGate = undefined;
    await producer.whenReady();
    const fresh = watch(producer.produce(record('fresh')));
    await tick();
    expect(first.sends.map((s) => s.keys)).toEqual([['in-flight']]);
    expect(broker.last.sends.map((s) => s.keys)).toEqual([['fresh']]);
    broker.last.sends[0]!.resolve();
    await sleep(0);
    expect(fresh.state).toBe('resolved');
    expect(queued.settledTimes).toBe(1);
  });

  it('refuses requests over MAX_IN_FLIGHT with 429 OVERLOADED', async () => {
    const { broker, producer } = setup({ maxInFlight: 2 });
    await producer.start();
    const w = ['a', 'b', 'c'].map((k) => watch(producer.produce(record(k))));
    await tick();
    expect(w[2]).toMatchObject({ state: 'rejected', code: 'ING_ERR_OVERLOADED' });
    broker.allSends[0]!.resolve();
    await sleep(0);
    expect(w.slice(0, 2).map((x) => x.state)).toEqual(['resolved', 'resolved']);
    expect(producer.pending()).toBe(0);
  });
});
