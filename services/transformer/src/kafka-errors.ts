import { isRebalancing } from '../../common/src/kafkajs.js';

/** kafkajs wraps the broker's error in `originalError` (retries exceeded) or `cause`. */
function* errorChain(err: unknown): Generator<{ type?: string; name?: string }> {
  let current: unknown = err;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    yield current;
    const e = current as { originalError?: unknown; cause?: unknown };
    current = e.originalError ?? e.cause;
  }
}

/**
 * Another instance took this partition's transactional.id (a newer epoch exists): this producer
 * is a zombie and must stop; retrying would only fence the rightful owner back.
 */
const FENCING_TYPES = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_ID_MAPPING',
]);
export function isFencingError(err: unknown): boolean {
  for (const e of errorChain(err)) if (e.type && FENCING_TYPES.has(e.type)) return true;
  return false;
}

/** Errors kafkajs must see from eachBatch to rejoin the group. */
export function isGroupMembershipError(err: unknown): boolean {
  for (const e of errorChain(err)) {
    if (isRebalancing(e) || e.type === 'UNKNOWN_MEMBER_ID' || e.type === 'ILLEGAL_GENERATION')
      return true;
  }
  return false;
}
