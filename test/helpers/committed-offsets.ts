// Committed consumer-group offsets, read with retries: kafkajs' admin does not retry OffsetFetch
// while a group coordinator is loading or moving, which is exactly what happens right after a
// fresh broker start. No vitest import here: the benches use it too.
import type { Admin } from 'kafkajs';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Offset-fetch errors that only mean "the group coordinator is not ready yet, ask again". */
const TRANSIENT_COORDINATOR =
  /NOT_COORDINATOR|COORDINATOR_LOAD_IN_PROGRESS|COORDINATOR_NOT_AVAILABLE|not the correct coordinator|loading the group|coordinator is not available|leadership election|ECONNREFUSED|Connection timeout|Request timed out/i;

/**
 * True for the coordinator errors an offset fetch right after a (re)start may meet, also when
 * kafkajs wrapped them (its retrier's "exceeded retries" error keeps the original as `cause` or
 * `originalError`).
 */
export function isTransientCoordinatorError(err: unknown): boolean {
  let e = err as { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
  for (let depth = 0; e && depth < 5; depth++) {
    const text = [e.type, e.message].filter((v) => typeof v === 'string').join(' ');
    if (TRANSIENT_COORDINATOR.test(text)) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

/**
 * Sum of `groupId`'s committed offsets on `topic` (a partition without one counts 0). kafkajs'
 * admin does not retry OffsetFetch while the coordinator is loading or moving (right after a
 * broker start), so transient coordinator errors are retried here for up to `retryMs`.
 */
export async function committedTotal(
  admin: Admin,
  groupId: string,
  topic: string,
  retryMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    } catch (err) {
      if (!isTransientCoordinatorError(err) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}
