// The stack's one wait-until-ready loop: Kafka answering metadata, every node registered, the
// registry answering, the ISR full again after a fault all wait the same way.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitUntilOptions {
  readonly timeoutMs: number;
  /** Pause between two attempts (250 ms). */
  readonly intervalMs?: number;
  /** Checked before each attempt: an error stops the wait at once (a process that died). */
  readonly failFast?: () => Error | undefined;
  /** The error when the time is up; `last` is the last attempt's error message, '' if none. */
  readonly timeoutError: (last: string) => Error;
}

/**
 * Runs `attempt` until it returns a value (not undefined) and returns that value. An attempt that
 * returns undefined or throws means "not yet"; the next one starts `intervalMs` later, and none
 * starts after `timeoutMs`.
 */
export async function waitUntil<T>(
  attempt: () => Promise<T | undefined>,
  options: WaitUntilOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const fatal = options.failFast?.();
    if (fatal) throw fatal;
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(options.intervalMs ?? 250);
  }
  throw options.timeoutError(last);
}
