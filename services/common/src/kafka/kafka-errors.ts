// What the services need to know about a Kafka client error, decided here so that no service
// reads kafkajs' error classes or fields (`originalError`, `type`): the transformer's fencing,
// group-membership and record-rejection predicates, and the "is this a Kafka failure" test of the
// CLI and the console.
import { isRebalancing, KafkaJSError, KafkaJSProtocolError } from './kafkajs.js';
import { rebalanceInProgress } from './kafkajs-member-reuse.js';

// Decided in kafkajs-cluster.ts (which the request modules share and which must not load kafkajs).
export { isRetriableKafkaError } from './kafkajs-cluster.js';

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

/**
 * The group coordinator does not know the member, or not in that generation (UNKNOWN_MEMBER_ID,
 * ILLEGAL_GENERATION): the membership a request carried is stale. Unlike a moved coordinator or
 * a rebalance in progress, rejoining is the only way on.
 */
export function isStaleMembershipError(err: unknown): boolean {
  for (const e of errorChain(err))
    if (e.type === 'UNKNOWN_MEMBER_ID' || e.type === 'ILLEGAL_GENERATION') return true;
  return false;
}

/**
 * An error that makes a kafkajs consumer's runner rejoin its group when thrown from `eachBatch`
 * (REBALANCE_IN_PROGRESS; kafkajs-member-reuse.ts). For a consumer the transformer knows to be
 * out of its group while kafkajs still fetches (see the transformer's EosLoop).
 */
export const rejoinRequired = (reason: string): Error =>
  rebalanceInProgress(KafkaJSProtocolError, reason);

/**
 * Broker errors that reject a record (or the batch holding it) for good: resending the same bytes
 * gets the same answer (Kafka protocol error codes; kafkajs surfaces them as KafkaJSProtocolError
 * types, possibly wrapped). The worker isolates the offending record and dead-letters it instead
 * of retrying its whole transaction forever.
 */
const PERMANENT_RECORD_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'POLICY_VIOLATION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);
export function permanentRecordErrorType(err: unknown): string | undefined {
  for (const e of errorChain(err)) if (e.type && PERMANENT_RECORD_TYPES.has(e.type)) return e.type;
  return undefined;
}

/** A size rejection: the topic's limit may have changed since it was read. */
export const isSizeError = (type: string | undefined): boolean =>
  type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE';

/**
 * Whether `err` is an error of the Kafka client (an unreachable broker, a missing topic, a refused
 * request, retries exhausted …): an operational failure to report in one line, not a bug.
 * kafkajs' KafkaJSError and every subclass (protocol, connection, retries-exceeded …) count;
 * anything else, including a plain Error wrapping one, does not.
 */
export function isKafkaClientError(err: unknown): boolean {
  return err instanceof KafkaJSError;
}
