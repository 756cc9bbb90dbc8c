import type { Consumer, ConsumerRunConfig, RetryOptions } from 'kafkajs';
import type { Logger } from '../logger.js';

export interface ConsumerSupervisor {
  /** Stops restarting (call before the consumer's own disconnect). */
  stop(): void;
}

/**
 * The consumer `retry` options to use with superviseConsumer: the same retries, but kafkajs never
 * restarts the consumer itself. Its own restart waits as long as the last retry's backoff of the
 * exhausted budget (restarts 20–28 s after the broker came back were seen), and while it waits the
 * consumer's seek/pause/resume throw; the supervisor restarts at once and then at most every `maxMs` (1 s).
 */
export const supervisedRetry = (retry: RetryOptions = {}): RetryOptions => ({
  ...SUPERVISED_RETRY_DEFAULTS,
  ...retry,
  restartOnFailure: async () => false,
});

/**
 * Short backoffs: a crash costs little with the supervisor (the member id is kept), but a connect
 * attempt sleeping in a long backoff when the broker returns delays the rejoin by that much (a
 * 10 s cap cost 8–12 s after an outage, a 2 s cap up to 5 s). Against a broker that is down an
 * attempt fails at once (connection refused), so a 1 s cap costs next to nothing.
 */
const SUPERVISED_RETRY_DEFAULTS: RetryOptions = {
  initialRetryTime: 200,
  maxRetryTime: 1000,
  retries: 10,
};

/**
 * Keeps a kafkajs consumer consuming whatever crashes it. kafkajs restarts a consumer by itself
 * only after a retriable crash, and only if `retry.restartOnFailure` agrees (supervisedRetry says
 * no); otherwise the consumer stays stopped for good, and its seek/pause/resume throw "Consumer
 * group was not initialized". This restarts it (connect, then run with the same configuration;
 * subscriptions are kept) with exponential backoff from `initialMs` up to `maxMs`, until a
 * restart succeeds or `stop()` is called. The group member id survives the restart
 * (kafkajs-member-reuse.ts), so the rejoin does not wait for a session timeout.
 */
export function superviseConsumer(
  consumer: Consumer,
  runConfig: ConsumerRunConfig,
  logger: Logger,
  backoff: { initialMs: number; maxMs: number } = { initialMs: 200, maxMs: 1000 },
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
