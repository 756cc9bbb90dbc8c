// The batching producer's life around the broker: not ready and failing fast while Kafka is down
// (noticed by the health check when idle), recovering by itself, and shutting down after flushing
// what it took.
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeProducers,
  deferred,
  eventually,
  record,
  setup,
  sleep,
  tick,
  watch,
} from './batching-producer-harness.js';

afterEach(closeProducers);

describe('BatchingProducer: Kafka down and back', () => {
  it('is not ready and fails fast while Kafka is down, then recovers by itself', async () => {
    const { broker, producer } = setup({ backoff: { initialMs: 150, maxMs: 150 } });
    broker.down = true;
    void producer.start();
    await sleep(5);
    expect(producer.isReady()).toBe(false);
    const started = Date.now();
    await expect(producer.produce(record('a'))).rejects.toMatchObject({
      code: 'ING_ERR_KAFKA_UNAVAILABLE',
      statusCode: 429,
    });
    expect(Date.now() - started).toBeLessThan(20);
    await sleep(200);
    const attemptsWhileDown = broker.producers.length;
    expect(attemptsWhileDown).toBeGreaterThan(1);
    broker.down = false;
    broker.autoAck = true;
    await producer.whenReady();
    expect(producer.isReady()).toBe(true);
    await expect(producer.produce(record('b'))).resolves.toBeUndefined();
  });

  it('answers queued requests with 429 at once when reconnecting after a failure finds Kafka down', async () => {
    const { broker, producer } = setup({ timeoutMs: 5000 });
    await producer.start();
    const inFlight = watch(producer.produce(record('a')));
    await tick();
    broker.down = true;
    broker.connectGate = deferred();
    broker.allSends[0]!.reject(new Error('connection closed'));
    await sleep(5);
    // Recovering: the next producer is connecting, so requests queue rather than fail.
    const queued = watch(producer.produce(record('b')));
    await sleep(5);
    expect(queued.state).toBe('pending');
    broker.connectGate.resolve();
    await sleep(5);
    expect(inFlight.code).toBe('ING_ERR_KAFKA_UNAVAILABLE');
    expect(queued.code).toBe('ING_ERR_KAFKA_UNAVAILABLE');
    expect(producer.isReady()).toBe(false);
  });

  // Regression: an ingress without traffic answered /readyz 200 through a whole broker outage.
  it('notices Kafka going away while idle (health check), answers 429 and not ready, recovers', async () => {
    const { broker, producer } = setup({
      healthCheckMs: 30,
      backoff: { initialMs: 20, maxMs: 20 },
    });
    await producer.start();
    broker.down = true;
    await eventually(() => !producer.isReady());
    await expect(producer.produce(record('a'))).rejects.toMatchObject({
      code: 'ING_ERR_KAFKA_UNAVAILABLE',
    });
    broker.down = false;
    broker.autoAck = true;
    await producer.whenReady();
    await expect(producer.produce(record('b'))).resolves.toBeUndefined();
  });

  it('counts a health check that hangs past its interval as failed, and skips checks while sending', async () => {
    const { broker, producer } = setup({
      healthCheckMs: 30,
      backoff: { initialMs: 20, maxMs: 20 },
    });
    await producer.start();
    const created = broker.producers.length;
    broker.checkGate = deferred(); // the broker stops answering
    await eventually(() => !producer.isReady());
    expect(broker.producers.length).toBeGreaterThan(created);
    broker.checkGate.resolve();
    await producer.whenReady();
    // Traffic keeps it ready without checks: an acknowledged send proves Kafka is there.
    broker.autoAck = true;
    const checksBefore = broker.producers.length;
    for (let i = 0; i < 6; i++) {
      await producer.produce(record(`k${i}`));
      await sleep(10);
    }
    expect(producer.isReady()).toBe(true);
    expect(broker.producers.length).toBe(checksBefore);
  });

  it('is not ready while the topic is missing', async () => {
    const { broker, producer } = setup();
    broker.topicMissing = true;
    void producer.start();
    await sleep(50);
    expect(producer.isReady()).toBe(false);
    broker.topicMissing = false;
    await producer.whenReady();
    expect(producer.isReady()).toBe(true);
  });
});

describe('BatchingProducer: shutdown', () => {
  it('refuses new records with SHUTTING_DOWN, flushes the taken ones, then disconnects', async () => {
    const { broker, producer } = setup();
    await producer.start();
    const taken = ['a', 'b'].map((k) => watch(producer.produce(record(k))));
    await tick();
    const waiting = watch(producer.produce(record('c')));
    let closed = false;
    const closing = producer.close().then(() => {
      closed = true;
    });
    await expect(producer.produce(record('late'))).rejects.toMatchObject({
      code: 'ING_ERR_SHUTTING_DOWN',
    });
    await sleep(5);
    expect(closed).toBe(false);
    broker.allSends[0]!.resolve();
    await sleep(0);
    expect(broker.allSends[1]!.keys).toEqual(['c']);
    broker.allSends[1]!.resolve();
    await closing;
    expect([...taken, waiting].map((x) => x.state)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(broker.last.connected).toBe(false);
    expect(producer.isReady()).toBe(false);
  });
});
