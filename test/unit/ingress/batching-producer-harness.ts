// Shared pieces of the batching-producer test files: a scripted stand-in for kafkajs (FakeBroker
// and its producers, whose sends the tests ack, fail or leave hanging), records, a watcher for
// promises that must not be awaited, and a producer built per test and closed after it.
import type { Message, ProducerBatch } from 'kafkajs';
import { IngressError } from '../../../services/common/src/errors.js';
import { createLogger } from '../../../services/common/src/logger.js';
import { BatchingProducer } from '../../../services/ingress/src/batching-producer.js';
import { createIngressMetrics } from '../../../services/ingress/src/metrics.js';
import type {
  BatchingProducerOptions,
  ProducerLike,
  RawRecord,
} from '../../../services/ingress/src/producer-types.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const tick = () => new Promise<void>((r) => setImmediate(r));
/** Polls `condition` (timer-driven checks run late on a busy machine; no fixed sleeps for them). */
export async function eventually(condition: () => boolean, timeoutMs = 3000): Promise<void> {
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
export const deferred = (): Deferred => {
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

export const record = (key: string, size = 10): RawRecord => ({
  key,
  value: Buffer.alloc(size, 'x'),
  headers: { 'event-id': key },
});

/** Watches a promise without awaiting it: 'pending' until it settles. */
export const watch = (p: Promise<void>) => {
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
/** For each file's afterEach: closes the producers its tests built. */
export async function closeProducers(): Promise<void> {
  for (const p of open.splice(0)) await p.close();
}

export function setup(overrides: Partial<BatchingProducerOptions> = {}) {
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
