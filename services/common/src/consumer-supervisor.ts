import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Logger } from './logger.js';

export interface ConsumerSupervisor {
  /** Stops restarting (call before the consumer's own disconnect). */
  stop(): void;
}

/**
 * Keeps a kafkajs consumer consuming whatever crashes it. kafkajs restarts a consumer by itself
 * only after a retriable crash (its CRASH event says `restart: true`); after any other crash the
 * consumer stays stopped for good, and its seek/pause/resume throw "Consumer group was not
 * initialized". This restarts such a consumer (connect, then run with the same configuration;
 * subscriptions are kept) with exponential backoff from `initialMs` up to `maxMs`, until a
 * restart succeeds or `stop()` is called.
 */
export function superviseConsumer(
  consumer: Consumer,
  runConfig: ConsumerRunConfig,
  logger: Logger,
  backoff: { initialMs: number; maxMs: number } = { initialMs: 500, maxMs: 10_000 },
): ConsumerSupervisor {
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const restart = async (): Promise<void> => {
    if (stopped) return;
    try {
      await consumer.connect();
      await consumer.run(runConfig);
      failures = 0;
      logger.info('consumer restarted');
    } catch (err) {
      logger.warn({ err }, 'consumer restart failed; will retry');
      schedule();
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** failures++);
    timer = setTimeout(() => void restart(), delay);
  };

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (stopped) return;
    logger.warn({ err: payload.error, restartsItself: payload.restart }, 'consumer crashed');
    if (!payload.restart) schedule();
  });
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
