import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { superviseConsumer } from '../../../services/common/src/kafka/consumer-supervisor.js';
import { createLogger } from '../../../services/common/src/logger.js';

/** The part of a kafkajs consumer the supervisor uses; CRASH is injected by the test. */
function fakeConsumer(connectFailures = 0) {
  const emitter = new EventEmitter();
  let failures = connectFailures;
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    connect: vi.fn(async () => {
      if (failures-- > 0) throw new Error('ECONNREFUSED');
    }),
    run: vi.fn(async () => undefined),
  };
  const crash = (restart: boolean) =>
    emitter.emit('consumer.crash', { payload: { error: new Error('boom'), restart } });
  return { consumer: consumer as unknown as Consumer & typeof consumer, crash };
}

describe('superviseConsumer', () => {
  const logger = createLogger('test', 'silent');
  const runConfig = { eachBatch: async () => undefined };
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('restarts a consumer that kafkajs left stopped, with backoff until it works', async () => {
    const { consumer, crash } = fakeConsumer(2);
    superviseConsumer(consumer, runConfig, logger, { initialMs: 100, maxMs: 1000 });
    crash(false);
    await vi.advanceTimersByTimeAsync(100); // attempt 1 fails
    await vi.advanceTimersByTimeAsync(200); // attempt 2 fails
    expect(consumer.run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(400); // attempt 3 works
    expect(consumer.connect).toHaveBeenCalledTimes(3);
    expect(consumer.run).toHaveBeenCalledWith(runConfig);
  });

  it('leaves retriable crashes to kafkajs, and does nothing once stopped', async () => {
    const { consumer, crash } = fakeConsumer();
    const supervisor = superviseConsumer(consumer, runConfig, logger, { initialMs: 10, maxMs: 10 });
    crash(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(consumer.connect).not.toHaveBeenCalled();
    supervisor.stop();
    crash(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(consumer.connect).not.toHaveBeenCalled();
  });
});
