// The batching producer against a scripted stand-in for kafkajs: these tests inject the faults
// (failed, hanging and late sends, refused connects) that the real broker cannot be made to
// produce on demand. The real-broker behaviour is in test/integration/ingress.
import type { Message, ProducerBatch } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { IngressError } from '../../../services/common/src/errors.js';
import { createLogger } from '../../../services/common/src/logger.js';
import { BatchingProducer } from '../../../services/ingress/src/batching-producer.js';
import { createIngressMetrics } from '../../../services/ingress/src/metrics.js';
import {
  type BatchingProducerOptions,
  recordBytes,
  type ProducerLike,
  type RawRecord,
} from '../../../services/ingress/src/producer-types.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));
/** Polls `condition` (timer-driven checks run late on a busy machine; no fixed sleeps for them). */
async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}
const deferred = (): Deferred => {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

interface SentBatch extends Deferred {
  keys: string[];
  request: ProducerBatch;
}

class FakeProducer implements ProducerLike {
  readonly sends: SentBatch[] = [];
  connected = false;
  disconnects = 0;
  constructor(private readonly broker: FakeBroker) {}

  async connect(): Promise<void> {
    await this.broker.connectGate?.promise;
    if (this.broker.down) throw new Error('ECONNREFUSED');
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.disconnects++;
  }

  sendBatch(request: ProducerBatch): Promise<never[]> {
    const d = deferred();
    const messages = request.topicMessages?.[0]?.messages ?? [];
    this.sends.push({ ...d, request, keys: messages.map((m: Message) => String(m.key)) });
    this.broker.allSends.push(this.sends[this.sends.length - 1]!);
    if (this.broker.autoAck) d.resolve();
    return d.promise.then(() => []);
  }
}

class FakeBroker {
  down = false;
  topicMissing = false;
  autoAck = false;
  connectGate: Deferred | undefined;
  readonly producers: FakeProducer[] = [];
  readonly allSends: SentBatch[] = [];
  readonly create = () => {
    const p = new FakeProducer(this);
    this.producers.push(p);
    return p;
  };
  checkGate: Deferred | undefined;
  readonly checkTopic = async () => {
    await this.checkGate?.promise;
    if (this.down) throw new Error('ECONNREFUSED');
    if (this.topicMissing) throw new Error('topic missing');
  };
  get last(): FakeProducer {
    return this.producers[this.producers.length - 1]!;
  }
}

const record = (key: string, size = 10): RawRecord => ({
  key,
  value: Buffer.alloc(size, 'x'),
  headers: { 'event-id': key },
});

/** Watches a promise without awaiting it: 'pending' until it settles. */
const watch = (p: Promise<void>) => {
  const w: { state: 'pending' | 'resolved' | 'rejected'; code?: string; settledTimes: number } = {
    state: 'pending',
    settledTimes: 0,
  };
  p.then(
    () => {
      w.state = 'resolved';
      w.settledTimes++;
    },
    (err: unknown) => {
      w.state = 'rejected';
      w.code = err instanceof IngressError ? err.code : 'not an IngressError';
      w.settledTimes++;
    },
  );
  return w;
};

const open: BatchingProducer[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

function setup(overrides: Partial<BatchingProducerOptions> = {}) {
  const broker = new FakeBroker();
  const metrics = createIngressMetrics();
  const producer = new BatchingProducer({
    topic: 'ghl.raw',
    lingerMs: 0,
    maxBatch: 100,
    maxBatchBytes: 1_000_000,
    timeoutMs: 1000,
    maxInFlight: 1000,
    createProducer: broker.create,
    checkTopic: broker.checkTopic,
    logger: createLogger('test', 'silent'),
    metrics,
    backoff: { initialMs: 20, maxMs: 80 },
    ...overrides,
  });
  open.push(producer);
  return { broker, producer, metrics };
}

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
